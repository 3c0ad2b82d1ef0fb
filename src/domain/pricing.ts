// Prices a Messages API usage object at a price-book entry. Rates are whole
// nano-dollars per token, so the cost is an exact integer.

export interface TokenCounts {
  input: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
  output: number;
}

export interface Rates {
  inputNanosPerToken: bigint;
  cacheWrite5mNanosPerToken: bigint;
  cacheWrite1hNanosPerToken: bigint;
  cacheReadNanosPerToken: bigint;
  outputNanosPerToken: bigint;
}

export interface PriceTier extends Rates {
  id: string;
  model: string;
  effectiveFrom: Date;
  /** The tier applies to requests with more prompt tokens than this (0 = base rate). */
  minPromptTokensExclusive: number;
}

/** The usage object as the Messages API returns it (null where the SDK types allow it). */
export interface MessagesUsage {
  input_tokens: number | null;
  output_tokens: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation?: {
    ephemeral_5m_input_tokens?: number | null;
    ephemeral_1h_input_tokens?: number | null;
  } | null;
  server_tool_use?: { web_search_requests?: number | null; web_fetch_requests?: number | null } | null;
  service_tier?: string | null;
  inference_geo?: string | null;
  speed?: string | null;
}

/** Something unusual about a usage object, kept on its usage event. */
export type UsageFlag = 'cache_breakdown_mismatch';

/**
 * The token counts of a usage object, and what is unusual about it. Cache writes are
 * split into their 5-minute and 1-hour parts:
 * - without a breakdown every cache write is a 5-minute one (the API's default TTL);
 * - with one, and no total, the breakdown is the writes;
 * - with both that disagree (flagged `cache_breakdown_mismatch`, never refused), the
 *   total `cache_creation_input_tokens` is what is billed: its 1-hour part is what the
 *   breakdown says were 1-hour writes (at most the total), the rest are 5-minute
 *   writes. So an excess over the breakdown is billed as 5-minute writes, and a
 *   breakdown larger than the total is cut to it, 1-hour writes kept first.
 * A null token count is zero.
 */
export function readUsage(usage: MessagesUsage): { tokens: TokenCounts; flags: UsageFlag[] } {
  const total = usage.cache_creation_input_tokens ?? null;
  const b5 = usage.cache_creation?.ephemeral_5m_input_tokens ?? null;
  const b1 = usage.cache_creation?.ephemeral_1h_input_tokens ?? null;
  const flags: UsageFlag[] = [];
  let cacheWrite5m: number;
  let cacheWrite1h: number;
  if (b5 === null && b1 === null) {
    cacheWrite5m = total ?? 0;
    cacheWrite1h = 0;
  } else {
    cacheWrite5m = b5 ?? 0;
    cacheWrite1h = b1 ?? 0;
    if (total !== null && total !== cacheWrite5m + cacheWrite1h) {
      flags.push('cache_breakdown_mismatch');
      cacheWrite1h = Math.min(cacheWrite1h, total);
      cacheWrite5m = total - cacheWrite1h;
    }
  }
  return {
    tokens: {
      input: usage.input_tokens ?? 0,
      cacheWrite5m,
      cacheWrite1h,
      cacheRead: usage.cache_read_input_tokens ?? 0,
      output: usage.output_tokens ?? 0,
    },
    flags,
  };
}

/** The token counts alone (see readUsage for the rules). */
export function tokenCountsOf(usage: MessagesUsage): TokenCounts {
  return readUsage(usage).tokens;
}

/** Tokens that count toward a long-context threshold: everything sent in the prompt. */
export function promptTokens(t: TokenCounts): number {
  return t.input + t.cacheWrite5m + t.cacheWrite1h + t.cacheRead;
}

/**
 * Picks the tier in force for a model at an instant: the latest effective date not
 * after `at`, then the highest long-context threshold the prompt exceeds.
 */
export function selectPriceTier(entries: readonly PriceTier[], model: string, at: Date, tokens: TokenCounts): PriceTier | null {
  let effective: Date | null = null;
  for (const e of entries) {
    if (e.model !== model || e.effectiveFrom.getTime() > at.getTime()) continue;
    if (!effective || e.effectiveFrom.getTime() > effective.getTime()) effective = e.effectiveFrom;
  }
  if (!effective) return null;
  const prompt = promptTokens(tokens);
  let best: PriceTier | null = null;
  for (const e of entries) {
    if (e.model !== model || e.effectiveFrom.getTime() !== effective.getTime()) continue;
    const applies = e.minPromptTokensExclusive === 0 || prompt > e.minPromptTokensExclusive;
    if (applies && (!best || e.minPromptTokensExclusive > best.minPromptTokensExclusive)) best = e;
  }
  return best;
}

export function priceTokens(t: TokenCounts, r: Rates): bigint {
  return (
    BigInt(t.input) * r.inputNanosPerToken +
    BigInt(t.cacheWrite5m) * r.cacheWrite5mNanosPerToken +
    BigInt(t.cacheWrite1h) * r.cacheWrite1hNanosPerToken +
    BigInt(t.cacheRead) * r.cacheReadNanosPerToken +
    BigInt(t.output) * r.outputNanosPerToken
  );
}

/** USD per million tokens ("3.00") to nano-dollars per token; null if not a whole number of nano-dollars. */
export function ratePerMillionToNanosPerToken(usdPerMillion: string): bigint | null {
  const m = /^(\d{1,6})(?:\.(\d{1,3}))?$/.exec(usdPerMillion);
  if (!m) return null;
  // $1 per million tokens = 1e9 nanos / 1e6 tokens = 1000 nanos per token.
  return BigInt(m[1]!) * 1000n + BigInt((m[2] ?? '').padEnd(3, '0'));
}

