// Cards built from the current state for one viewer: the state is read fresh from
// the ledger and the viewer's stored role decides which actions they get.
import { randomUUID } from 'node:crypto';
import { isAdmin, isOwner } from '../../src/ledger/actors.js';
import { loadOrg, type OrgWithTiers } from '../../src/ledger/limits-state.js';
import type { Member } from '../../src/generated/prisma/client.js';
import { memberUsageView } from '../../src/ledger/metering/member-usage.js';
import { limitsPortFor } from '../../src/anthropic/limits-port.js';
import { adminsOf } from '../../src/ledger/settings/people.js';
import { seatLimits, usageOverview } from '../../src/ledger/reports/reports.js';
import { orgRequest } from '../../src/ledger/requests/requests.js';
import type { RequestView } from '../../src/notify/port.js';
import { auditPage } from '../audit-log/page.js';
import type { AdaptiveCard, Notice } from './cards/card.js';
import { auditLogCard } from './cards/audit-log.js';
import { digestCard } from './cards/digest.js';
import { requestCard, type CardMode, type DecisionForm, type RequestOrigin } from './cards/request.js';
import { MEMBERS_PAGE, settingsCard, type SettingsCardOptions } from './cards/settings.js';
import { INPUT } from './actions.js';
import { usageCard } from './cards/usage.js';
import type { TeamsDeps } from './deps.js';

export type Deps = Pick<TeamsDeps, 'db' | 'conversations' | 'now' | 'publicUrl' | 'requestCooldownMs'>;

/** Teams user ids of the org's admins and owners: their clients refresh request cards into their own view. */
export async function adminUserIds(deps: Deps, orgId: string): Promise<string[]> {
  const admins = await adminsOf(deps.db, orgId);
  return deps.conversations.userIdsOf(orgId, admins.map((a) => a.teamsUserId).filter((id): id is string => !!id));
}

export async function hasOpenRequest(deps: Deps, memberId: string): Promise<boolean> {
  return (await deps.db.extraUsageRequest.count({ where: { memberId, status: 'pending' } })) > 0;
}

export async function usageScreen(deps: Deps, org: OrgWithTiers, member: Member, o: { notice?: Notice; requestOpen?: boolean; alert?: { title: string; text: string }; viewerId?: string; note?: { value: string; error: string }; raiseAmount?: { value: string; error: string } } = {}): Promise<AdaptiveCard> {
  const view = await memberUsageView(deps.db, org, member, deps.now(), deps.requestCooldownMs, deps.publicUrl ?? null);
  // An org connected to Claude: the member's limits there, through the limits port.
  const port = await limitsPortFor(deps.db, org, deps.now());
  const claude = port.authority === 'claude' ? (await port.linesOf([member.id])).get(member.id) ?? [] : null;
  const requestOpen = o.requestOpen ?? (await hasOpenRequest(deps, member.id));
  const refreshUserIds = o.viewerId ? [o.viewerId] : await deps.conversations.userIdsOf(org.id, member.teamsUserId ? [member.teamsUserId] : []);
  return usageCard(view, { orgName: org.name, timezone: org.timezone, role: member.role, requestOpen, notice: o.notice, alert: o.alert, refreshUserIds, note: o.note, claude, raiseAmount: o.raiseAmount });
}

/** A request of this org, or null (unknown id, or another org's). */
export const requestOf = (deps: Deps, orgId: string, requestId: string): Promise<RequestView | null> => orgRequest(deps.db, orgId, requestId);

export const modeFor = (viewer: Member): CardMode => (isAdmin(viewer) ? 'admin' : 'readonly');

/** The card a request action came from, as it is now, for this viewer. */
export async function requestScreen(
  deps: Deps,
  org: OrgWithTiers,
  viewer: Member,
  origin: RequestOrigin,
  requestId: string,
  o: { notice?: Notice; form?: DecisionForm | null } = {},
): Promise<AdaptiveCard | null> {
  const mode = modeFor(viewer);
  const refreshUserIds = await adminUserIds(deps, org.id);
  if (origin.card === 'request') {
    const view = await requestOf(deps, org.id, requestId);
    if (!view) return null;
    return requestCard(view, { timezone: org.timezone, mode, reminder: origin.reminder ?? false, notice: o.notice, form: o.form ?? null, refreshUserIds, viewerMemberId: viewer.id, viewerIsOwner: isOwner(viewer) });
  }
  return listScreen(deps, org, viewer, origin.requestIds, origin.list, o);
}

/** A digest (or pending list) card showing these requests as they are now. */
export async function listScreen(deps: Deps, org: OrgWithTiers, viewer: Member, requestIds: string[], list: 'digest' | 'pending', o: { notice?: Notice; form?: DecisionForm | null } = {}): Promise<AdaptiveCard> {
  const views = (await Promise.all(requestIds.map((id) => requestOf(deps, org.id, id)))).filter((v): v is RequestView => v !== null);
  return digestCard(views, { orgName: org.name, timezone: org.timezone, mode: modeFor(viewer), list, notice: o.notice, form: o.form ?? null, refreshUserIds: await adminUserIds(deps, org.id), viewerMemberId: viewer.id, viewerIsOwner: isOwner(viewer) });
}

/** memberId: open the members screen on that member's page, with them chosen. */
export type SettingsScreenOptions = Omit<SettingsCardOptions, 'purchaseKey' | 'ownSwitch' | 'claude'> & { purchaseKey?: string; memberId?: string };

export async function settingsScreen(deps: Deps, orgId: string, o: SettingsScreenOptions): Promise<AdaptiveCard> {
  const org = await loadOrg(deps.db, orgId);
  const now = deps.now();
  const [overview, limits, own, port] = await Promise.all([
    usageOverview(deps.db, org, now),
    seatLimits(deps.db, org, now),
    deps.db.member.findMany({ where: { orgId, removedAt: null }, select: { id: true, extraUsageEnabled: true } }),
    limitsPortFor(deps.db, org, now),
  ]);
  // An org connected to Claude: Members shows each member's limits there (the limits port).
  const claude = port.authority === 'claude' ? { lines: await port.linesOf(limits.members.map((m) => m.id)), publicUrl: deps.publicUrl ?? null } : null;
  const { memberId, ...rest } = o;
  const at = memberId ? limits.members.findIndex((m) => m.id === memberId) : -1;
  if (at >= 0) Object.assign(rest, { screen: 'members', page: Math.floor(at / MEMBERS_PAGE), values: { ...rest.values, [INPUT.capMemberId]: memberId } });
  // Each card drawn names its own purchase (see VERB.settingsBuy).
  return settingsCard(overview, limits, { ...rest, purchaseKey: o.purchaseKey ?? randomUUID(), ownSwitch: Object.fromEntries(own.map((m) => [m.id, m.extraUsageEnabled])), claude });
}

/** The audit log, one page (owners only: the caller checks the stored role). */
export async function auditScreen(deps: Deps, org: OrgWithTiers, before: string | null): Promise<AdaptiveCard> {
  return auditLogCard(await auditPage(deps.db, org, before), { orgName: org.name, timezone: org.timezone });
}
