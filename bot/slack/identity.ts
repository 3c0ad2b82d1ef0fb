// Who is clicking: the Slack user (as Slack signed it) mapped to the Member linked
// to them (Member.slackUserId) in the org of their workspace. Every permission is
// decided from that member's stored role, never from anything in the payload.
import type { Member } from '../../src/generated/prisma/client.js';
import { loadOrg, type OrgWithTiers } from '../../src/ledger/limits-state.js';
import type { SlackDeps } from './deps.js';

export type Who =
  | { kind: 'no_org'; slackUserId: string; teamId: string | undefined }
  | { kind: 'unlinked'; slackUserId: string; org: OrgWithTiers }
  | { kind: 'member'; slackUserId: string; org: OrgWithTiers; member: Member };

export type Linked = Extract<Who, { kind: 'member' }>;

export interface SlackIds {
  teamId: string | undefined;
  enterpriseId: string | undefined;
  userId: string;
}

export async function identify(deps: Pick<SlackDeps, 'db' | 'workspaces'>, ids: SlackIds): Promise<Who> {
  const orgId = await deps.workspaces.orgIdFor(ids.teamId, ids.enterpriseId);
  if (!orgId) return { kind: 'no_org', slackUserId: ids.userId, teamId: ids.teamId };
  const org = await loadOrg(deps.db, orgId);
  const member = await deps.db.member.findFirst({ where: { orgId, slackUserId: ids.userId, removedAt: null } });
  if (!member) return { kind: 'unlinked', slackUserId: ids.userId, org };
  return { kind: 'member', slackUserId: ids.userId, org, member };
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
