// The usage of one message, as the record will carry it: taken whole from a
// non-streaming response, or accumulated from a stream (message_start carries the
// prompt's counts, each message_delta the cumulative totals so far).
import type { RawMessageStreamEvent, Usage } from '@anthropic-ai/sdk/resources/messages';
import type { UsageRecord } from './control-plane.js';

/** What the stream has said so far about its message. */
export class StreamUsage {
  id: string | null = null;
  model: string | null = null;
  usage: Record<string, unknown> | null = null;

  add(event: RawMessageStreamEvent): void {
    if (event.type === 'message_start') {
      this.id = event.message.id;
      this.model = event.message.model;
      this.usage = { ...event.message.usage };
    } else if (event.type === 'message_delta' && this.usage) {
      // Like the SDK's own accumulator: output_tokens always, other counters when sent.
      for (const [key, value] of Object.entries(event.usage)) {
        if (value !== null && value !== undefined) this.usage[key] = value;
      }
    }
  }
}

const SCALAR_STRING_MAX = 200;
const KEY_MAX = 100;

/**
 * The usage object fit for the control plane: the counts as they came, and other
 * fields kept when they are a scalar or an object of scalars (what the record
 * accepts); anything deeper is dropped rather than have the whole record refused.
 */
export function usageForRecord(usage: Usage | Record<string, unknown>): UsageRecord {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(usage)) {
    if (key.length > KEY_MAX || value === undefined) continue;
    if (isScalar(value)) out[key] = value;
    else if (isPlainObject(value)) {
      const flat = Object.fromEntries(Object.entries(value).filter(([k, v]) => k.length <= KEY_MAX && isScalar(v)));
      out[key] = flat;
    }
  }
  return out as UsageRecord;
}

function isScalar(v: unknown): boolean {
  return v === null || typeof v === 'number' || typeof v === 'boolean' || (typeof v === 'string' && v.length <= SCALAR_STRING_MAX);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
