// Refused sign-ins are throttled, per client address and per link token: guessing or
// replaying links (or a client stuck in a loop) gets 429 with Retry-After instead of a
// 401 (and an audit row) each time. Only refusals count: people signing in are never
// slowed. Counted in this process's memory (each API process keeps its own).
import { createHash } from 'node:crypto';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

export const SIGN_IN_LIMITS = {
  /** Refused sign-ins from one client address in a minute. */
  perAddress: { points: 20, duration: 60 },
  /** Refused uses of one link token in ten minutes. */
  perToken: { points: 5, duration: 600 },
} as const;

export class SignInThrottled extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`too many refused sign-ins: try again in ${retryAfterSeconds} s`);
  }
}

export interface SignInThrottle {
  /** Throws SignInThrottled while this address or token is over its limit. */
  check(address: string, token: string): Promise<void>;
  /** Counts one refusal of this address and token. */
  refused(address: string, token: string): Promise<void>;
}

const tokenKey = (token: string) => createHash('sha256').update(token).digest('base64url');

export function signInThrottle(onThrottled: () => void = () => {}): SignInThrottle {
  const byAddress = new RateLimiterMemory(SIGN_IN_LIMITS.perAddress);
  const byToken = new RateLimiterMemory(SIGN_IN_LIMITS.perToken);
  const over = (res: RateLimiterRes | null, limit: number) => (res && res.consumedPoints >= limit ? Math.max(1, Math.ceil(res.msBeforeNext / 1000)) : 0);
  return {
    async check(address, token) {
      const [a, t] = await Promise.all([byAddress.get(address), byToken.get(tokenKey(token))]);
      const wait = Math.max(over(a, SIGN_IN_LIMITS.perAddress.points), over(t, SIGN_IN_LIMITS.perToken.points));
      if (wait > 0) {
        onThrottled();
        throw new SignInThrottled(wait);
      }
    },
    async refused(address, token) {
      // Past the limit penalty() keeps counting without throwing (consume() would).
      await Promise.all([byAddress.penalty(address), byToken.penalty(tokenKey(token))]);
    },
  };
}
