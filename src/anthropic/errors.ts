// What went wrong talking to Anthropic, in words an owner or operator acts on, and
// whether trying again later can help (unreachable, 429, 5xx) or not (the key, its
// permissions, a request already decided).
import { APIConnectionError, APIError } from '@anthropic-ai/sdk';

export type AnthropicFaultKind = 'unreachable' | 'rate_limited' | 'server' | 'key_refused' | 'no_permission' | 'writes_not_enabled' | 'not_found' | 'refused';

export interface AnthropicFault {
  kind: AnthropicFaultKind;
  /** Worth trying again later (back-off): nothing is wrong with what we sent. */
  transient: boolean;
  message: string;
}

export function anthropicFault(err: unknown): AnthropicFault | null {
  if (err instanceof APIConnectionError) return { kind: 'unreachable', transient: true, message: 'Anthropic could not be reached (network or timeout); it is tried again' };
  if (!(err instanceof APIError)) return null;
  const said = detail(err);
  if (err.status === 401) return { kind: 'key_refused', transient: false, message: 'Anthropic refused the Admin API key (revoked or mistyped): connect again with a valid key' };
  if (err.errorCode === 'spend_limits_admin_api_writes_not_enabled') {
    return { kind: 'writes_not_enabled', transient: false, message: 'Anthropic has not enabled spend limit changes through the Admin API for this organization: change the limit in claude.ai (Admin settings), or ask your Anthropic account team to enable Admin API spend limit writes' };
  }
  if (err.status === 403) return { kind: 'no_permission', transient: false, message: `the Admin API key may not do this${said ? ` (${said})` : ''}: use a key of an owner or admin with access to users and spend limits` };
  if (err.status === 404) return { kind: 'not_found', transient: false, message: `Anthropic does not know it${said ? ` (${said})` : ''}` };
  if (err.status === 429) return { kind: 'rate_limited', transient: true, message: 'Anthropic asked us to slow down (429); it is tried again' };
  if (err.status !== undefined && err.status >= 500) return { kind: 'server', transient: true, message: `Anthropic answered ${err.status}; it is tried again` };
  return { kind: 'refused', transient: false, message: `Anthropic refused it${said ? `: ${said}` : ` (${err.status})`}` };
}

/** The error's own message from the body, never our request (which carries the key in a header only). */
function detail(err: APIError): string {
  const body = err.error as { error?: { message?: unknown } } | undefined;
  const m = body?.error?.message;
  return typeof m === 'string' ? m.slice(0, 300) : '';
}

/** Anthropic could not answer now (unreachable, 429, 5xx): nothing was changed; try again later. */
export class AnthropicUnavailable extends Error {
  constructor(readonly fault: AnthropicFault) {
    super(fault.message);
  }
}
