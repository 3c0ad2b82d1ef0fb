// Claude Code's OpenTelemetry events as usage records: pure mapping, no I/O.
//
// With CLAUDE_CODE_ENABLE_TELEMETRY=1 and OTEL_LOGS_EXPORTER=otlp, Claude Code exports
// one log record per model request: the `claude_code.api_request` event (body
// "claude_code.api_request", attribute event.name = "api_request"), with the
// attributes model, input_tokens, output_tokens, cache_read_tokens,
// cache_creation_tokens, cost_usd, duration_ms, event.timestamp, and the standard
// ones: session.id, user.email, user.account_uuid, user.id, organization.id. Other
// events (user_prompt, tool_result, api_error, tool_decision) are not usage and are
// left alone.
//
// Each api_request becomes a record input: tokens as a Messages API usage object,
// model as sent, `at` from event.timestamp, and a requestId derived from the event
// itself, so an exporter that sends the same batch again records nothing twice.
// cost_usd is Claude Code's own estimate and is never used for money: the price book
// prices the tokens.
import { createHash } from 'node:crypto';
import type { MessagesUsage } from '../domain/pricing.js';
import { attributeOf, scalarOf, type OtlpAnyValue, type OtlpKeyValue, type OtlpLogRecord, type OtlpLogsRequest } from './otlp-logs.js';

export const API_REQUEST_EVENT = 'claude_code.api_request';

/** Who made the request, as Claude Code says: matched to a member by the ingest. */
export interface ClaudeCodeIdentity {
  /** user.email, as sent (matched case-insensitively). */
  email?: string;
  /** user.account_uuid: matched against the member's externalId when no email matches. */
  accountUuid?: string;
  /** user.id: a hash of the device; a member's once they claim it (or an owner maps it). */
  userId?: string;
}

export interface ClaudeCodeUsage {
  /** `otel:<session.id>:<32 hex>`: the same log record always gives the same id. */
  requestId: string;
  identity: ClaudeCodeIdentity;
  model: string;
  usage: Required<Pick<MessagesUsage, 'input_tokens' | 'output_tokens' | 'cache_read_input_tokens' | 'cache_creation_input_tokens'>> & Pick<MessagesUsage, 'speed'>;
  at: Date;
  sessionId?: string;
  /** Claude Code's estimate (cost_usd), for logs only: never used for money. */
  reportedCostUsd?: number;
  /** The same in nano-dollars, compared with ours (a difference is flagged), never billed. */
  clientCostNanos?: bigint;
}

export interface Rejection {
  /** The requestId the event would have had, when it got that far. */
  requestId?: string;
  reason: string;
  identity?: ClaudeCodeIdentity;
  model?: string;
  /** What a replay through POST /v1/usage/record needs, when the event got that far. */
  usage?: ClaudeCodeUsage['usage'];
  at?: Date;
  sessionId?: string;
  /** Claude Code's user.id: a hash of the device, not a person. */
  userId?: string;
  reportedCostUsd?: number;
}

export interface MappedEvents {
  usage: ClaudeCodeUsage[];
  rejected: Rejection[];
  /** Log records that are not api_request events (other events, other logs). */
  ignored: number;
}

// The record path's bounds: ids of at most 200 characters with no control characters
// (PostgreSQL text cannot hold NUL), token counts up to 2,000,000,000.
const ONE_LINE = /^[^\x00-\x1f\x7f]*$/;
const MAX_TOKENS = 2_000_000_000;
const MAX_FUTURE_MS = 5 * 60_000;
const SESSION_ID = /^[A-Za-z0-9._-]{1,100}$/;

const cleanText = (v: unknown, max: number): string | undefined =>
  typeof v === 'string' && v.length > 0 && v.length <= max && ONE_LINE.test(v) ? v : undefined;

/** The event this log record is, by its OTLP event name, its event.name attribute or its body. */
export function eventNameOf(record: OtlpLogRecord): string | undefined {
  if (record.eventName) return record.eventName;
  const attr = scalarOf(attributeOf(record.attributes, 'event.name'));
  if (typeof attr === 'string' && attr) return attr.startsWith('claude_code.') ? attr : `claude_code.${attr}`;
  const body = scalarOf(record.body);
  return typeof body === 'string' && body.startsWith('claude_code.') ? body : undefined;
}

type Count = { value: number } | { error: string };

/** A token count from an int, an integral double or a string of digits; absent is `fallback`. */
function countOf(attrs: OtlpKeyValue[] | undefined, key: string, fallback?: number): Count {
  const v = scalarOf(attributeOf(attrs, key));
  if (v === undefined) return fallback === undefined ? { error: `${key} is missing` } : { value: fallback };
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,12}$/.test(v.trim()) ? Number(v.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_TOKENS) return { error: `${key} (${String(v).slice(0, 40)}) is not a token count from 0 to ${MAX_TOKENS}` };
  return { value: n };
}

