// Who is acting: the Teams user (their Entra object id, as the authenticated Bot
// Connector request states it) mapped to the Member linked to it
// (Member.teamsUserId) in the org of their tenant (Organization.teamsTenantId, or
// the single org of TEAMS_ORG_SLUG). Every permission is decided from that
// member's stored role, never from anything a card sends back.
import type { Db } from '../../src/db/client.js';
import type { Member } from '../../src/generated/prisma/client.js';
import { loadOrg, type OrgWithTiers } from '../../src/ledger/limits-state.js';
import { tenantOf, type IncomingActivity } from './activity.js';

export type Who =
  | { kind: 'no_org'; aadObjectId: string | undefined; tenantId: string | undefined }
  | { kind: 'unlinked'; aadObjectId: string | undefined; tenantId: string | undefined; org: OrgWithTiers }
  | { kind: 'member'; aadObjectId: string; tenantId: string | undefined; org: OrgWithTiers; member: Member };

export type Linked = Extract<Who, { kind: 'member' }>;

/** The org a tenant belongs to: its own (teamsTenantId), else the single org, unless that org is bound to another tenant. */
export async function orgIdForTenant(db: Db, orgSlug: string | null, tenantId: string | undefined): Promise<string | null> {
  if (tenantId) {
    const own = await db.organization.findUnique({ where: { teamsTenantId: tenantId }, select: { id: true } });
    if (own) return own.id;
  }
  if (!orgSlug) return null;
  const single = await db.organization.findUnique({ where: { slug: orgSlug }, select: { id: true, teamsTenantId: true } });
  if (!single) return null;
  if (single.teamsTenantId && tenantId && single.teamsTenantId !== tenantId) return null;
  return single.id;
}

export async function identify(db: Db, orgSlug: string | null, activity: IncomingActivity): Promise<Who> {
  const tenantId = tenantOf(activity);
  const aadObjectId = activity.from?.aadObjectId || undefined;
  const orgId = await orgIdForTenant(db, orgSlug, tenantId);
  if (!orgId) return { kind: 'no_org', aadObjectId, tenantId };
  const org = await loadOrg(db, orgId);
  if (!aadObjectId) return { kind: 'unlinked', aadObjectId, tenantId, org };
  const member = await db.member.findFirst({ where: { orgId, teamsUserId: aadObjectId, removedAt: null } });
  if (!member) return { kind: 'unlinked', aadObjectId, tenantId, org };
  return { kind: 'member', aadObjectId, tenantId, org, member };
}
