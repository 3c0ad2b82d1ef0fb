// Finds a member of an org by our id or by the org's own external id.
import type { Db } from '../../db/client.js';
import type { Member } from '../../generated/prisma/client.js';
import { notFound } from '../errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function findMember(db: Db, orgId: string, ref: string): Promise<Member | null> {
  if (UUID.test(ref)) {
    const byId = await db.member.findFirst({ where: { id: ref, orgId } });
    if (byId) return byId;
  }
  return db.member.findUnique({ where: { orgId_externalId: { orgId, externalId: ref } } });
}

/** An active member or a 404 naming the field that referred to them. */
export async function requireActiveMember(db: Db, orgId: string, ref: string, field = 'member'): Promise<Member> {
  const member = await findMember(db, orgId, ref);
  if (!member || member.removedAt) throw notFound(`member '${ref}'`, field);
  return member;
}
