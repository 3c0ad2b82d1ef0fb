// Who is acting, through the real HTTP API, on PGlite and the PostgreSQL server:
// keys no longer impersonate people (a `settings` key with X-Actor is refused; a key
// issued to act for members is audited as such), a single-use sign-in link gives a
// session, and a token from the org's own OpenID Provider (a real oidc-provider
// on a local port) signs a person in. Every refusal is a 4xx that changes nothing.
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOidcVerifier } from '../../src/identity/oidc.js';
import { BACKENDS, migrated, type Scratch } from '../support/databases.js';
import { enterpriseDoc, harness, OPERATOR_TOKEN, type Harness } from '../support/fixtures.js';
import { API_RESOURCE, CLIENT_ID, startProvider, type TestProvider } from '../support/oidc-provider.js';

const accounts = {
  olivia: { email: 'Olivia@Acme.example', email_verified: true },
  alice: { email: 'alice@acme.example', email_verified: true },
  mallory: { email: 'mallory@elsewhere.example', email_verified: true },
  unverified: { email: 'adam@acme.example', email_verified: false },
};

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe.each(BACKENDS)('people acting through the API on $kind', ({ open }) => {
  let scratch: Scratch;
  let h: Harness;
  let idp: TestProvider;
  let other: TestProvider;
  /** The verifier's clock: a test moves it past a token's expiry. */
  const oidcClock = { now: null as Date | null };

  beforeAll(async () => {
    [scratch, idp, other] = await Promise.all([migrated(open), startProvider({ accounts }), startProvider({ accounts })]);
    h = await harness(scratch.db.prisma, new Date(), { identity: { oidc: createOidcVerifier({ now: () => oidcClock.now ?? new Date() }) } });
    const doc = enterpriseDoc();
    doc.members = doc.members.map((m) => ({ ...m, email: `${m.externalId === 'owner-1' ? 'olivia' : m.externalId === 'admin-1' ? 'adam' : m.externalId}@acme.example` }));
    await h.provision('acme', doc);
    await h.provision('other', enterpriseDoc());
  });
  afterAll(async () => {
    await h?.close();
    await Promise.all([idp?.close(), other?.close(), scratch?.dispose()]);
  });

  /** Everything a refused call must leave as it was. */
  async function state() {
    const db = scratch.db.prisma;
    const [orgs, members, audit, links] = await Promise.all([
      db.organization.findMany({ orderBy: { slug: 'asc' } }), db.member.findMany({ orderBy: { id: 'asc' } }), db.auditEntry.count(), db.signInLink.findMany({ orderBy: { id: 'asc' } }),
    ]);
    return JSON.stringify({ orgs, members, audit, links }, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
  }
  const bearer = (token: string, headers: Record<string, string> = {}) => ({ headers: { authorization: `Bearer ${token}`, ...headers } });
  const setCap = (token: string, cap: string, headers: Record<string, string> = {}) => h.call('PUT', '/v1/settings/caps/org', { body: { cap }, ...bearer(token, headers) });
  const lastAudit = async () => scratch.db.prisma.auditEntry.findFirstOrThrow({ where: { org: { slug: 'acme' } }, orderBy: { id: 'desc' } });

  describe('API keys', () => {
    it('refuses a settings key naming anyone in X-Actor, the primary owner included, and changes nothing', async () => {
      const settingsKey = await h.issueKey('acme', ['settings']);
      const before = await state();
      for (const actor of ['owner-1', 'admin-1', 'alice']) {
        const res = await h.call('PUT', '/v1/settings/caps/org', { token: settingsKey, actor, body: { cap: '1.00' } });
        expect(res.status).toBe(403);
        expect(res.body.error.message).toContain('no longer act for people');
      }
      expect((await h.call('POST', '/v1/requests', { token: settingsKey, actor: 'alice', body: {} })).status).toBe(403);
      expect(await state()).toBe(before);
      // A gateway's usage key is no person either.
      const usageKey = await h.issueKey('acme', ['usage']);
      expect((await h.call('GET', '/v1/settings/usage', { token: usageKey, actor: 'owner-1' })).status).toBe(403);
    });

    it('lets a key issued to act for members do so, audited as that key acting for that person', async () => {
      const key = await h.issueKey('acme', ['act_for_members']);
      const keyId = (await scratch.db.prisma.apiKey.findFirstOrThrow({ where: { prefix: key.slice(0, 10) } })).id;
      expect((await h.call('PUT', '/v1/settings/caps/org', { token: key, body: { cap: '1.00' } }))).toMatchObject({ status: 400, body: { error: { field: 'x-actor' } } });
      expect((await h.call('PUT', '/v1/settings/caps/org', { token: key, actor: 'alice', body: { cap: '1.00' } })).status).toBe(403); // Alice is a member
      const res = await h.call('PUT', '/v1/settings/caps/org', { token: key, actor: 'owner-1', body: { cap: '900.00' } });
      expect(res.status).toBe(200);
      expect((await lastAudit()).actor).toMatch(new RegExp(`^member:.+ \\(owner-1\\) via api_key:${keyId}$`));
      expect((await h.call('GET', '/v1/me', { token: key, actor: 'admin-1' })).body).toMatchObject({ externalId: 'admin-1', role: 'admin', via: `api_key:${keyId}` });
    });
  });

  describe('sign-in links', () => {
    const issue = (member: string, body: Record<string, unknown> = {}) => h.call('POST', '/v1/operator/orgs/acme/sign-in-links', { token: OPERATOR_TOKEN, body: { member, ...body } });
    const redeem = (token: string) => h.call('POST', '/v1/sign-in', { body: { token } });

    it('gives a session once, which acts as that member with their stored role', async () => {
      const link = await issue('owner-1', { purpose: 'email' });
      expect(link.status).toBe(201);
      const signedIn = await redeem(link.body.token);
      expect(signedIn).toMatchObject({ status: 200, body: { person: { externalId: 'owner-1', role: 'primary_owner', org: { slug: 'acme' } } } });
      const session = signedIn.body.session as string;
      expect((await redeem(link.body.token)).status).toBe(401);

      expect((await h.call('GET', '/v1/me', bearer(session))).body).toMatchObject({ externalId: 'owner-1', via: 'session' });
      expect((await setCap(session, '950.00')).status).toBe(200);
      expect(await lastAudit()).toMatchObject({ action: 'cap.org.set', actor: expect.stringMatching(/\(owner-1\) via session$/) });
      const audit = await scratch.db.prisma.auditEntry.findMany({ where: { action: { in: ['sign_in_link.issue', 'sign_in_link.use', 'sign_in_link.refuse'] }, subject: `sign_in_link:${link.body.linkId}` }, orderBy: { id: 'asc' } });
      expect(audit.map((a) => a.action)).toEqual(['sign_in_link.issue', 'sign_in_link.use', 'sign_in_link.refuse']);
    });

    it('keeps another org\'s owner to their own org', async () => {
      const link = await h.call('POST', '/v1/operator/orgs/other/sign-in-links', { token: OPERATOR_TOKEN, body: { member: 'owner-1' } });
      const session = (await redeem(link.body.token)).body.session as string;
      const acmeBefore = await scratch.db.prisma.organization.findUniqueOrThrow({ where: { slug: 'acme' } });
      expect((await h.call('GET', '/v1/me', bearer(session))).body).toMatchObject({ org: { slug: 'other' }, role: 'primary_owner' });
      expect((await setCap(session, '7.00')).status).toBe(200);
      expect((await scratch.db.prisma.organization.findUniqueOrThrow({ where: { slug: 'other' } })).orgMonthlyCapNanos).toBe(7_000_000_000n);
      expect((await scratch.db.prisma.organization.findUniqueOrThrow({ where: { slug: 'acme' } })).orgMonthlyCapNanos).toBe(acmeBefore.orgMonthlyCapNanos);
      // Naming acme (X-Org) does not move a session: it is bound to its org by our signature.
      expect((await setCap(session, '8.00', { 'x-org': 'acme' })).status).toBe(200);
      expect((await scratch.db.prisma.organization.findUniqueOrThrow({ where: { slug: 'acme' } })).orgMonthlyCapNanos).toBe(acmeBefore.orgMonthlyCapNanos);
    });

    it('refuses what a session may not do, a tampered session, and a session with X-Actor, changing nothing', async () => {
      const alice = (await redeem((await issue('alice')).body.token)).body.session as string;
      const before = await state();
      expect((await setCap(alice, '1.00')).status).toBe(403);
      const [head, payload, sig] = alice.split('.');
      const forged = `${head}.${b64({ ...decodeJwt(alice), sub: (await scratch.db.prisma.member.findFirstOrThrow({ where: { externalId: 'owner-1', org: { slug: 'acme' } } })).id })}.${sig}`;
      expect((await setCap(forged, '1.00')).status).toBe(401);
      expect((await setCap(`${head}.${payload}.${sig!.slice(0, -2)}xx`, '1.00')).status).toBe(401);
      expect((await setCap(alice, '1.00', { 'x-actor': 'owner-1' }))).toMatchObject({ status: 400, body: { error: { field: 'x-actor' } } });
      expect((await redeem('x'.repeat(43))).status).toBe(401);
      expect(await state()).toBe(before);
    });
  });

  describe('the org\'s OpenID Provider', () => {
    beforeAll(async () => {
      const set = await h.call('PUT', '/v1/operator/orgs/acme/identity-provider', { token: OPERATOR_TOKEN, body: { issuer: idp.issuer, audience: CLIENT_ID } });
      expect(set.status).toBe(200);
    });

    it('signs in the member whose verified email the ID token carries, with their stored role', async () => {
      const { idToken } = await idp.signIn('olivia');
      expect((await h.call('GET', '/v1/me', bearer(idToken))).body).toMatchObject({ externalId: 'owner-1', role: 'primary_owner', via: 'oidc' });
      expect((await setCap(idToken, '980.00')).status).toBe(200);
      expect((await lastAudit()).actor).toMatch(/\(owner-1\) via oidc$/);
      const alice = await idp.signIn('alice');
      expect((await setCap(alice.idToken, '1.00')).status).toBe(403);
    });

    it('takes the provider from the org document too; with two orgs trusting it, X-Org says which', async () => {
      const doc = enterpriseDoc({ identityProvider: { issuer: idp.issuer, audience: CLIENT_ID } } as never);
      doc.members = doc.members.map((m) => (m.externalId === 'owner-1' ? { ...m, email: 'olivia@acme.example' } : m));
      expect((await h.call('PUT', '/v1/operator/orgs/sister', { token: OPERATOR_TOKEN, body: doc })).status).toBe(201);
      const { idToken } = await idp.signIn('olivia');
      expect(await h.call('GET', '/v1/me', bearer(idToken))).toMatchObject({ status: 400, body: { error: { field: 'x-org' } } });
      expect((await h.call('GET', '/v1/me', bearer(idToken, { 'x-org': 'sister' }))).body).toMatchObject({ org: { slug: 'sister' }, externalId: 'owner-1', via: 'oidc' });
      expect((await h.call('GET', '/v1/me', bearer(idToken, { 'x-org': 'acme' }))).body).toMatchObject({ org: { slug: 'acme' } });
      // Written null, the provider is gone for that org alone.
      expect((await h.call('PUT', '/v1/operator/orgs/sister', { token: OPERATOR_TOKEN, body: { ...doc, identityProvider: null } })).status).toBe(200);
      expect((await h.call('GET', '/v1/me', bearer(idToken, { 'x-org': 'sister' }))).status).toBe(401);
      expect((await h.call('GET', '/v1/me', bearer(idToken))).body).toMatchObject({ org: { slug: 'acme' } });
    });

    it('refuses, with 401 and nothing changed: wrong audience, unknown issuer, alg none, tampered signature, unknown or unverified email, expired', async () => {
      const olivia = await idp.signIn('olivia');
      const stranger = await other.signIn('olivia');
      const mallory = await idp.signIn('mallory');
      const unverified = await idp.signIn('unverified');
      const [head, payload, sig] = olivia.idToken.split('.');
      const claims = decodeJwt(olivia.idToken);
      const cases: [string, string][] = [
        ['wrong audience (an access token for another resource)', olivia.accessToken],
        ['an issuer no org trusts', stranger.idToken],
        ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`],
        ['tampered payload', `${head}.${b64({ ...claims, email: 'alice@acme.example' })}.${sig}`],
        ['tampered signature', `${head}.${payload}.${sig!.slice(0, -4)}AAAA`],
        ['an email no member has', mallory.idToken],
        ['an email not verified', unverified.idToken],
        ['not a token at all', 'not-a-token'],
      ];
      const before = await state();
      for (const [name, token] of cases) {
        const res = await setCap(token, '1.00');
        expect(res.status, name).toBe(401);
        expect(res.body.error.field, name).toBe('authorization');
      }
      oidcClock.now = new Date((claims.exp! + 120) * 1000);
      try {
        expect((await setCap(olivia.idToken, '1.00')).status).toBe(401);
      } finally {
        oidcClock.now = null;
      }
      expect(await state()).toBe(before);
      expect(API_RESOURCE).not.toBe(CLIENT_ID);
    });
  });
});
