// Single-use sign-in links and the sessions they start, on PGlite and PostgreSQL.
import { createHash } from 'node:crypto';
import { decodeJwt, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isIdentityError, type IdentityErrorReason } from '../../src/identity/errors.js';
import { createSessions, deriveSessionSecret, SESSION_TYPE } from '../../src/identity/sessions.js';
import { issueSignInLink, redeemSignInLink } from '../../src/identity/sign-in-links.js';
import { auditLog } from '../../src/ledger/audit.js';
import { BACKENDS, migrated, type Scratch } from '../support/databases.js';
import { enterpriseDoc } from '../support/fixtures.js';
import { provision } from '../support/ledger.js';

async function refusal(promise: Promise<unknown>): Promise<IdentityErrorReason> {
  try {
    await promise;
  } catch (err) {
    if (isIdentityError(err)) {
      expect(err.status).toBe(401);
      return err.reason;
    }
    throw err;
  }
  throw new Error('expected a refusal');
}

const T0 = new Date('2026-12-01T09:00:00Z');
const secret = deriveSessionSecret('a-service-secret-for-tests-only');
const sessionsAt = (now: Date) => createSessions({ secret, now: () => now });

describe.each(BACKENDS)('sign-in links on $kind', ({ open }) => {
  let scratch: Scratch;
  let orgId: string;
  let aliceId: string;
  const db = () => scratch.db.prisma;
  const audit = (subject: string) => db().auditEntry.findMany({ where: { subject }, orderBy: { id: 'asc' } });
  const issue = (over: { ttlMs?: number; memberId?: string } = {}) =>
    issueSignInLink(db(), { orgId, memberId: over.memberId ?? aliceId, purpose: 'slack', issuedBy: 'slack-app', ...(over.ttlMs ? { ttlMs: over.ttlMs } : {}) }, T0);

  beforeAll(async () => {
    scratch = await migrated(open);
    const org = await provision(db(), 'acme', enterpriseDoc());
    orgId = org.orgId;
    aliceId = (await org.member('alice')).id;
  });

  afterAll(async () => {
    await scratch?.dispose();
  });

  it('issues a URL-safe token, stores only its hash, and audits the issue', async () => {
    const link = await issue();
    expect(link.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(link.expiresAt).toEqual(new Date(T0.getTime() + 15 * 60_000));
    const row = await db().signInLink.findUniqueOrThrow({ where: { id: link.id } });
    expect(row.tokenHash).toBe(createHash('sha256').update(link.token).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(link.token);
    expect(row).toMatchObject({ orgId, memberId: aliceId, purpose: 'slack', issuedBy: 'slack-app', usedAt: null });
    const [entry] = await audit(`sign_in_link:${link.id}`);
    expect(entry).toMatchObject({ orgId, actor: 'slack-app', action: 'sign_in_link.issue', after: { member: aliceId, purpose: 'slack', expiresAt: link.expiresAt.toISOString() } });
  });

  it('redeems once into a session for the member; a second use is refused and audited', async () => {
    const link = await issue();
    const now = new Date(T0.getTime() + 60_000);
    const redeemed = await redeemSignInLink(db(), sessionsAt(now), link.token, now);
    expect(redeemed).toMatchObject({ linkId: link.id, orgId, purpose: 'slack', member: { id: aliceId, externalId: 'alice' } });
    const claims = await sessionsAt(now).verify(redeemed.session.token);
    expect(claims).toMatchObject({ memberId: aliceId, orgId });
    expect(redeemed.session.expiresAt).toEqual(new Date(now.getTime() + 12 * 3600_000));

    expect(await refusal(redeemSignInLink(db(), sessionsAt(now), link.token, now))).toBe('link_used');
    expect((await db().signInLink.findUniqueOrThrow({ where: { id: link.id } })).usedAt).toEqual(now);
    const entries = await audit(`sign_in_link:${link.id}`);
    expect(entries.map((e) => [e.action, e.actor])).toEqual([
      ['sign_in_link.issue', 'slack-app'],
      ['sign_in_link.use', expect.stringContaining(`member:${aliceId}`)],
      ['sign_in_link.refuse', 'anonymous'],
    ]);
    expect(entries[2]!.after).toMatchObject({ reason: 'link_used' });
  });

  it('audits repeated refusals of one link once, with their count in the audit log', async () => {
    const link = await issue();
    const now = new Date(T0.getTime() + 60_000);
    await redeemSignInLink(db(), sessionsAt(now), link.token, now);
    for (let i = 1; i <= 7; i++) {
      const at = new Date(now.getTime() + i * 1000);
      expect(await refusal(redeemSignInLink(db(), sessionsAt(at), link.token, at))).toBe('link_used');
    }
    const refusals = (await audit(`sign_in_link:${link.id}`)).filter((e) => e.action === 'sign_in_link.refuse');
    expect(refusals).toHaveLength(1);
    // What an owner reads (API and console share auditLog): the one entry, with the count so far.
    const shown = (await auditLog(db(), orgId, 100)).entries.filter((e) => e.action === 'sign_in_link.refuse' && e.subject === `sign_in_link:${link.id}`);
    expect(shown).toHaveLength(1);
    expect(shown[0]!.after).toMatchObject({ reason: 'link_used', refusals: 7, lastRefusedAt: new Date(now.getTime() + 7000).toISOString() });
  });

  it('refuses an expired link (at its expiry, not only after) and leaves it unused', async () => {
    const link = await issue({ ttlMs: 5 * 60_000 });
    expect(await refusal(redeemSignInLink(db(), sessionsAt(link.expiresAt), link.token, link.expiresAt))).toBe('link_expired');
    expect((await db().signInLink.findUniqueOrThrow({ where: { id: link.id } })).usedAt).toBeNull();
    const before = new Date(link.expiresAt.getTime() - 1);
    await expect(redeemSignInLink(db(), sessionsAt(before), link.token, before)).resolves.toMatchObject({ linkId: link.id });
  });

  it('refuses unknown and malformed tokens without writing anything', async () => {
    const count = await db().auditEntry.count();
    const link = await issue();
    const flipped = (link.token[0] === 'A' ? 'B' : 'A') + link.token.slice(1);
    expect(await refusal(redeemSignInLink(db(), sessionsAt(T0), flipped, T0))).toBe('link_unknown');
    expect(await refusal(redeemSignInLink(db(), sessionsAt(T0), 'short', T0))).toBe('link_unknown');
    expect(await refusal(redeemSignInLink(db(), sessionsAt(T0), `${link.token}=`, T0))).toBe('link_unknown');
    expect(await db().auditEntry.count()).toBe(count + 1); // the issue only
  });

  it('gives exactly one success to concurrent redemptions of one link', async () => {
    const link = await issue();
    const now = new Date(T0.getTime() + 1000);
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => redeemSignInLink(db(), sessionsAt(now), link.token, now)));
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.map((r) => isIdentityError(r.reason) && r.reason.reason)).toEqual(Array(7).fill('link_used'));
    const actions = (await audit(`sign_in_link:${link.id}`)).map((e) => e.action);
    expect(actions.filter((a) => a === 'sign_in_link.use')).toHaveLength(1);
    // The 7 refusals are one audit entry, counted on the link (row locks serialise the counting).
    expect(actions.filter((a) => a === 'sign_in_link.refuse')).toHaveLength(1);
    expect((await db().signInLink.findUniqueOrThrow({ where: { id: link.id } })).refusedCount).toBe(7);
  });

  it('refuses a link whose member was removed, and will not issue one for them', async () => {
    const bob = await db().member.findUniqueOrThrow({ where: { orgId_externalId: { orgId, externalId: 'bob' } } });
    const link = await issue({ memberId: bob.id });
    await db().member.update({ where: { id: bob.id }, data: { removedAt: T0 } });
    expect(await refusal(redeemSignInLink(db(), sessionsAt(T0), link.token, T0))).toBe('unknown_member');
    await expect(issue({ memberId: bob.id })).rejects.toMatchObject({ status: 404 });
  });

  it('refuses to issue for another org’s member or with a lifetime over an hour', async () => {
    const other = await provision(db(), 'other', enterpriseDoc());
    await expect(issue({ memberId: (await other.member('alice')).id })).rejects.toMatchObject({ status: 404 });
    await expect(issue({ ttlMs: 61 * 60_000 })).rejects.toMatchObject({ status: 422, field: 'ttl' });
  });
});

