// Members as the notifier sees them, and who gets told what.
import type { Db } from '../../db/client.js';
import type { Member } from '../../generated/prisma/client.js';
import type { Person } from '../../notify/port.js';
import { ADMIN_ROLES, OWNER_ROLES } from '../actors.js';

export function personOf(m: Member): Person {
  return {
    memberId: m.id,
    externalId: m.externalId,
    name: m.name,
    role: m.role,
    seatTier: m.seatTier,
    email: m.email,
    slackUserId: m.slackUserId,
    teamsUserId: m.teamsUserId,
  };
}

async function withRoles(db: Db, orgId: string, roles: readonly Member['role'][]): Promise<Person[]> {
  const rows = await db.member.findMany({ where: { orgId, removedAt: null, role: { in: [...roles] } }, orderBy: [{ name: 'asc' }, { id: 'asc' }] });
  return rows.map(personOf);
}

/** Admins and owners: the people who decide requests. */
export const adminsOf = (db: Db, orgId: string) => withRoles(db, orgId, ADMIN_ROLES);
/** Owners: the people who get money alerts. */
export const ownersOf = (db: Db, orgId: string) => withRoles(db, orgId, OWNER_ROLES);
