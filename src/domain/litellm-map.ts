// LiteLLM's model map (model_prices_and_context_window.json) read as price-book data:
// pure, no I/O. Every rate is read from the JSON text as an exact decimal, never
// through a binary float ("3.75e-06" USD per token is 3,750 nano-dollars per token).

import type { Rates } from './pricing.js';

/** A number as the JSON text wrote it. */
export class NumberText {
  constructor(readonly text: string) {}
}

export type LosslessJson = null | boolean | string | NumberText | LosslessJson[] | { [key: string]: LosslessJson };

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const MARK = '\u0000n';

/**
 * JSON.parse, with every number kept as its text (NumberText). Numbers outside strings
 * are wrapped as marked objects before parsing, so JSON.parse still judges the syntax.
 */
export function parseLosslessJson(text: string): LosslessJson {
  let out = '';
  let i = 0;
  let last = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      i++;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (!m) { i++; continue; }
      out += `${text.slice(last, i)}{"\\u0000n":"${m[0]}"}`;
      i += m[0].length;
      last = i;
    } else i++;
  }
  out += text.slice(last);
  const revive = (v: unknown): LosslessJson => {
    if (Array.isArray(v)) return v.map(revive);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o[MARK] === 'string' && Object.keys(o).length === 1) return new NumberText(o[MARK]);
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, revive(x)]));
    }
    return v as LosslessJson;
  };
  return revive(JSON.parse(out));
}

