// Field shapes shared by every input boundary (the API, the org document): text the
// database can store and USD amounts the ledger can hold. Each rule is a length or
// a regex, so it is also published in the OpenAPI document.
import { z } from 'zod';
import { MAX_AMOUNT_USD } from './money.js';

// PostgreSQL text cannot hold NUL, and no name or id is meant to carry control characters.
const ONE_LINE = /^[^\x00-\x1f\x7f]*$/;
const LINES = /^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$/;

/** Text of `min`..`max` characters without control characters (`multiline` allows tab and newlines). */
export function text(max: number, opts: { min?: number; multiline?: boolean } = {}) {
  return z.string().min(opts.min ?? 1).max(max).regex(
    opts.multiline ? LINES : ONE_LINE,
    opts.multiline ? 'must not contain control characters other than tab and line breaks' : 'must not contain control characters (such as NUL)',
  );
}

// At most 9 digits before the point and no leading zeros: the pattern itself bounds
// the amount at MAX_AMOUNT_USD.
const AMOUNT = /^(0|[1-9]\d{0,8})(\.\d{1,2})?$/;
const POSITIVE_AMOUNT = /^([1-9]\d{0,8}(\.\d{1,2})?|0\.(0[1-9]|[1-9]\d?))$/;

export const usdAmount = z
  .string()
  .regex(AMOUNT, `must be a USD amount as a string, 0 to ${MAX_AMOUNT_USD} with at most 2 decimals and no leading zeros, e.g. "12.50"`)
  .meta({ examples: ['12.50'] });
export const positiveUsdAmount = z
  .string()
  .regex(POSITIVE_AMOUNT, `must be a USD amount as a string, more than 0 and at most ${MAX_AMOUNT_USD}, with at most 2 decimals and no leading zeros, e.g. "12.50"`)
  .meta({ examples: ['12.50'] });
/** A cap: an amount, or null for unlimited. */
export const capAmount = usdAmount.nullable();

/** An Anthropic Admin API key as pasted (the operator route and the console's Claude page). */
export const adminApiKey = z.string().trim().min(20, 'must be an Admin API key (sk-ant-admin…)').max(500).regex(/^[\x21-\x7e]+$/, 'must be an Admin API key (sk-ant-admin…)');