describe('sessions', () => {
  const memberId = '00000000-0000-4000-8000-000000000001';
  const orgId = '00000000-0000-4000-8000-000000000002';

  it('verify what they issue until expiry, and refuse after it', async () => {
    const { token, expiresAt } = await sessionsAt(T0).issue({ memberId, orgId, epoch: 3 });
    expect(await sessionsAt(new Date(expiresAt.getTime() - 1000)).verify(token)).toMatchObject({ memberId, orgId, expiresAt, epoch: 3 });
    expect(await refusal(sessionsAt(new Date(expiresAt.getTime() + 6000)).verify(token))).toBe('expired');
  });

  it('refuse a tampered payload, another secret, another type, and alg none', async () => {
    const { token } = await sessionsAt(T0).issue({ memberId, orgId, epoch: 3 });
    const [h, , s] = token.split('.');
    const claims = decodeJwt(token);
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const sessions = sessionsAt(T0);
    expect(await refusal(sessions.verify(`${h}.${b64({ ...claims, sub: 'someone-else' })}.${s}`))).toBe('bad_signature');
    const otherSecret = createSessions({ secret: deriveSessionSecret('another-service-secret-entirely'), now: () => T0 });
    expect(await refusal(otherSecret.verify(token))).toBe('bad_signature');
    const untyped = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(secret);
    expect(await refusal(sessions.verify(untyped))).toBe('malformed');
    expect(await refusal(sessions.verify(`${b64({ alg: 'none', typ: SESSION_TYPE })}.${b64(claims)}.`))).toBe('unsupported_alg');
    const otherIssuer = createSessions({ secret, issuer: 'https://elsewhere.example', now: () => T0 });
    expect(await refusal(otherIssuer.verify(token))).toBe('wrong_issuer');
  });

  it('need a secret of at least 32 bytes', () => {
    expect(() => createSessions({ secret: new Uint8Array(16) })).toThrow(/32 bytes/);
  });
});
