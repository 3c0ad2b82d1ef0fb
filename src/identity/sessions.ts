// Short-lived sessions for people whose org has no identity provider: a JWT we sign
// ourselves (HS256, a service secret) once a sign-in link is redeemed. It names the
// member, the org and the member's session epoch; what they may do is read from the
// stored member on every request, and a session of an older epoch is refused, so removing
// a member, re-adding them, changing a role or signing out ends their sessions at once.
import { hkdfSync, randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { IdentityError } from './errors.js';
import { refusal } from './jose-errors.js';

export const SESSION_ISSUER = 'extra-usage-control-plane';
/** Distinguishes our sessions from any other JWT, including an org provider's. */
export const SESSION_TYPE = 'eu-session+jwt';
const SESSION_AUDIENCE = 'extra-usage-session';
export const DEFAULT_SESSION_TTL_SECONDS = 12 * 60 * 60;
const MIN_SECRET_BYTES = 32;

export interface SessionOptions {
  /** At least 32 bytes; see deriveSessionSecret. */
  secret: Uint8Array;
  issuer?: string;
  ttlSeconds?: number;
  now?: () => Date;
  /** Clock skew between processes of a deployment. */
  clockToleranceSeconds?: number;
}

export interface Session {
  token: string;
  expiresAt: Date;
}

export interface SessionClaims {
  sessionId: string;
  memberId: string;
  orgId: string;
  issuedAt: Date;
  expiresAt: Date;
  /** The member's session epoch when it was issued: a later epoch ends it. */
  epoch: number;
}

export interface Sessions {
  issue(subject: { memberId: string; orgId: string; epoch: number }): Promise<Session>;
  verify(token: string): Promise<SessionClaims>;
}

/**
 * A session key from a longer-lived service secret (HKDF-SHA256), so the wiring can
 * use one configured secret without the session key being that secret.
 */
export function deriveSessionSecret(serviceSecret: string): Uint8Array {
  if (serviceSecret.length < 16) throw new TypeError('the service secret must be at least 16 characters');
  return new Uint8Array(hkdfSync('sha256', serviceSecret, 'extra-usage-control-plane', 'session signing key v1', 32));
}

export function createSessions(options: SessionOptions): Sessions {
  const { secret } = options;
  if (!(secret instanceof Uint8Array) || secret.byteLength < MIN_SECRET_BYTES) throw new TypeError(`the session secret must be at least ${MIN_SECRET_BYTES} bytes`);
  const issuer = options.issuer ?? SESSION_ISSUER;
  const ttlSeconds = options.ttlSeconds ?? DEFAULT_SESSION_TTL_SECONDS;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) throw new TypeError('the session TTL must be a positive whole number of seconds');
  const now = options.now ?? (() => new Date());

  return {
    async issue({ memberId, orgId, epoch }) {
      const iat = Math.floor(now().getTime() / 1000);
      const exp = iat + ttlSeconds;
      const token = await new SignJWT({ org: orgId, ep: epoch })
        .setProtectedHeader({ alg: 'HS256', typ: SESSION_TYPE })
        .setIssuer(issuer)
        .setAudience(SESSION_AUDIENCE)
        .setSubject(memberId)
        .setJti(randomUUID())
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(secret);
      return { token, expiresAt: new Date(exp * 1000) };
    },

    async verify(token) {
      if (typeof token !== 'string' || token.length === 0 || token.length > 4096) throw new IdentityError('malformed', 'the session token is not a JWT');
      let payload;
      try {
        ({ payload } = await jwtVerify(token, secret, {
          algorithms: ['HS256'],
          typ: SESSION_TYPE,
          issuer,
          audience: SESSION_AUDIENCE,
          currentDate: now(),
          clockTolerance: options.clockToleranceSeconds ?? 5,
          requiredClaims: ['sub', 'exp', 'iat', 'jti'],
        }));
      } catch (err) {
        throw refusal(err);
      }
      if (typeof payload.sub !== 'string' || typeof payload.org !== 'string' || typeof payload.jti !== 'string') {
        throw new IdentityError('malformed', 'the session token lacks its member or organisation');
      }
      return {
        sessionId: payload.jti,
        memberId: payload.sub,
        orgId: payload.org,
        issuedAt: new Date(payload.iat! * 1000),
        expiresAt: new Date(payload.exp! * 1000),
        // Sessions from before epochs existed are of the first one.
        epoch: typeof payload.ep === 'number' ? payload.ep : 0,
      };
    },
  };
}
