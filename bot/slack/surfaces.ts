// Building and sending the surfaces several listeners share: the member's usage
// message, the App Home (per stored role), short replies to one person.
import type { webApi } from '@slack/bolt';
import { auditPage } from '../audit-log/page.js';
import { isAdmin, isOwner } from '../../src/ledger/actors.js';
import { memberUsageView } from '../../src/ledger/metering/member-usage.js';
import { limitsPortFor } from '../../src/anthropic/limits-port.js';
import type { OrgWithTiers } from '../../src/ledger/limits-state.js';
import type { LimitLine } from '../../src/domain/member-limits.js';
import { seatLimits, usageOverview } from '../../src/ledger/reports/reports.js';
import { pendingRequests } from '../../src/ledger/requests/requests.js';
import type { SlackDeps } from './deps.js';
import type { Linked, Who } from './identity.js';
import { dollars, type Block, type HomeView } from './views/blocks.js';
import { homeView, type HomeTab } from './views/home.js';
import { memberUsageBlocks } from './views/member-usage.js';
import type { ClaudeSeatLimits, SeatLimits } from './views/owner-settings.js';
import type { MemberLimitsPort } from '../../src/ledger/reports/member-limits-port.js';
import { unlinkedBlocks, unlinkedText } from './views/unlinked.js';

export type WebClient = webApi.WebClient;

export async function hasOpenRequest(deps: Pick<SlackDeps, 'db'>, memberId: string): Promise<boolean> {
  return (await deps.db.extraUsageRequest.count({ where: { memberId, status: 'pending' } })) > 0;
}

/** A member's limits in Claude when their org is connected (the limits port), else null (our ledger's caps are shown). */
async function claudeLinesOf(deps: Pick<SlackDeps, 'db' | 'now'>, org: OrgWithTiers, memberId: string): Promise<LimitLine[] | null> {
  const port = await limitsPortFor(deps.db, org, deps.now());
  return port.authority === 'claude' ? (await port.linesOf([memberId])).get(memberId) ?? [] : null;
}

/** An org connected to Claude: every member's limits there for "Individual seat limits"; null for our ledger's. */
async function claudeSeatLimits(deps: Pick<SlackDeps, 'publicUrl'>, seats: SeatLimits, port: MemberLimitsPort): Promise<ClaudeSeatLimits | null> {
  if (port.authority !== 'claude') return null;
  return { lines: await port.linesOf(seats.members.map((m) => m.id)), publicUrl: deps.publicUrl ?? null };
}

export async function usageMessage(deps: SlackDeps, who: Linked, opts: { requestOpen?: boolean } = {}): Promise<{ text: string; blocks: Block[] }> {
  const view = await memberUsageView(deps.db, who.org, who.member, deps.now(), deps.requestCooldownMs, deps.publicUrl ?? null);
  const claude = await claudeLinesOf(deps, who.org, who.member.id);
  const requestOpen = opts.requestOpen ?? (await hasOpenRequest(deps, who.member.id));
  return {
    text: `Your usage: ${dollars(view.allowance.used)} of ${dollars(view.allowance.included)} included this window; extra usage ${view.extraUsage.enabled ? 'on' : 'off'}`,
    blocks: memberUsageBlocks(view, { orgName: who.org.name, requestOpen, claude }),
  };
}

const unlinkedOf = (who: Extract<Who, { kind: 'unlinked' }>) => ({ kind: 'unlinked' as const, slackUserId: who.slackUserId, orgName: who.org.name, email: who.email, command: who.command });

export function notLinkedMessage(who: Exclude<Who, Linked>): { text: string; blocks: Block[] } {
  return {
    text: who.kind === 'no_org' ? 'This Slack workspace is not connected to an organisation yet.' : unlinkedText(unlinkedOf(who)),
    blocks: unlinkedBlocks(who.kind === 'no_org' ? who : unlinkedOf(who)),
  };
}

export interface HomeState {
  tab?: HomeTab;
  page?: number;
  notice?: string;
  requestOpen?: boolean;
  /** Audit log tab: the page below this entry id (null or absent: the latest). */
  auditBefore?: string | null;
}

const NOT_YOURS: Record<HomeTab, string> = {
  me: '',
  requests: 'Only admins and owners can see requests.',
  settings: 'Only owners can see usage settings.',
  audit: 'Only owners can read the audit log.',
};

/** The Home for this person: tabs and controls follow their stored role only. */
export async function buildHome(deps: SlackDeps, who: Who, state: HomeState = {}): Promise<HomeView> {
  if (who.kind !== 'member') return { type: 'home', blocks: notLinkedMessage(who).blocks };
  const { org, member } = who;
  const tabs: HomeTab[] = ['me', ...(isAdmin(member) ? (['requests'] as const) : []), ...(isOwner(member) ? (['settings', 'audit'] as const) : [])];
  let notice = state.notice;
  let tab: HomeTab = state.tab ?? 'me';
  if (!tabs.includes(tab)) {
    notice ??= NOT_YOURS[tab];
    tab = 'me';
  }
  const page = state.page ?? 0;
  const now = deps.now();
  const [usage, requests, settings, audit] = await Promise.all([
    tab === 'me' ? memberUsageView(deps.db, org, member, now, deps.requestCooldownMs, deps.publicUrl ?? null) : null,
    isAdmin(member) ? pendingRequests(deps.db, org.id) : null,
    tab === 'settings' ? Promise.all([usageOverview(deps.db, org, now), seatLimits(deps.db, org, now), limitsPortFor(deps.db, org, now)]) : null,
    tab === 'audit' ? auditPage(deps.db, org, state.auditBefore ?? null) : null,
  ]);
  return homeView({
    orgName: org.name,
    tabs,
    tab,
    page,
    viewer: { memberId: member.id, owner: isOwner(member) },
    ...(notice ? { notice } : {}),
    ...(usage ? { usage: { view: usage, requestOpen: state.requestOpen ?? (await hasOpenRequest(deps, member.id)), claude: await claudeLinesOf(deps, org, member.id) } } : {}),
    ...(requests ? { requests } : {}),
    ...(settings ? { settings: { overview: settings[0], seats: settings[1], alertChannelId: org.slackAlertChannelId, claude: await claudeSeatLimits(deps, settings[1], settings[2]) } } : {}),
    ...(audit ? { audit: { page: audit, timezone: org.timezone } } : {}),
  });
}

export async function publishHome(client: WebClient, deps: SlackDeps, who: Who, state: HomeState = {}): Promise<void> {
  await client.views.publish({ user_id: who.slackUserId, view: await buildHome(deps, who, state) });
}

export async function openDm(client: WebClient, slackUserId: string): Promise<string> {
  const res = await client.conversations.open({ users: slackUserId });
  const id = (res.channel as { id?: string } | undefined)?.id;
  if (!id) throw new Error(`conversations.open gave no channel for ${slackUserId}`);
  return id;
}

/** A short reply only this person sees: ephemeral where they clicked, else a direct message. */
export async function tell(client: WebClient, to: { user: string; channel?: string | undefined }, text: string, blocks?: Block[]): Promise<void> {
  const body = { text, ...(blocks ? { blocks } : { blocks: [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text } }] }) };
  if (to.channel) {
    try {
      await client.chat.postEphemeral({ channel: to.channel, user: to.user, ...body });
      return;
    } catch {
      // Not in that channel (or it is gone): fall back to a direct message.
    }
  }
  await client.chat.postMessage({ channel: await openDm(client, to.user), ...body });
}