/** Lossless JSON back to text (2-space indent), numbers exactly as read. */
export function stringifyLosslessJson(v: LosslessJson, indent = ''): string {
  if (v instanceof NumberText) return v.text;
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  const inner = `${indent}  `;
  if (Array.isArray(v)) return v.length ? `[\n${v.map((x) => inner + stringifyLosslessJson(x, inner)).join(',\n')}\n${indent}]` : '[]';
  const entries = Object.entries(v);
  return entries.length ? `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${stringifyLosslessJson(x, inner)}`).join(',\n')}\n${indent}}` : '{}';
}

/** The largest exponent (±) and the most digits a price's number text may have: far beyond any price. */
export const MAX_EXPONENT = 30;
export const MAX_DIGITS = 40;

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** Why a number's text is beyond what a price can be (exponent or digits), or null. */
export function decimalOutOfBounds(text: string): string | null {
  const m = DECIMAL.exec(text);
  if (!m) return null;
  if (m[2]!.length + (m[3] ?? '').length > MAX_DIGITS) return `has more than ${MAX_DIGITS} digits`;
  const exp = m[4] ?? '0';
  // Compared as text first: a 400-digit exponent is no Number.
  if (exp.replace(/^[+-]?0*/, '').length > 3 || Math.abs(Number(exp)) > MAX_EXPONENT) return `has an exponent beyond ±${MAX_EXPONENT}`;
  return null;
}

/**
 * A decimal's text × 10^shift as an integer, or null if it is not a whole number, not a
 * decimal, or beyond the bounds of decimalOutOfBounds (so the work stays small).
 */
export function scaledDecimal(text: string, shift: number): bigint | null {
  const m = DECIMAL.exec(text);
  if (!m || decimalOutOfBounds(text)) return null;
  const frac = m[3] ?? '';
  let digits = BigInt(m[2]! + frac);
  let exp = Number(m[4] ?? '0') - frac.length + shift;
  for (; exp < 0; exp++) {
    if (digits % 10n !== 0n) return null;
    digits /= 10n;
  }
  digits *= 10n ** BigInt(exp);
  return m[1] ? -digits : digits;
}

export class MapError extends Error {
  constructor(readonly entry: string, message: string) {
    super(`${entry}: ${message}`);
  }
}

/** The rates of one tier: above 0 is the base rate. */
export interface MapTier {
  above: number;
  rates: Rates;
}

export interface MapModifier {
  dimension: 'service_tier' | 'inference_geo' | 'speed' | 'web_search_requests';
  value: string;
  multiplierMillionths?: bigint;
  nanosPerRequest?: bigint;
}

/** One Anthropic entry of the map, as price-book data. */
export interface MapEntry {
  id: string;
  /** The family it names: the id without a date (-20250929) or -latest suffix. */
  family: string;
  tiers: MapTier[];
  modifiers: MapModifier[];
  /** What of the entry could not be taken (reported, never guessed). */
  notes: string[];
}

export interface AnthropicMap {
  entries: MapEntry[];
  /** Entries skipped whole (e.g. without a rate the price book needs), with why. */
  skipped: { id: string; reason: string }[];
}

/** The family a model id names: a dated snapshot or a -latest alias names its undated id. */
export function familyOfModelId(id: string): string {
  // Only when a name is left: "-latest" or "-20250101" alone names itself, never "".
  return id.replace(/^(.*[A-Za-z0-9])-(\d{8}|latest)$/, '$1');
}

const NANOS_PER_USD_SHIFT = 9;
// The bounds the manual price routes hold to (src/api/routes/operator.ts): a rate up to
// $999,999.999 per million tokens, a fee up to $999,999.999 per 1,000 requests, a
// multiplier up to 999.999999, a long-context threshold up to 2,000,000,000 prompt tokens.
export const MAX_RATE_NANOS_PER_TOKEN = 999_999_999n;
export const MAX_FEE_NANOS_PER_REQUEST = 999_999_999_000n;
export const MAX_MULTIPLIER_MILLIONTHS = 999_999_999n;
export const MAX_ABOVE_TOKENS = 2_000_000_000;
const RATE_KEYS = {
  inputNanosPerToken: 'input_cost_per_token',
  cacheWrite5mNanosPerToken: 'cache_creation_input_token_cost',
  cacheWrite1hNanosPerToken: 'cache_creation_input_token_cost_above_1hr',
  cacheReadNanosPerToken: 'cache_read_input_token_cost',
  outputNanosPerToken: 'output_cost_per_token',
} as const;

/** A key of a tier: the base key, or `<key>_above_<n>k_tokens` (1-hour writes: `…_above_1hr_above_<n>k_tokens`). */
const tierKey = (base: string, above: number) => (above === 0 ? base : `${base}_above_${above / 1000}k_tokens`);

const isObject = (v: LosslessJson | undefined): v is { [key: string]: LosslessJson } =>
  v !== null && v !== undefined && typeof v === 'object' && !(v instanceof NumberText) && !Array.isArray(v);

function numberAt(id: string, entry: Record<string, LosslessJson>, key: string): NumberText | undefined {
  const v = entry[key];
  // A key written as null is a rate the map failed to give: refused like any other non-number.
  if (v === undefined) return undefined;
  if (!(v instanceof NumberText)) throw new MapError(id, `${key} is not a number (${JSON.stringify(v).slice(0, 40)})`);
  if (v.text.startsWith('-')) throw new MapError(id, `${key} is negative (${v.text})`);
  const far = decimalOutOfBounds(v.text);
  if (far) throw new MapError(id, `${key} (${v.text.slice(0, 40)}) ${far}`);
  return v;
}

function nanos(id: string, key: string, v: NumberText, max: bigint, shift = NANOS_PER_USD_SHIFT): bigint {
  const far = decimalOutOfBounds(v.text);
  if (far) throw new MapError(id, `${key} (${v.text.slice(0, 40)}) ${far}`);
  const n = scaledDecimal(v.text, shift);
  if (n === null) throw new MapError(id, `${key} (${v.text}) is not a whole number of ${shift === NANOS_PER_USD_SHIFT ? 'nano-dollars' : 'millionths'}`);
  if (n > max) throw new MapError(id, `${key} (${v.text}) is above the most the price book takes (${max} ${shift === NANOS_PER_USD_SHIFT ? 'nano-dollars' : 'millionths'})`);
  return n;
}

const millionthsText = (v: bigint) => `${v / 1_000_000n}.${(v % 1_000_000n).toString().padStart(6, '0')}`;

/** The ratio b / a as millionths, when exact. */
function ratioMillionths(a: bigint, b: bigint): bigint | null {
  if (a === 0n) return null;
  return (b * 1_000_000n) % a === 0n ? (b * 1_000_000n) / a : null;
}

function readEntry(id: string, entry: Record<string, LosslessJson>): MapEntry | { skipped: string } {
  const notes: string[] = [];
  // Every number-valued price key is checked, so a bad rate anywhere is refused.
  for (const [k, v] of Object.entries(entry)) {
    if (!/cost/.test(k) || isObject(v)) continue;
    const n = numberAt(id, entry, k);
    if (n && scaledDecimal(n.text, 30) === null) throw new MapError(id, `${k} (${n.text}) is not a decimal number`);
  }
  const thresholds = new Set<number>([0]);
  for (const k of Object.keys(entry)) {
    const m = /_above_(\d+)k_tokens/.exec(k);
    if (!m) continue;
    const above = m[1]!.length > 7 ? Infinity : Number(m[1]) * 1000;
    if (above > MAX_ABOVE_TOKENS) throw new MapError(id, `${k}: a long-context threshold above ${MAX_ABOVE_TOKENS} prompt tokens`);
    thresholds.add(above);
  }
  const tiers: MapTier[] = [];
  for (const above of [...thresholds].sort((a, b) => a - b)) {
    const rates: Partial<Record<keyof Rates, bigint>> = {};
    const missing: string[] = [];
    for (const [field, base] of Object.entries(RATE_KEYS) as [keyof Rates, string][]) {
      const key = tierKey(base, above);
      const v = numberAt(id, entry, key);
      if (v) rates[field] = nanos(id, key, v, MAX_RATE_NANOS_PER_TOKEN);
      else missing.push(key);
    }
    if (missing.length) {
      if (above === 0) return { skipped: `no ${missing.join(', ')}` };
      notes.push(`the tier above ${above} prompt tokens lacks ${missing.join(', ')}: not taken`);
      continue;
    }
    tiers.push({ above, rates: rates as Rates });
  }

  const modifiers: MapModifier[] = [];
  // Batch: one multiplier of the token cost, when every batch rate is the same ratio of its rate.
  // (Compared as exact decimals: a batch rate need not be a whole number of nano-dollars.)
  const batchRatios = new Set<bigint | null>();
  let batchKeys = 0;
  for (const key of Object.values(RATE_KEYS)) {
    const v = numberAt(id, entry, `${key}_batches`);
    const rate = numberAt(id, entry, key);
    if (!v || !rate) continue;
    batchKeys++;
    batchRatios.add(ratioMillionths(scaledDecimal(rate.text, 30)!, scaledDecimal(v.text, 30)!));
  }
  if (batchKeys) {
    const [only] = [...batchRatios];
    if (batchRatios.size === 1 && only !== null && only !== undefined && only > MAX_MULTIPLIER_MILLIONTHS) throw new MapError(id, `its batch rates are above ${millionthsText(MAX_MULTIPLIER_MILLIONTHS)} times its rates`);
    if (batchRatios.size === 1 && only !== null && only !== undefined) modifiers.push({ dimension: 'service_tier', value: 'batch', multiplierMillionths: only });
    else notes.push('its batch rates are no single multiple of its rates: batch not taken');
  }
  const search = entry.search_context_cost_per_query;
  if (isObject(search)) {
    const fees = new Set<bigint>();
    for (const [k, v] of Object.entries(search)) {
      if (!(v instanceof NumberText) || v.text.startsWith('-')) throw new MapError(id, `search_context_cost_per_query.${k} is not a non-negative number`);
      fees.add(nanos(id, `search_context_cost_per_query.${k}`, v, MAX_FEE_NANOS_PER_REQUEST));
    }
    if (fees.size === 1) modifiers.push({ dimension: 'web_search_requests', value: '', nanosPerRequest: [...fees][0]! });
    else if (fees.size > 1) notes.push('web search costs differ by context size: web search not taken');
  }
  const specific = entry.provider_specific_entry;
  if (isObject(specific)) {
    const dims: Record<string, MapModifier['dimension']> = { us: 'inference_geo', fast: 'speed' };
    for (const [k, v] of Object.entries(specific)) {
      const dimension = dims[k];
      if (!dimension) { notes.push(`provider_specific_entry.${k} is not known: not taken`); continue; }
      if (!(v instanceof NumberText) || v.text.startsWith('-')) throw new MapError(id, `provider_specific_entry.${k} is not a non-negative number`);
      modifiers.push({ dimension, value: k, multiplierMillionths: nanos(id, `provider_specific_entry.${k}`, v, MAX_MULTIPLIER_MILLIONTHS, 6) });
    }
  }
  return { id, family: familyOfModelId(id), tiers, modifiers, notes };
}

/**
 * The map's Anthropic entries (litellm_provider "anthropic"). Refused whole (MapError,
 * naming the entry) when the text is not JSON, has no Anthropic entry, or a rate is
 * negative, not a number or not a whole number of nano-dollars.
 */
export function readAnthropicMap(text: string): AnthropicMap {
  let parsed: LosslessJson;
  try {
    parsed = parseLosslessJson(text);
  } catch (err) {
    throw new MapError('(file)', `not JSON: ${(err as Error).message}`);
  }
  if (!isObject(parsed)) throw new MapError('(file)', 'not a JSON object of model entries');
  const out: AnthropicMap = { entries: [], skipped: [] };
  for (const [id, e] of Object.entries(parsed)) {
    if (!isObject(e) || e.litellm_provider !== 'anthropic') continue;
    if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/.test(id)) throw new MapError(id, 'is not a model id (a letter or digit, then up to 199 of letters, digits and ._:-)');
    const read = readEntry(id, e);
    if ('skipped' in read) out.skipped.push({ id, reason: read.skipped });
    else out.entries.push(read);
  }
  if (out.entries.length === 0 && out.skipped.length === 0) throw new MapError('(file)', 'has no entry whose litellm_provider is "anthropic"');
  return out;
}

/** The keys of an entry the seed keeps: prices and the provider. */
const SEED_KEY = /cost|^provider_specific_entry$|^litellm_provider$/;

/**
 * The seed data file: the map's Anthropic entries with their price keys only, numbers
 * exactly as the map wrote them, under a `_source` entry naming the package version.
 */
export function seedMapOf(mapText: string, source: { package: string; version: string; file: string }): string {
  const parsed = parseLosslessJson(mapText) as Record<string, LosslessJson>;
  const out: Record<string, LosslessJson> = { _source: { ...source, provider: 'anthropic' } };
  for (const id of Object.keys(parsed).sort()) {
    const e = parsed[id];
    if (!isObject(e) || e.litellm_provider !== 'anthropic') continue;
    out[id] = Object.fromEntries(Object.entries(e).filter(([k]) => SEED_KEY.test(k)).sort(([a], [b]) => (a < b ? -1 : 1)));
  }
  return `${stringifyLosslessJson(out)}\n`;
}
