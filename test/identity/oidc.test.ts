// The verifier against a real OpenID Provider (node-oidc-provider) on a local port:
// tokens come from its token endpoint after a sign-in through its own pages. Every
// refusal is an IdentityError (401) with its reason, and writes nothing.
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isIdentityError, type IdentityErrorReason } from '../../src/identity/errors.js';
import { memberOfClaims } from '../../src/identity/member-of-claims.js';
import { createOidcVerifier, unverifiedIssuer, type OidcVerifierOptions } from '../../src/identity/oidc.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc } from '../support/fixtures.js';
import { provision } from '../support/ledger.js';
import { API_RESOURCE, CLIENT_ID, CLIENT_SECRET, newSigningKeys, startProvider, type SigningKeys, type TestProvider } from '../support/oidc-provider.js';

const accounts = {
  alice: { email: 'Alice@Example.COM', email_verified: true },
  bob: { email: 'bob@example.com', email_verified: false },
  carol: { email: 'carol@elsewhere.example', email_verified: true },
  'dave-sub': {},
};

async function refusal(promise: Promise<unknown>): Promise<IdentityErrorReason> {
  const err = await promise.then(
    () => { throw new Error('expected a refusal, got an identity'); },
    (e: unknown) => e,
  );
  if (!isIdentityError(err)) throw err;
  expect(err.status).toBe(401);
  return err.reason;
}

