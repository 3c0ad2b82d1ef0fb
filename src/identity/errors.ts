// Every way proving who you are can fail. Each is a 401 (a LedgerError, so the API's
// error handler renders it without special wiring); the reason is for logs, tests and
// a message a person can act on, never a hint that changes what is accepted.
import { LedgerError } from '../ledger/errors.js';

export const IDENTITY_ERROR_REASONS = [
  // token verification (OIDC and sessions)
  'expired',
  'not_yet_valid',
  'wrong_audience',
  'wrong_issuer',
  'unknown_key',
  'bad_signature',
  'unsupported_alg',
  'malformed',
  'discovery_failed',
  // mapping verified claims to a member
  'unknown_member',
  'email_unverified',
  'ambiguous_member',
  // sign-in links
  'link_unknown',
  'link_used',
  'link_expired',
  // sessions
  'session_ended',
] as const;
export type IdentityErrorReason = (typeof IDENTITY_ERROR_REASONS)[number];

export class IdentityError extends LedgerError {
  constructor(
    readonly reason: IdentityErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(401, 'unauthorized', message, 'authorization');
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

export const isIdentityError = (err: unknown, reason?: IdentityErrorReason): err is IdentityError =>
  err instanceof IdentityError && (reason === undefined || err.reason === reason);