/** Nanoseconds since the epoch (a decimal string or number) as a Date, if it is one. */
function fromUnixNano(v: string | number | undefined): Date | undefined {
  if (v === undefined) return undefined;
  let ms: number;
  try {
    ms = Number(BigInt(v) / 1_000_000n);
  } catch {
    return undefined;
  }
  const d = new Date(ms);
  return ms > 0 && !Number.isNaN(d.getTime()) ? d : undefined;
}

/** When the request happened: event.timestamp, else the record's time, else when it was observed. */
function instantOf(record: OtlpLogRecord): Date | undefined {
  const stamp = scalarOf(attributeOf(record.attributes, 'event.timestamp'));
  if (typeof stamp === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(stamp)) {
    const d = new Date(stamp);
    if (!Number.isNaN(d.getTime())) return d;
  }
  return fromUnixNano(record.timeUnixNano) ?? fromUnixNano(record.observedTimeUnixNano);
}

// A value in the fingerprint: its type and its value, the same whether it came as
// JSON (an int as a number) or protobuf (an int as a decimal string).
function canonical(value: OtlpAnyValue | undefined): string {
  if (!value) return '-';
  if (value.stringValue !== undefined) return `s:${value.stringValue}`;
  if (value.intValue !== undefined) return `i:${String(value.intValue)}`;
  if (value.doubleValue !== undefined) return `d:${String(value.doubleValue)}`;
  if (value.boolValue !== undefined) return `b:${String(value.boolValue)}`;
  try {
    return `x:${JSON.stringify(value)}`;
  } catch {
    return 'x:?';
  }
}

/**
 * The requestId of an event: the session (readable, when it is a plain id) and a
 * hash of the record's time and every one of its attributes (sorted by key). A batch
 * sent again, by the exporter's retry or a collector's queue, carries the same records
 * and so the same ids; two requests differ in their event.timestamp, tokens or
 * duration at least.
 */
