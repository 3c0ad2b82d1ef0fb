// Verifies ID tokens and JWT access tokens from an org's own OpenID Provider. The
// issuer and audience come from our configuration (the org document), never from the
// token: the token's claims are only trusted after its signature checks out against
// the keys the configured issuer publishes.
//
// Discovery documents are cached per issuer for a TTL; keys come from jose's remote
// JWKS, which caches them and refetches when a token names a key id it has not seen
// (rotation), at most once per cooldown so garbage tokens cannot hammer the provider.
import { isAcceptableProviderUrl } from '../domain/provider-url.js';
import {
  createRemoteJWKSet,
  customFetch,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type FetchImplementation,
  type JWTPayload,
  type JWTVerifyGetKey,
  type RemoteJWKSet,
} from 'jose';
import { z } from 'zod';
import { IdentityError } from './errors.js';
import { refusal } from './jose-errors.js';

/** Asymmetric signatures only: `none` and HS* (a shared secret anyone with the client secret holds) never verify. */
export const ACCEPTED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;
export type AcceptedAlgorithm = (typeof ACCEPTED_ALGORITHMS)[number];

export interface OidcTrust {
  /** The issuer exactly as the provider names itself (the org document's value). */
  issuer: string;
  /** Our client id at the provider (ID tokens), or the API's resource identifier (access tokens). */
  audience: string | readonly string[];
}

export interface VerifiedIdentity {
  issuer: string;
  subject: string;
  /** As the provider sent it; compare case-insensitively. */
  email: string | null;
  emailVerified: boolean;
  expiresAt: Date;
  kind: 'id_token' | 'access_token';
}

export interface OidcVerifierOptions {
  fetch?: typeof globalThis.fetch;
  now?: () => Date;
  /** How long a discovery document is reused. */
  discoveryTtlMs?: number;
  /** How long a fetched key set is reused before it is fetched again. */
  jwksMaxAgeMs?: number;
  /** A token with an unknown key id refetches the key set at most this often. */
  jwksCooldownMs?: number;
  timeoutMs?: number;
  /** Clocks differ between us and the provider by at most this. */
  clockToleranceSeconds?: number;
  /** Refuse tokens issued longer ago than this, whatever their expiry says. */
  maxTokenAgeSeconds?: number;
  algorithms?: readonly AcceptedAlgorithm[];
}

export interface OidcVerifier {
  verify(token: string, trust: OidcTrust): Promise<VerifiedIdentity>;
}

const MAX_TOKEN_LENGTH = 16_384;
export { isAcceptableProviderUrl };

