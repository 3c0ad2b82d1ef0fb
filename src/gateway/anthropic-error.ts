// Answers in the Messages API's own error shape, so Claude Code and the SDKs show the
// message as they would Anthropic's: {"type":"error","error":{"type":…,"message":…}}.
export type AnthropicErrorType = 'invalid_request_error' | 'authentication_error' | 'permission_error' | 'not_found_error' | 'request_too_large' | 'rate_limit_error' | 'api_error' | 'overloaded_error';

export interface GatewayError {
  status: number;
  type: AnthropicErrorType;
  message: string;
  /** Extra answer headers (x-should-retry, retry-after). */
  headers?: Record<string, string>;
}

export const errorBody = (e: Pick<GatewayError, 'type' | 'message'>) => JSON.stringify({ type: 'error', error: { type: e.type, message: e.message } });

export class GatewayRefusal extends Error implements GatewayError {
  constructor(readonly status: number, readonly type: AnthropicErrorType, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

/** Nothing a retry would change: the SDKs and Claude Code honour x-should-retry. */
export const NO_RETRY = { 'x-should-retry': 'false' } as const;
