// A small HTTP client for the control plane's metering calls (POST /v1/usage/authorize
// and /v1/usage/record). The transport is injected: pass your own `fetch` to add
// proxies, tracing or test doubles. Answers are checked with zod; amounts stay the
// decimal strings the control plane sends (money is never a float).
import { z } from 'zod';
import { ControlPlaneError } from './errors.js';

export interface ControlPlaneOptions {
  /** Where the control plane listens, e.g. `https://extra-usage.example.com`. */
  baseURL: string;
  /** An API key with the `usage` scope (`eu_…`). */
  apiKey: string;
  /** Defaults to the global fetch. */
  fetch?: typeof globalThis.fetch;
  /** Per call; the control plane sits on the hot path of every model request. Default 10 s. */
  timeoutMs?: number;
}

/** Reservation mode: an upper bound the control plane holds against every cap. */
export interface Estimate {
  /** Every prompt token: input plus cache writes and reads. */
  input_tokens: number;
  /** The request's max_tokens. */
  max_tokens: number;
}

export interface AuthorizeRequest {
  member: string;
  model: string;
  /** Required with `estimate`: the record that settles the hold carries the same id. */
  requestId?: string;
  estimate?: Estimate;
  at?: string;
  /** The product the request comes from (claude, claude_code, api, or one the org declared): its cap applies. */
  product?: string;
}

/**
 * The usage object as the Messages API returned it. Known counts are typed; other
 * keys pass through as a scalar or an object of scalars (the control plane refuses
 * anything deeper).
 */
export interface UsageRecord {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation?: { ephemeral_5m_input_tokens?: number | null; ephemeral_1h_input_tokens?: number | null } | null;
  [extra: string]: unknown;
}

export interface RecordRequest {
  /** Unique per request; the same id and body again counts once. */
  requestId: string;
  member: string;
  model: string;
  usage: UsageRecord;
  at?: string;
  /** The product the request came from (reports and invoices split by it). */
  product?: string;
}

const amount = z.string().regex(/^-?\d+(\.\d+)?$/, 'a decimal amount');
const instant = z.iso.datetime({ offset: true });

const allowed = z.object({
  allowed: z.literal(true),
  mode: z.enum(['included', 'extra']),
  memberId: z.string(),
  reservation: z.object({
    requestId: z.string(),
    held: amount,
    includedHeld: amount,
    extraHeld: amount,
    expiresAt: instant,
  }).optional(),
});
const refused = z.object({
  allowed: z.literal(false),
  // A string, not an enum: a newer control plane may refuse for a new reason.
  reason: z.string(),
  resetsAt: instant.nullable(),
  // The refusal in words for the person refused (what stopped them, when it lifts, where to act); absent from older control planes.
  message: z.string().optional(),
  canRequestExtraUsage: z.boolean(),
  memberId: z.string(),
});
const decision = z.discriminatedUnion('allowed', [allowed, refused]);

const recordResult = z.object({
  requestId: z.string(),
  memberId: z.string(),
  model: z.string(),
  period: z.string(),
  product: z.string().optional(),
  cost: amount,
  included: amount,
  extra: amount,
  memberMonthToDateExtra: amount,
  balance: amount.optional(),
  overHold: z.object({ held: amount, excess: amount }).optional(),
});

const errorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }),
});

export type AuthorizeDecision = z.infer<typeof decision>;
export type AuthorizeAllowed = z.infer<typeof allowed>;
export type AuthorizeRefused = z.infer<typeof refused>;
/** `replayed`: the control plane had this requestId already and answered as the first time. */
export type RecordResult = z.infer<typeof recordResult> & { replayed: boolean };

export class ControlPlane {
  readonly baseURL: string;
  readonly #apiKey: string;
  readonly #fetch: typeof globalThis.fetch;
  readonly #timeoutMs: number;

  constructor(options: ControlPlaneOptions) {
    if (!options.apiKey) throw new TypeError('ControlPlane: apiKey is required');
    this.baseURL = options.baseURL.replace(/\/+$/, '');
    this.#apiKey = options.apiKey;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** May this member make this model request? A refusal is an answer, not an error. */
  async authorize(body: AuthorizeRequest, options: { signal?: AbortSignal } = {}): Promise<AuthorizeDecision> {
    const { data } = await this.#post('/v1/usage/authorize', body, decision, options.signal);
    return data;
  }

  /** Records a request's usage; idempotent on requestId. */
  async record(body: RecordRequest, options: { signal?: AbortSignal } = {}): Promise<RecordResult> {
    const { data, response } = await this.#post('/v1/usage/record', body, recordResult, options.signal);
    return { ...data, replayed: response.headers.get('idempotent-replayed') === 'true' };
  }

  async #post<T>(path: string, body: unknown, schema: z.ZodType<T>, callerSignal?: AbortSignal): Promise<{ data: T; response: Response }> {
    const url = this.baseURL + path;
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.#apiKey}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
        signal: callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout,
      });
      text = await response.text();
    } catch (err) {
      // The caller's own abort (the SDK's timeout or the user's signal) is theirs to handle.
      if (callerSignal?.aborted) throw err;
      const why = timeout.aborted ? `no answer within ${this.#timeoutMs} ms` : describe(err);
      throw new ControlPlaneError(`control plane unreachable (POST ${url}): ${why}`, { status: null, cause: err });
    }
    const json = parseJson(text);
    if (!response.ok) {
      const e = errorBody.safeParse(json);
      const message = e.success ? e.data.error.message : text.slice(0, 200);
      throw new ControlPlaneError(`control plane answered ${response.status} to POST ${path}: ${message}`, {
        status: response.status,
        code: e.success ? e.data.error.code : null,
        field: e.success ? e.data.error.field : null,
      });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new ControlPlaneError(`control plane sent an answer this client does not understand (POST ${path}): ${z.prettifyError(parsed.error)}`, {
        status: response.status,
      });
    }
    return { data: parsed.data, response };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return err.message + cause;
}
