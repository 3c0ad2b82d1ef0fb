// Tells a network failure (the other side could not be reached, or answered with a
// server error or a rate limit: try again later) from a refusal (it answered and said
// no: a wrong token or key, a configuration error). The service degrades on the first
// and stops on the second. Pure: looks only at the error's codes, names and causes.

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED',
  // nodemailer: could not connect, or the connection dropped
  'ECONNECTION', 'ESOCKET', 'EDNS',
  // undici (fetch)
  'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED',
  // @slack/web-api: no answer at all, or an HTTP error status (5xx), or rate limited
  'slack_webapi_request_error', 'slack_webapi_rate_limited',
]);

/**
 * @azure/msal-node (the Teams bot's token from Microsoft Entra): the request not sent or
 * unanswered (network_error), the login endpoint's metadata not fetched
 * (endpoints_resolution_error, openid_config_error), or Entra saying "try later"
 * (temporarily_unavailable, server_error).
 */
const MSAL_UNREACHABLE = new Set(['network_error', 'openid_config_error', 'endpoints_resolution_error', 'temporarily_unavailable', 'server_error']);

/** gRPC UNAVAILABLE (14) and DEADLINE_EXCEEDED (4): Temporal's server not reachable. */
const GRPC_UNREACHABLE = new Set([4, 14]);

export function isNetworkFailure(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 5) return false;
  const e = err as { code?: unknown; type?: unknown; name?: unknown; statusCode?: unknown; status?: unknown; message?: unknown; cause?: unknown; original?: unknown; responseCode?: unknown; errorCode?: unknown };
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  if (e.code === 'slack_webapi_http_error') return typeof e.statusCode === 'number' && e.statusCode >= 500;
  if (typeof e.code === 'number' && GRPC_UNREACHABLE.has(e.code)) return true;
  if (typeof e.errorCode === 'string' && MSAL_UNREACHABLE.has(e.errorCode)) return true;
  if (e.name === 'ServerError' && typeof e.status === 'number' && e.status >= 500) return true;
  // stripe-node
  if (e.type === 'StripeConnectionError' || e.type === 'StripeRateLimitError') return true;
  if (e.type === 'StripeAPIError' && typeof e.statusCode === 'number' && e.statusCode >= 500) return true;
  // An SMTP server saying "try later" (4xx) is not a refusal either.
  if (typeof e.responseCode === 'number' && e.responseCode >= 400 && e.responseCode < 500 && e.code !== 'EAUTH') return true;
  if (e.name === 'TimeoutError' || e.name === 'ConnectTimeoutError') return true;
  if (e.name === 'TransportError' || e.name === 'ConnectionError') return true;
  if (typeof e.message === 'string' && /^fetch failed$|socket hang up|ECONNREFUSED|UNAVAILABLE: |Failed to connect before the deadline/.test(e.message)) return true;
  // Several sends failed at once (a chat notifier's AggregateError): a network failure when every one of them is.
  const errors = (e as { errors?: unknown }).errors;
  if (Array.isArray(errors) && errors.length > 0 && errors.every((x) => isNetworkFailure(x, depth + 1))) return true;
  return isNetworkFailure(e.cause, depth + 1) || isNetworkFailure(e.original, depth + 1);
}
