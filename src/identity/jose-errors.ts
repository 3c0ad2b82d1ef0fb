// jose's verification failures as IdentityError reasons, shared by the OIDC verifier
// and our own session tokens.
import { errors } from 'jose';
import { IdentityError } from './errors.js';

/** jose's failures as our reasons. */
export function refusal(err: unknown): IdentityError {
  if (err instanceof IdentityError) return err;
  const cause = { cause: err };
  if (err instanceof errors.JWTExpired) return new IdentityError('expired', err.claim === 'iat' ? 'the token was issued too long ago' : 'the token has expired', cause);
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case 'aud':
        return new IdentityError('wrong_audience', 'the token was not issued for this service', cause);
      case 'iss':
        return new IdentityError('wrong_issuer', 'the token was issued by another provider', cause);
      case 'nbf':
      case 'iat':
        return new IdentityError('not_yet_valid', 'the token is not valid yet', cause);
      default:
        return new IdentityError('malformed', `the token's ${err.claim} claim is missing or invalid`, cause);
    }
  }
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) {
    return new IdentityError('unknown_key', 'the token was signed with a key the provider does not publish', cause);
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return new IdentityError('bad_signature', 'the token signature does not verify', cause);
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) return new IdentityError('unsupported_alg', 'the token signature algorithm is not accepted', cause);
  if (err instanceof errors.JOSEError) return new IdentityError('malformed', `the token is invalid: ${err.message}`, cause);
  return new IdentityError('discovery_failed', `could not verify the token: ${(err as Error)?.message ?? String(err)}`, cause);
}
