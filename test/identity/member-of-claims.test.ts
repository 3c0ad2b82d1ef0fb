// Which member a verified identity is: the bound subject first, else a verified email
// (ignoring case, never as a pattern); anything else is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isIdentityError, type IdentityErrorReason } from '../../src/identity/errors.js';
import { memberOfClaims, pickMember, type ClaimsIdentity } from '../../src/identity/member-of-claims.js';
import { BACKENDS, migrated, type Scratch } from '../support/databases.js';
import { enterpriseDoc } from '../support/fixtures.js';
import { provision } from '../support/ledger.js';

function reasonOf(fn: () => unknown): IdentityErrorReason {
  try {
    fn();
  } catch (err) {
    if (isIdentityError(err)) return err.reason;
    throw err;
  }
  throw new Error('expected a refusal');
}

async function refusal(promise: Promise<unknown>): Promise<IdentityErrorReason> {
  try {
    await promise;
  } catch (err) {
    if (isIdentityError(err)) return err.reason;
    throw err;
  }
  throw new Error('expected a refusal');
}

const m = (id: string, email: string | null, oidcSubject: string | null = null, removedAt: Date | null = null) => ({ id, email, oidcSubject, removedAt });
const who = (subject: string, email: string | null, emailVerified = true): ClaimsIdentity => ({ subject, email, emailVerified });

describe('pickMember', () => {
  it('prefers the member bound to the subject over an email match', () => {
    const members = [m('a', 'shared@example.com'), m('b', 'b@example.com', 'sub-b')];
    expect(pickMember(who('sub-b', 'shared@example.com'), members).id).toBe('b');
  });

  it('matches a verified email ignoring case', () => {
    expect(pickMember(who('s', 'ALICE@example.com'), [m('a', 'alice@EXAMPLE.com')]).id).toBe('a');
  });

  it('refuses an unverified email, a missing email, an unknown one and several members sharing one', () => {
    expect(reasonOf(() => pickMember(who('s', 'alice@example.com', false), [m('a', 'alice@example.com')]))).toBe('email_unverified');
    expect(reasonOf(() => pickMember(who('s', null), [m('a', 'alice@example.com')]))).toBe('unknown_member');
    expect(reasonOf(() => pickMember(who('s', 'zed@example.com'), [m('a', 'alice@example.com')]))).toBe('unknown_member');
    expect(reasonOf(() => pickMember(who('s', 'x@example.com'), [m('a', 'x@example.com'), m('b', 'X@example.com')]))).toBe('ambiguous_member');
  });

  it('refuses a removed member, whether found by subject or email', () => {
    expect(reasonOf(() => pickMember(who('sub', null), [m('a', null, 'sub', new Date())]))).toBe('unknown_member');
    expect(reasonOf(() => pickMember(who('s', 'a@example.com'), [m('a', 'a@example.com', null, new Date())]))).toBe('unknown_member');
  });

  it('does not let an email take over a member bound to another subject', () => {
    expect(reasonOf(() => pickMember(who('new-sub', 'a@example.com'), [m('a', 'a@example.com', 'old-sub')]))).toBe('unknown_member');
  });
});

describe.each(BACKENDS)('memberOfClaims on $kind', ({ open }) => {
  let scratch: Scratch;
  let orgId: string;
  let otherOrgId: string;

  beforeAll(async () => {
    scratch = await migrated(open);
    const db = scratch.db.prisma;
    const doc = enterpriseDoc();
    doc.members = [
      ...doc.members,
      { externalId: 'under', name: 'Under Score', role: 'member', seatTier: 'standard', email: 'a_b@example.com' },
      { externalId: 'eve', name: 'Eve', role: 'owner', seatTier: 'standard', email: 'Eve@Example.com' },
    ];
    const org = await provision(db, 'acme', doc);
    orgId = org.orgId;
    await db.member.update({ where: { id: (await org.member('bob')).id }, data: { oidcSubject: 'bob-sub' } });
    const other = await provision(db, 'other', enterpriseDoc({
      members: [
        { externalId: 'owner-1', name: 'Olivia', role: 'primary_owner', seatTier: 'premium' },
        { externalId: 'eve', name: 'Eve Elsewhere', role: 'member', seatTier: 'standard', email: 'eve@example.com' },
      ],
    }));
    otherOrgId = other.orgId;
  });

  afterAll(async () => {
    await scratch?.dispose();
  });

  it('finds the member by subject, or by verified email ignoring case, within the org only', async () => {
    const db = scratch.db.prisma;
    expect((await memberOfClaims(db, orgId, who('bob-sub', null))).externalId).toBe('bob');
    const eve = await memberOfClaims(db, orgId, who('eve-sub', 'eve@EXAMPLE.com'));
    expect(eve).toMatchObject({ externalId: 'eve', role: 'owner', orgId });
    expect((await memberOfClaims(db, otherOrgId, who('eve-sub', 'eve@example.com'))).name).toBe('Eve Elsewhere');
    expect(await refusal(memberOfClaims(db, otherOrgId, who('bob-sub', null)))).toBe('unknown_member');
  });

  it('treats _ and % in an address literally', async () => {
    const db = scratch.db.prisma;
    expect((await memberOfClaims(db, orgId, who('s', 'a_b@example.com'))).externalId).toBe('under');
    expect(await refusal(memberOfClaims(db, orgId, who('s', 'axb@example.com')))).toBe('unknown_member');
    expect(await refusal(memberOfClaims(db, orgId, who('s', '%@example.com')))).toBe('unknown_member');
  });

  it('refuses an unverified email and a removed member', async () => {
    const db = scratch.db.prisma;
    expect(await refusal(memberOfClaims(db, orgId, who('s', 'eve@example.com', false)))).toBe('email_unverified');
    const doc = enterpriseDoc();
    await provision(db, 'gone', doc);
    const gone = await db.organization.findUniqueOrThrow({ where: { slug: 'gone' } });
    const alice = await db.member.findUniqueOrThrow({ where: { orgId_externalId: { orgId: gone.id, externalId: 'alice' } } });
    await db.member.update({ where: { id: alice.id }, data: { oidcSubject: 'alice-sub', removedAt: new Date() } });
    expect(await refusal(memberOfClaims(db, gone.id, who('alice-sub', null)))).toBe('unknown_member');
  });
});
