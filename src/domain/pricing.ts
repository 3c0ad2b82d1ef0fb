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

export function nanosPerTokenToRatePerMillion(nanos: bigint): string {
  const whole = nanos / 1000n;
  const frac = (nanos % 1000n).toString().padStart(3, '0').replace(/0+$/, '').padEnd(2, '0');
  return `${whole}.${frac}`;
}
