// Errors the client raises. Both extend the SDK's AnthropicError: a MessageStream
// passes an AnthropicError through as it is (it wraps anything else), so
// `err instanceof ExtraUsageRefusedError` holds for create and stream alike.
import { AnthropicError } from '@anthropic-ai/sdk';

/** Why the control plane refused; a newer control plane may add reasons. */
export type RefusalReason =
  | 'model_unpriced'
  | 'extra_usage_disabled'
  | 'seat_limit_reached'
  | 'continue_on_extra_usage_off'
  | 'product_not_enabled'
  | 'product_cap_reached'
  | 'member_cap_reached'
  | 'seat_tier_cap_reached'
  | 'org_cap_reached'
  | 'balance_exhausted'
  | (string & {});

export interface Refusal {
  member: string;
  memberId: string;
  reason: RefusalReason;
  /** When the limit lifts; null when it does not by itself (a Team balance to top up). */
  resetsAt: Date | null;
  /** An admin could grant more: the member may file a request for extra usage. */
  canRequestExtraUsage: boolean;
  /**
   * The control plane's words for the person refused (what stopped them, when it lifts in
   * their org's time, the next step and its link): the error's message when present.
   */
  text?: string | null;
}

/** The control plane refused the request: the model was not called and nothing was recorded. */
export class ExtraUsageRefusedError extends AnthropicError implements Refusal {
  override readonly name = 'ExtraUsageRefusedError';
  readonly member: string;
  readonly memberId: string;
  readonly reason: RefusalReason;
  readonly resetsAt: Date | null;
  readonly canRequestExtraUsage: boolean;

  constructor(refusal: Refusal) {
    const until = refusal.resetsAt ? ` until ${refusal.resetsAt.toISOString()}` : '';
    // The server's one wording, shown as it is; a control plane too old to send it gets the code.
    super(refusal.text || `extra usage refused for member '${refusal.member}': ${refusal.reason}${until}`);
    this.member = refusal.member;
    this.memberId = refusal.memberId;
    this.reason = refusal.reason;
    this.resetsAt = refusal.resetsAt;
    this.canRequestExtraUsage = refusal.canRequestExtraUsage;
  }
}

export interface ControlPlaneErrorDetails {
  /** The HTTP status, or null when no answer came (connection refused, timeout). */
  status: number | null;
  /** The control plane's error code (`invalid_request`, `conflict`, …) when it sent one. */
  code?: string | null;
  /** The field it blamed (`model`, `usage.output_tokens`, …). */
  field?: string | null;
  cause?: unknown;
}

/** The control plane could not be reached or did not accept the call. */
export class ControlPlaneError extends AnthropicError {
  override readonly name = 'ControlPlaneError';
  readonly status: number | null;
  readonly code: string | null;
  readonly field: string | null;

  constructor(message: string, details: ControlPlaneErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status;
    this.code = details.code ?? null;
    this.field = details.field ?? null;
  }

  /** Worth trying again: no answer, a server error, or rate limited. A 4xx would answer the same. */
  get retryable(): boolean {
    return this.status === null || this.status >= 500 || this.status === 429 || this.status === 408;
  }
}
