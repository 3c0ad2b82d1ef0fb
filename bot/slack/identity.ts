// Who is clicking: the Slack user (as Slack signed it) mapped to the Member linked
// to them (Member.slackUserId) in the org of their workspace. Every permission is
// decided from that member's stored role, never from anything in the payload.
// A Slack user not linked yet is linked on first contact by the email Slack has
// for their account (users.info, scope users:read.email) when exactly one member
// of the org has it; the operator's document stays the override.
import type { webApi } from '@slack/bolt';
import type { Member } from '../../src/generated/prisma/client.js';
import { linkChatUserByEmail } from '../../src/ledger/settings/chat-links.js';
import { loadOrg, type OrgWithTiers } from '../../src/ledger/limits-state.js';
import type { SlackDeps } from './deps.js';

export type Who =
  | { kind: 'no_org'; slackUserId: string; teamId: string | undefined }
  /** email: the address Slack gave for them (no member matched it), null when Slack gave none. */
  | { kind: 'unlinked'; slackUserId: string; org: OrgWithTiers; email?: string | null; command?: string }
  | { kind: 'member'; slackUserId: string; org: OrgWithTiers; member: Member };

export type Linked = Extract<Who, { kind: 'member' }>;

export interface SlackIds {
  teamId: string | undefined;
  enterpriseId: string | undefined;
  userId: string;
}

/** `client`: the workspace's Web API client, to link an unknown user by their Slack email. */
export async function identify(deps: Pick<SlackDeps, 'db' | 'workspaces'> & Partial<Pick<SlackDeps, 'log' | 'command'>>, ids: SlackIds, client?: webApi.WebClient): Promise<Who> {
  const orgId = await deps.workspaces.orgIdFor(ids.teamId, ids.enterpriseId);
  if (!orgId) return { kind: 'no_org', slackUserId: ids.userId, teamId: ids.teamId };
  const org = await loadOrg(deps.db, orgId);
  const member = await deps.db.member.findFirst({ where: { orgId, slackUserId: ids.userId, removedAt: null } });
  if (member) return { kind: 'member', slackUserId: ids.userId, org, member };
  if (!client) return { kind: 'unlinked', slackUserId: ids.userId, org, ...(deps.command ? { command: deps.command } : {}) };
  const email = await slackEmailOf(deps, client, ids);
  const linked = email ? await linkChatUserByEmail(deps.db, { orgId, channel: 'slack', chatUserId: ids.userId, email, actor: `slack:${ids.userId} (email verified by Slack)` }) : null;
  if (linked) {
    deps.log?.(`slack: linked ${ids.userId} to member ${linked.externalId} of ${org.slug} by their Slack email`);
    return { kind: 'member', slackUserId: ids.userId, org, member: linked };
  }
  return { kind: 'unlinked', slackUserId: ids.userId, org, email, ...(deps.command ? { command: deps.command } : {}) };
}

/**
 * The email address of a person of this workspace, as Slack holds it for their account
 * (confirmed by Slack), or null: bots, deactivated accounts, people of another
 * workspace (Slack Connect), unconfirmed addresses, or no users:read.email scope.
 */
async function slackEmailOf(deps: Partial<Pick<SlackDeps, 'log'>>, client: webApi.WebClient, ids: SlackIds): Promise<string | null> {
  try {
    const res = await client.users.info({ user: ids.userId });
    const u = res.user as { team_id?: string; enterprise_user?: { enterprise_id?: string }; is_bot?: boolean; deleted?: boolean; is_email_confirmed?: boolean; profile?: { email?: string } } | undefined;
    if (!u || u.is_bot || u.deleted || u.is_email_confirmed === false) return null;
    const home = [ids.teamId, ids.enterpriseId].filter(Boolean);
    if (home.length && !home.includes(u.team_id) && !home.includes(u.enterprise_user?.enterprise_id)) return null;
    return u.profile?.email?.trim() || null;
  } catch (err) {
    deps.log?.(`slack: users.info for ${ids.userId} failed (${(err as Error).message}); is the users:read.email scope granted? Reinstall the app from bot/slack/manifest.json`);
    return null;
  }
}

/** The ids of a Bolt request: the workspace from the authorised context, the user from Slack's signed body. */
export function idsOf(context: { teamId?: string; enterpriseId?: string }, body: unknown, userId: string): SlackIds {
  const b = body as { team?: { id?: string } | null; team_id?: string; enterprise?: { id?: string } | null; enterprise_id?: string };
  return {
    teamId: context.teamId ?? b.team?.id ?? b.team_id ?? undefined,
    enterpriseId: context.enterpriseId ?? b.enterprise?.id ?? b.enterprise_id ?? undefined,
    userId,
  };
}