/** Nano-dollars per request as USD per 1,000 requests, exact ($1 per 1,000 = 1,000,000 nanos each): "10.00", "0.012345". */
export function nanosPerRequestToPerThousand(nanos: bigint): string {
  const frac = (nanos % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '').padEnd(2, '0');
  return `${nanos / 1_000_000n}.${frac}`;
}

export function nanosPerTokenToRatePerMillion(nanos: bigint): string {
  const whole = nanos / 1000n;
  const frac = (nanos % 1000n).toString().padStart(3, '0').replace(/0+$/, '').padEnd(2, '0');
  return `${whole}.${frac}`;
}

// ---- Beyond tokens: per-request fees and multipliers, as price-book rows ----

/** What a usage object says beyond tokens. */
export interface UsageExtras {
  webSearchRequests: number;
  webFetchRequests: number;
  serviceTier: string | null;
  inferenceGeo: string | null;
  speed: string | null;
}

export const NO_EXTRAS: UsageExtras = { webSearchRequests: 0, webFetchRequests: 0, serviceTier: null, inferenceGeo: null, speed: null };

export const FEE_DIMENSIONS = ['web_search_requests', 'web_fetch_requests'] as const;
export const MULTIPLIER_DIMENSIONS = ['service_tier', 'inference_geo', 'speed'] as const;
export type FeeDimension = (typeof FEE_DIMENSIONS)[number];
export type MultiplierDimension = (typeof MULTIPLIER_DIMENSIONS)[number];
export type ModifierDimension = FeeDimension | MultiplierDimension;

/** A fee per request (value "") or a multiplier (value = the tier, geography or speed), for a family or "*" (every one). */
export interface PriceModifierRow {
  id: string;
  family: string;
  dimension: string;
  value: string;
  effectiveFrom: Date;
  nanosPerRequest: bigint | null;
  multiplierMillionths: bigint | null;
}

export const EVERY_FAMILY = '*';

/** The extras of a usage object; null counts as 0 (or no value). */
export function extrasOf(usage: MessagesUsage): UsageExtras {
  return {
    webSearchRequests: usage.server_tool_use?.web_search_requests ?? 0,
    webFetchRequests: usage.server_tool_use?.web_fetch_requests ?? 0,
    serviceTier: usage.service_tier ?? null,
    inferenceGeo: usage.inference_geo ?? null,
    speed: usage.speed ?? null,
  };
}

/**
 * The row in force for a family at an instant: the family's own latest row not after
 * `at`, else the latest "*" row not after `at`.
 */
export function selectModifier(rows: readonly PriceModifierRow[], family: string, dimension: ModifierDimension, value: string, at: Date): PriceModifierRow | null {
  const latest = (f: string) => {
    let best: PriceModifierRow | null = null;
    for (const r of rows) {
      if (r.family !== f || r.dimension !== dimension || r.value !== value || r.effectiveFrom.getTime() > at.getTime()) continue;
      if (!best || r.effectiveFrom.getTime() > best.effectiveFrom.getTime()) best = r;
    }
    return best;
  };
  return latest(family) ?? latest(EVERY_FAMILY);
}

export type ExtrasPrice =
  | { priced: true; cost: bigint; feesNanos: bigint; modifierIds: string[] }
  | { priced: false; reason: 'fee_unpriced' | 'modifier_unpriced'; missing: string };

const MILLION = 1_000_000n;

/**
 * The cost of a request from its token cost and its extras:
 *   round(tokenCost x m1 x m2 x m3) + web searches x fee + web fetches x fee
 * where the m are the multipliers of its service tier, inference geography and speed
 * (a null value: none), applied together and rounded once, half up, to the nano-dollar;
 * fees are per request and never multiplied. A value or fee with no row in force makes
 * the request unpriced (a count of 0 needs no fee row).
 */
export function priceExtras(tokenCost: bigint, extras: UsageExtras, rows: readonly PriceModifierRow[], family: string, at: Date): ExtrasPrice {
  const ids: string[] = [];
  let num = tokenCost;
  let den = 1n;
  for (const [dimension, value] of [['service_tier', extras.serviceTier], ['inference_geo', extras.inferenceGeo], ['speed', extras.speed]] as const) {
    if (value === null) continue;
    const row = selectModifier(rows, family, dimension, value, at);
    if (!row || row.multiplierMillionths === null) return { priced: false, reason: 'modifier_unpriced', missing: `${dimension}=${value}` };
    ids.push(row.id);
    num *= row.multiplierMillionths;
    den *= MILLION;
  }
  let fees = 0n;
  for (const [dimension, count] of [['web_search_requests', extras.webSearchRequests], ['web_fetch_requests', extras.webFetchRequests]] as const) {
    if (count === 0) continue;
    const row = selectModifier(rows, family, dimension, '', at);
    if (!row || row.nanosPerRequest === null) return { priced: false, reason: 'fee_unpriced', missing: dimension };
    ids.push(row.id);
    fees += BigInt(count) * row.nanosPerRequest;
  }
  const multiplied = (num * 2n + den) / (den * 2n); // half up (all values are non-negative)
  return { priced: true, cost: multiplied + fees, feesNanos: fees, modifierIds: ids };
}

/** "0.5" / "1.1" / "1" as millionths; null if not a multiplier with at most 6 decimals. */
export function multiplierToMillionths(text: string): bigint | null {
  const m = /^(\d{1,3})(?:\.(\d{1,6}))?$/.exec(text);
  if (!m) return null;
  return BigInt(m[1]!) * MILLION + BigInt((m[2] ?? '').padEnd(6, '0'));
}

export function millionthsToMultiplier(v: bigint): string {
  const frac = (v % MILLION).toString().padStart(6, '0').replace(/0+$/, '');
  return frac ? `${v / MILLION}.${frac}` : `${v / MILLION}`;
}
