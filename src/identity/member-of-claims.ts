// Which member of an org a verified identity is. The provider's subject is the stable
// name of a person, so a member bound to it wins; otherwise a verified email matches a
// member's stored email, ignoring case. What the member may do then comes from their
// stored role, never from the token.
import type { Db } from '../db/client.js';
import type { Member } from '../generated/prisma/client.js';
import { IdentityError } from './errors.js';
import type { VerifiedIdentity } from './oidc.js';

export type ClaimsIdentity = Pick<VerifiedIdentity, 'subject' | 'email' | 'emailVerified'>;
type Candidate = Pick<Member, 'id' | 'oidcSubject' | 'email' | 'removedAt'>;

const sameEmail = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * Picks the member among candidates (the org's members sharing the subject or the
 * email); throws an IdentityError when there is none or no single one.
 */
export function pickMember<M extends Candidate>(identity: ClaimsIdentity, candidates: readonly M[]): M {
  const bySubject = candidates.find((m) => m.oidcSubject === identity.subject);
  if (bySubject) {
    if (bySubject.removedAt) throw new IdentityError('unknown_member', 'this person is no longer a member of the organisation');
    return bySubject;
  }
  if (!identity.email) throw new IdentityError('unknown_member', 'no member is bound to this identity and the token carries no email');
  if (!identity.emailVerified) throw new IdentityError('email_unverified', `the identity provider has not verified ${identity.email}`);
  const byEmail = candidates.filter((m) => !m.removedAt && m.email !== null && sameEmail(m.email, identity.email!));
  if (byEmail.length > 1) throw new IdentityError('ambiguous_member', `several members have the email ${identity.email}`);
  const member = byEmail[0];
  if (!member) throw new IdentityError('unknown_member', `no member of the organisation has the email ${identity.email}`);
  // A member bound to another subject is that person: an email reassigned at the
  // provider must not take over their account.
  if (member.oidcSubject !== null) throw new IdentityError('unknown_member', `${identity.email} belongs to a member bound to another identity`);
  return member;
}

/** The member of `orgId` a verified identity is, or an IdentityError. Reads only. */
export async function memberOfClaims(db: Db, orgId: string, identity: ClaimsIdentity): Promise<Member> {
  // lower() = lower() rather than Prisma's insensitive mode, which matches with ILIKE
  // (where _ and % in an address would be wildcards).
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT "id" FROM "Member"
    WHERE "orgId" = ${orgId}
      AND ("oidcSubject" = ${identity.subject} OR (${identity.email}::text IS NOT NULL AND lower("email") = lower(${identity.email}::text)))`;
  const candidates = rows.length ? await db.member.findMany({ where: { id: { in: rows.map((r) => r.id) } } }) : [];
  return pickMember(identity, candidates);
}