/** A fetch that records what it was asked for. */
function countingFetch() {
  const urls: string[] = [];
  const f: typeof fetch = (input, init) => {
    urls.push(String(input instanceof Request ? input.url : input));
    return fetch(input, init);
  };
  return { urls, fetch: f };
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('OIDC verification against a real OpenID Provider', () => {
  let idp: TestProvider;
  let other: TestProvider;
  let scratch: Scratch;
  let orgId: string;
  let keysA: SigningKeys;
  let tokens: { idToken: string; accessToken: string };
  const idTrust = () => ({ issuer: idp.issuer, audience: CLIENT_ID });
  const apiTrust = () => ({ issuer: idp.issuer, audience: API_RESOURCE });
  const verifier = (o: OidcVerifierOptions = {}) => createOidcVerifier(o);

  async function dbState() {
    const members = await scratch.db.prisma.member.findMany({ orderBy: { id: 'asc' } });
    const audit = await scratch.db.prisma.auditEntry.count();
    const links = await scratch.db.prisma.signInLink.count();
    return { members, audit, links };
  }

  beforeAll(async () => {
    [idp, other, scratch] = await Promise.all([startProvider({ accounts }), startProvider({ accounts }), migrated(scratchPglite)]);
    keysA = idp.keys;
    const doc = enterpriseDoc();
    doc.members = [
      ...doc.members.filter((m) => m.externalId !== 'alice' && m.externalId !== 'bob'),
      { externalId: 'alice', name: 'Alice', role: 'member', seatTier: 'standard', email: 'alice@example.com' },
      { externalId: 'bob', name: 'Bob', role: 'member', seatTier: 'premium', email: 'bob@example.com' },
      { externalId: 'dave', name: 'Dave', role: 'admin', seatTier: 'standard' },
    ];
    const org = await provision(scratch.db.prisma, 'acme', doc);
    orgId = org.orgId;
    await scratch.db.prisma.member.update({ where: { id: (await org.member('dave')).id }, data: { oidcSubject: 'dave-sub' } });
    tokens = await idp.signIn('alice');
  });

  afterAll(async () => {
    await Promise.all([idp?.close(), other?.close(), scratch?.dispose()]);
  });

  it('an ID token verifies and its verified email names the member, ignoring case', async () => {
    const identity = await verifier().verify(tokens.idToken, idTrust());
    expect(identity).toMatchObject({ issuer: idp.issuer, subject: 'alice', email: 'Alice@Example.COM', emailVerified: true, kind: 'id_token' });
    expect(decodeProtectedHeader(tokens.idToken).alg).toBe('RS256');
    const member = await memberOfClaims(scratch.db.prisma, orgId, identity);
    expect(member.externalId).toBe('alice');
  });

  it('a JWT access token for our API (ES256, at+jwt) verifies; its subject names the member bound to it', async () => {
    const dave = await idp.signIn('dave-sub');
    const identity = await verifier().verify(dave.accessToken, apiTrust());
    expect(identity).toMatchObject({ subject: 'dave-sub', email: null, emailVerified: false, kind: 'access_token' });
    expect(decodeProtectedHeader(dave.accessToken)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    const member = await memberOfClaims(scratch.db.prisma, orgId, identity);
    expect(member).toMatchObject({ externalId: 'dave', role: 'admin' });
  });

  it('refuses an expired token (our clock past its exp, beyond the tolerance)', async () => {
    const { exp } = decodeJwt(tokens.idToken);
    const v = verifier({ now: () => new Date((exp! + 61) * 1000) });
    expect(await refusal(v.verify(tokens.idToken, idTrust()))).toBe('expired');
    // Within the 60 s tolerance it is still good: the refusal above is about expiry.
    const lenient = verifier({ now: () => new Date((exp! + 30) * 1000) });
    await expect(lenient.verify(tokens.idToken, idTrust())).resolves.toMatchObject({ subject: 'alice' });
  });

  it('refuses a token issued in the future', async () => {
    const { iat } = decodeJwt(tokens.idToken);
    const v = verifier({ now: () => new Date((iat! - 600) * 1000) });
    expect(await refusal(v.verify(tokens.idToken, idTrust()))).toBe('not_yet_valid');
  });

  it('refuses a token for another audience: an ID token is not an API access token, and the reverse', async () => {
    const v = verifier();
    expect(await refusal(v.verify(tokens.idToken, apiTrust()))).toBe('wrong_audience');
    expect(await refusal(v.verify(tokens.accessToken, idTrust()))).toBe('wrong_audience');
    expect(await refusal(v.verify(tokens.idToken, { issuer: idp.issuer, audience: 'another-client' }))).toBe('wrong_audience');
  });

  it('refuses a token from another issuer, which verifies against its own', async () => {
    const foreign = await other.signIn('alice');
    const v = verifier();
    expect(await refusal(v.verify(foreign.idToken, idTrust()))).toBe('wrong_issuer');
    await expect(v.verify(foreign.idToken, { issuer: other.issuer, audience: CLIENT_ID })).resolves.toMatchObject({ issuer: other.issuer });
    expect(unverifiedIssuer(foreign.idToken)).toBe(other.issuer);
  });

  it('refuses a token signed by an impostor claiming our issuer with keys the issuer does not publish', async () => {
    const v = verifier({ jwksCooldownMs: 0 });
    await v.verify(tokens.idToken, idTrust()); // keys fetched and cached
    idp.serve(await newSigningKeys('impostor'));
    const forged = await idp.signIn('alice');
    idp.serve(keysA);
    const before = idp.jwksRequests;
    expect(await refusal(v.verify(forged.idToken, idTrust()))).toBe('unknown_key');
    expect(await refusal(v.verify(forged.accessToken, apiTrust()))).toBe('unknown_key');
    // An unknown key id makes it look again (that is how rotation is picked up); still unknown.
    expect(idp.jwksRequests).toBeGreaterThan(before);
  });

  it('refuses a signature by other key material under a published key id', async () => {
    const prefix = keysA.keys[0]!.kid!.replace(/-rsa$/, '');
    idp.serve(await newSigningKeys(prefix)); // same kids, different keys
    const forged = await idp.signIn('alice');
    idp.serve(keysA);
    expect(decodeProtectedHeader(forged.idToken).kid).toBe(keysA.keys[0]!.kid);
    expect(await refusal(verifier().verify(forged.idToken, idTrust()))).toBe('bad_signature');
  });

  it('refuses a tampered payload or signature', async () => {
    const [h, p, s] = tokens.idToken.split('.') as [string, string, string];
    const claims = decodeJwt(tokens.idToken);
    const v = verifier();
    const otherEmail = `${h}.${b64({ ...claims, email: 'owner-1@example.com' })}.${s}`;
    expect(await refusal(v.verify(otherEmail, idTrust()))).toBe('bad_signature');
    const sig = Buffer.from(s, 'base64url');
    sig[10] = sig[10]! ^ 0x01;
    expect(await refusal(v.verify(`${h}.${p}.${sig.toString('base64url')}`, idTrust()))).toBe('bad_signature');
  });

  it('refuses alg none and HS256 (signed with the client secret) before fetching anything', async () => {
    const claims = decodeJwt(tokens.idToken);
    const counter = countingFetch();
    const v = verifier({ fetch: counter.fetch });
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
    expect(await refusal(v.verify(unsigned, idTrust()))).toBe('unsupported_alg');
    const hmac = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: keysA.keys[0]!.kid }).sign(new TextEncoder().encode(CLIENT_SECRET));
    expect(await refusal(v.verify(hmac, idTrust()))).toBe('unsupported_alg');
    expect(await refusal(v.verify('not-a-jwt', idTrust()))).toBe('malformed');
    expect(counter.urls).toEqual([]);
  });

  it('refuses an unknown email, an unverified email and a token without either; nothing changes', async () => {
    const before = await dbState();
    const v = verifier();
    const carol = await v.verify((await idp.signIn('carol')).idToken, idTrust());
    expect(await refusal(memberOfClaims(scratch.db.prisma, orgId, carol))).toBe('unknown_member');
    const bob = await v.verify((await idp.signIn('bob')).idToken, idTrust());
    expect(bob).toMatchObject({ email: 'bob@example.com', emailVerified: false });
    expect(await refusal(memberOfClaims(scratch.db.prisma, orgId, bob))).toBe('email_unverified');
    // Alice's access token has her subject but no email, and no member is bound to "alice".
    const alice = await v.verify(tokens.accessToken, apiTrust());
    expect(await refusal(memberOfClaims(scratch.db.prisma, orgId, alice))).toBe('unknown_member');
    expect(await dbState()).toEqual(before);
  });

  it('picks up rotated keys: a token with a new key id verifies once the key set is fetched again', async () => {
    const v = verifier({ jwksCooldownMs: 0 });
    await v.verify(tokens.idToken, idTrust());
    const fetchedBefore = idp.jwksRequests;
    const rotated = await newSigningKeys('rotated');
    idp.serve({ keys: [...rotated.keys, ...keysA.keys] }); // new keys sign; old ones still published
    try {
      const fresh = await idp.signIn('alice');
      expect(decodeProtectedHeader(fresh.idToken).kid).toBe('rotated-rsa');
      await expect(v.verify(fresh.idToken, idTrust())).resolves.toMatchObject({ subject: 'alice' });
      await expect(v.verify(fresh.accessToken, apiTrust())).resolves.toMatchObject({ subject: 'alice' });
      expect(idp.jwksRequests).toBe(fetchedBefore + 1);
      await expect(v.verify(tokens.idToken, idTrust())).resolves.toMatchObject({ subject: 'alice' });
    } finally {
      idp.serve(keysA);
    }
  });

  it('looks for an unknown key at most once per cooldown, so forged key ids cannot hammer the provider', async () => {
    const v = verifier(); // default cooldown: 30 s
    await v.verify(tokens.idToken, idTrust());
    const fetched = idp.jwksRequests;
    const [, p, s] = tokens.idToken.split('.');
    for (const kid of ['x1', 'x2', 'x3']) {
      expect(await refusal(v.verify(`${b64({ alg: 'RS256', kid })}.${p}.${s}`, idTrust()))).toBe('unknown_key');
    }
    expect(idp.jwksRequests).toBe(fetched);
  });

  it('caches the discovery document per issuer for its TTL', async () => {
    let now = new Date();
    const counter = countingFetch();
    const v = verifier({ fetch: counter.fetch, now: () => now, discoveryTtlMs: 60_000 });
    const discovery = () => counter.urls.filter((u) => u.endsWith('/.well-known/openid-configuration')).length;
    await Promise.all([v.verify(tokens.idToken, idTrust()), v.verify(tokens.accessToken, apiTrust())]);
    await v.verify(tokens.idToken, idTrust());
    expect(discovery()).toBe(1);
    now = new Date(now.getTime() + 61_000);
    await v.verify(tokens.idToken, idTrust());
    expect(discovery()).toBe(2);
    expect(counter.urls.filter((u) => u.startsWith(`${idp.issuer}/jwks`))).toHaveLength(1); // the key set outlives a discovery refresh
  });

  it('refuses a discovery document that names another issuer, even with the right keys behind it', async () => {
    // The real document with only its issuer changed: without the exact-match check
    // the token would verify against these keys.
    const relabelled: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!String(input).endsWith('/.well-known/openid-configuration')) return res;
      const doc = (await res.json()) as Record<string, unknown>;
      return Response.json({ ...doc, issuer: 'https://idp.example.com' });
    };
    expect(await refusal(verifier({ fetch: relabelled }).verify(tokens.idToken, idTrust()))).toBe('discovery_failed');
    const trailingSlash = { issuer: `${idp.issuer}/`, audience: CLIENT_ID };
    const [h, , s] = tokens.idToken.split('.');
    const slashed = `${h}.${b64({ ...decodeJwt(tokens.idToken), iss: trailingSlash.issuer })}.${s}`;
    expect(await refusal(verifier().verify(slashed, trailingSlash))).toBe('discovery_failed');
  });

  it('refuses tokens of an issuer that cannot be reached, or is remote over plain http, without trusting them', async () => {
    const closed = await startProvider({ accounts });
    const closedIssuer = closed.issuer;
    const token = (await closed.signIn('alice')).idToken;
    await closed.close();
    expect(await refusal(verifier({ timeoutMs: 2_000 }).verify(token, { issuer: closedIssuer, audience: CLIENT_ID }))).toBe('discovery_failed');
    const counter = countingFetch();
    const [h, , s] = token.split('.');
    const remote = `${h}.${b64({ ...decodeJwt(token), iss: 'http://idp.example.com' })}.${s}`;
    expect(await refusal(verifier({ fetch: counter.fetch }).verify(remote, { issuer: 'http://idp.example.com', audience: CLIENT_ID }))).toBe('discovery_failed');
    expect(counter.urls).toEqual([]);
  });
});