/** OIDC Discovery 1.0 §4: the issuer without a trailing slash, plus the well-known path. */
export const discoveryUrl = (issuer: string) => `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;

/**
 * The `iss` a token claims, unverified: only for choosing which org's configuration to
 * verify it against, never for trusting it.
 */
export function unverifiedIssuer(token: string): string | null {
  try {
    const { iss } = decodeJwt(token);
    return typeof iss === 'string' ? iss : null;
  } catch {
    return null;
  }
}

const discoverySchema = z.looseObject({
  issuer: z.string(),
  jwks_uri: z.string(),
});

interface IssuerKeys {
  jwks: RemoteJWKSet;
}

// Types the provider marks its JWTs with; anything else (a logout token, a
// proprietary type) is not a sign-in credential.
const ID_TOKEN_TYPES = new Set(['jwt']);
const ACCESS_TOKEN_TYPES = new Set(['at+jwt']);
const normalizeTyp = (typ: string) => typ.toLowerCase().replace(/^application\//, '');

export function createOidcVerifier(options: OidcVerifierOptions = {}): OidcVerifier {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const now = options.now ?? (() => new Date());
  const discoveryTtlMs = options.discoveryTtlMs ?? 60 * 60_000;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const algorithms = [...(options.algorithms ?? ACCEPTED_ALGORITHMS)];
  for (const alg of algorithms) {
    if (!(ACCEPTED_ALGORITHMS as readonly string[]).includes(alg)) throw new TypeError(`algorithm ${alg} is not an accepted asymmetric algorithm`);
  }
  const jwksFetch: FetchImplementation = (url, init) => fetchImpl(url, init);

  // One entry per issuer; the promise dedupes concurrent first verifications.
  const discovered = new Map<string, { at: number; keys: Promise<IssuerKeys> }>();
  // One key set per jwks_uri, kept across discovery refreshes so its cache survives.
  const keySets = new Map<string, RemoteJWKSet>();

  async function discover(issuer: string): Promise<IssuerKeys> {
    if (!isAcceptableProviderUrl(issuer)) throw new IdentityError('discovery_failed', `issuer ${issuer} must be an https URL`);
    let body: unknown;
    try {
      const res = await fetchImpl(discoveryUrl(issuer), {
        headers: { accept: 'application/json' },
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      body = await res.json();
    } catch (err) {
      throw new IdentityError('discovery_failed', `could not fetch the discovery document of ${issuer}: ${(err as Error).message}`, { cause: err });
    }
    const parsed = discoverySchema.safeParse(body);
    if (!parsed.success) throw new IdentityError('discovery_failed', `the discovery document of ${issuer} lacks issuer or jwks_uri`);
    // OIDC Discovery §4.3: a document naming another issuer is not this provider's.
    if (parsed.data.issuer !== issuer) {
      throw new IdentityError('discovery_failed', `the discovery document at ${discoveryUrl(issuer)} names issuer ${parsed.data.issuer}, not ${issuer}`);
    }
    const jwksUri = parsed.data.jwks_uri;
    if (!isAcceptableProviderUrl(jwksUri)) throw new IdentityError('discovery_failed', `jwks_uri ${jwksUri} must be an https URL`);
    let jwks = keySets.get(jwksUri);
    if (!jwks) {
      jwks = createRemoteJWKSet(new URL(jwksUri), {
        timeoutDuration: timeoutMs,
        cooldownDuration: options.jwksCooldownMs ?? 30_000,
        cacheMaxAge: options.jwksMaxAgeMs ?? 10 * 60_000,
        [customFetch]: jwksFetch,
      });
      keySets.set(jwksUri, jwks);
    }
    return { jwks };
  }

  function keysOf(issuer: string): Promise<IssuerKeys> {
    const at = now().getTime();
    const hit = discovered.get(issuer);
    if (hit && at - hit.at < discoveryTtlMs && at >= hit.at) return hit.keys;
    const keys = discover(issuer);
    const entry = { at, keys };
    discovered.set(issuer, entry);
    // A failure is not cached: the next sign-in tries again.
    keys.catch(() => {
      if (discovered.get(issuer) === entry) discovered.delete(issuer);
    });
    return keys;
  }

  async function verify(token: string, trust: OidcTrust): Promise<VerifiedIdentity> {
    const audience = typeof trust.audience === 'string' ? [trust.audience] : [...trust.audience];
    if (audience.length === 0 || audience.some((a) => !a)) throw new TypeError('an OIDC audience is required');
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw new IdentityError('malformed', 'the token is not a JWT');

    // Checks on the unverified token can only refuse, never accept: they give a precise
    // reason and keep garbage (unsigned, HS256, someone else's) from causing any fetch.
    let header: ReturnType<typeof decodeProtectedHeader>;
    let unverified: JWTPayload;
    try {
      header = decodeProtectedHeader(token);
      unverified = decodeJwt(token);
    } catch (err) {
      throw new IdentityError('malformed', 'the token is not a JWT', { cause: err });
    }
    if (typeof header.alg !== 'string' || !(algorithms as string[]).includes(header.alg)) {
      throw new IdentityError('unsupported_alg', `tokens signed with ${JSON.stringify(header.alg ?? null)} are not accepted`);
    }
    if (unverified.iss !== trust.issuer) throw new IdentityError('wrong_issuer', `the token was issued by ${String(unverified.iss)}, not ${trust.issuer}`);
    const typ = header.typ === undefined ? 'jwt' : normalizeTyp(String(header.typ));
    if (!ID_TOKEN_TYPES.has(typ) && !ACCESS_TOKEN_TYPES.has(typ)) throw new IdentityError('malformed', `tokens of type ${header.typ} are not sign-in tokens`);

    const { jwks } = await keysOf(trust.issuer);
    // Key-set fetch failures are the provider's, not the token's.
    const getKey: JWTVerifyGetKey = async (protectedHeader, input) => {
      try {
        return await jwks(protectedHeader, input);
      } catch (err) {
        if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) throw err;
        throw new IdentityError('discovery_failed', `could not fetch the keys of ${trust.issuer}: ${(err as Error).message}`, { cause: err });
      }
    };

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, getKey, {
        issuer: trust.issuer,
        audience,
        algorithms,
        clockTolerance: options.clockToleranceSeconds ?? 60,
        maxTokenAge: options.maxTokenAgeSeconds ?? 24 * 60 * 60,
        currentDate: now(),
        requiredClaims: ['sub', 'exp', 'iat'],
      }));
    } catch (err) {
      throw refusal(err);
    }

    if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 255) throw new IdentityError('malformed', 'the token has no usable subject');
    // A sender-constrained token (DPoP, mTLS) is only valid with its proof, which a bearer header lacks.
    if (payload.cnf !== undefined) throw new IdentityError('malformed', 'sender-constrained tokens cannot be used as bearer tokens');
    // Several audiences: OIDC Core §3.1.3.7 says the authorized party must be one of ours.
    const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (aud.length > 1 && typeof payload.azp === 'string' && !audience.includes(payload.azp)) {
      throw new IdentityError('wrong_audience', `the token was issued to ${payload.azp}`);
    }
    const email = typeof payload.email === 'string' && payload.email.length > 0 ? payload.email : null;
    return {
      issuer: trust.issuer,
      subject: payload.sub,
      email,
      // Some providers send the string "true"; anything else is unverified.
      emailVerified: email !== null && (payload.email_verified === true || payload.email_verified === 'true'),
      expiresAt: new Date(payload.exp! * 1000),
      kind: ACCESS_TOKEN_TYPES.has(typ) ? 'access_token' : 'id_token',
    };
  }

  return { verify };
}