export function requestIdOf(record: OtlpLogRecord, sessionId: string | undefined): string {
  const attrs = [...(record.attributes ?? [])]
    .map((kv) => [kv.key, canonical(kv.value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const hash = createHash('sha256').update(JSON.stringify([String(record.timeUnixNano ?? ''), attrs])).digest('hex').slice(0, 32);
  return sessionId && SESSION_ID.test(sessionId) ? `otel:${sessionId}:${hash}` : `otel:${hash}`;
}

/** A standard attribute: on the record, else on the resource (where a collector may have moved it). */
function standard(record: OtlpLogRecord, resource: OtlpKeyValue[] | undefined, key: string): string | undefined {
  const v = scalarOf(attributeOf(record.attributes, key)) ?? scalarOf(attributeOf(resource, key));
  return v === undefined ? undefined : String(v);
}

/**
 * The speed as the Messages API names it, priced by the same speed rows as
 * POST /v1/usage/record: Claude Code says "normal" for the API's "standard".
 */
export function speedOf(v: unknown): string | undefined {
  const s = cleanText(typeof v === 'string' ? v.trim().toLowerCase() : undefined, 100);
  return s === 'normal' ? 'standard' : s;
}

/**
 * The most Claude Code's own cost of one request is taken at ($1,000,000): beyond it the
 * figure is absurd (and from $9.2 billion no BIGINT holds it), so it is left out and the
 * usage kept, never refused: it is only compared.
 */
export const MAX_CLIENT_COST_NANOS = 1_000_000n * 1_000_000_000n;

/**
 * A non-negative decimal's text (as String(number) writes it) as nano-dollars, rounded
 * half up as a decimal: never through a binary float (0.0009766545 is 976,655 nanos,
 * where Math.round(x * 1e9) says 976,654).
 */
export function nanosOfDecimalText(text: string): bigint {
  const m = /^(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i.exec(text);
  if (!m) throw new Error(`not a decimal: ${text}`);
  const digits = BigInt(m[1]! + (m[2] ?? ''));
  const exp = Number(m[3] ?? '0') - (m[2] ?? '').length + 9;
  if (exp >= 0) return digits * 10n ** BigInt(exp);
  const unit = 10n ** BigInt(-exp);
  return (digits + unit / 2n) / unit;
}

/**
 * Claude Code's own cost in nano-dollars: cost_usd as the decimal its shortest text
 * writes (it comes as a double), else cost_usd_micros. Only compared, never billed;
 * undefined when absent or beyond MAX_CLIENT_COST_NANOS.
 */
export function clientCostOf(usd: unknown, micros: unknown): bigint | undefined {
  const bounded = (n: bigint) => (n <= MAX_CLIENT_COST_NANOS ? n : undefined);
  if (typeof usd === 'number' && Number.isFinite(usd) && usd >= 0) {
    if (usd > 1e7) return undefined;
    return bounded(nanosOfDecimalText(String(usd)));
  }
  const m = typeof micros === 'number' ? micros : typeof micros === 'string' && /^\d{1,15}$/.test(micros) ? Number(micros) : NaN;
  return Number.isSafeInteger(m) && m >= 0 ? bounded(BigInt(m) * 1000n) : undefined;
}

/** One api_request log record as a usage record, or why it cannot be one. */
export function mapApiRequest(record: OtlpLogRecord, resource: OtlpKeyValue[] | undefined, now: Date): { usage: ClaudeCodeUsage } | { rejected: Rejection } {
  const rawSession = standard(record, resource, 'session.id');
  const sessionId = cleanText(rawSession, 200);
  const requestId = requestIdOf(record, sessionId);
  const identity: ClaudeCodeIdentity = {};
  const email = cleanText(standard(record, resource, 'user.email')?.trim(), 320);
  const accountUuid = cleanText(standard(record, resource, 'user.account_uuid')?.trim(), 200);
  const userId = cleanText(standard(record, resource, 'user.id')?.trim(), 200);
  if (email) identity.email = email;
  if (accountUuid) identity.accountUuid = accountUuid;
  if (userId) identity.userId = userId;
  const rawModel = scalarOf(attributeOf(record.attributes, 'model'));
  const model = cleanText(typeof rawModel === 'string' ? rawModel.trim() : undefined, 200);
  const reject = (reason: string) => ({ rejected: { requestId, reason, identity, ...(model ? { model } : {}) } });

  if (!model) return reject(rawModel === undefined ? 'model is missing' : 'model is not a model id (1 to 200 characters, no control characters)');
  const counts = {
    input_tokens: countOf(record.attributes, 'input_tokens'),
    output_tokens: countOf(record.attributes, 'output_tokens'),
    cache_read_input_tokens: countOf(record.attributes, 'cache_read_tokens', 0),
    cache_creation_input_tokens: countOf(record.attributes, 'cache_creation_tokens', 0),
  };
  const bad = Object.values(counts).find((c): c is { error: string } => 'error' in c);
  if (bad) return reject(bad.error);
  const at = instantOf(record);
  if (!at) return reject('has no time: neither event.timestamp nor the record\'s time');
  if (at.getTime() - now.getTime() > MAX_FUTURE_MS) return reject(`event.timestamp (${at.toISOString()}) is more than 5 minutes in the future`);
  const value = (c: Count) => (c as { value: number }).value;
  const cost = scalarOf(attributeOf(record.attributes, 'cost_usd'));
  const clientCostNanos = clientCostOf(cost, scalarOf(attributeOf(record.attributes, 'cost_usd_micros')));
  const speed = speedOf(scalarOf(attributeOf(record.attributes, 'speed')));
  const usage = {
    input_tokens: value(counts.input_tokens),
    output_tokens: value(counts.output_tokens),
    cache_read_input_tokens: value(counts.cache_read_input_tokens),
    cache_creation_input_tokens: value(counts.cache_creation_input_tokens),
    ...(speed ? { speed } : {}),
  };
  // An event that names nobody (no user.email nor user.account_uuid) is still usage: the
  // ingest matches its user.id to a member who claimed it, or keeps it unattributed.
  return {
    usage: {
      requestId,
      identity,
      model,
      usage,
      at,
      ...(sessionId ? { sessionId } : {}),
      ...(typeof cost === 'number' && Number.isFinite(cost) ? { reportedCostUsd: cost } : {}),
      ...(clientCostNanos !== undefined ? { clientCostNanos } : {}),
    },
  };
}

/** Every api_request event of an export, mapped; other log records are counted as ignored. */
export function claudeCodeUsageOf(request: OtlpLogsRequest, now: Date): MappedEvents {
  const out: MappedEvents = { usage: [], rejected: [], ignored: 0 };
  for (const rl of request.resourceLogs ?? []) {
    const resource = rl.resource?.attributes;
    for (const sl of rl.scopeLogs ?? []) {
      for (const record of sl.logRecords ?? []) {
        if (eventNameOf(record) !== API_REQUEST_EVENT) {
          out.ignored++;
          continue;
        }
        const mapped = mapApiRequest(record, resource, now);
        if ('usage' in mapped) out.usage.push(mapped.usage);
        else out.rejected.push(mapped.rejected);
      }
    }
  }
  return out;
}
