// The operators' alert for usage the price book cannot price yet: what it is about
// (a model, or a fee or multiplier), how it is deduplicated (once per subject per UTC
// day), and what it says (the model, the orgs and counts, the API call that prices it).
// Pure: the counts come in.

/** The stored reason of an unpriced record: "model_unpriced", or e.g. "modifier_unpriced:service_tier=priority". */
export interface UnpricedSubject {
  /** model: the family has no token price; fee: a fee or multiplier has no row. */
  kind: 'model' | 'fee';
  /** The family (model) or what has no price ("service_tier=priority", "web_search_requests"). */
  name: string;
  /** The family of the usage (for a fee: the first family seen). */
  family: string;
  /** The stored reason text. */
  reason: string;
}

export function unpricedSubjectOf(family: string, reason: string): UnpricedSubject {
  if (reason === 'model_unpriced') return { kind: 'model', name: family, family, reason };
  const colon = reason.indexOf(':');
  return { kind: 'fee', name: colon >= 0 ? reason.slice(colon + 1) : reason, family, reason };
}

/** The UTC day an event belongs to for deduplication ("2026-11-15"). */
export const alertDay = (at: Date) => at.toISOString().slice(0, 10);

/** One alert per subject per day: the workflow id and the delivery's dedupe key. */
export const unpricedAlertKey = (s: UnpricedSubject, day: string) => `usage_unpriced/${day}/${s.kind}/${s.name}`;

export interface UnpricedCounts {
  /** Records still unpriced for this subject, per org (name), most first. */
  orgs: { name: string; slug: string; count: number }[];
  /** When the oldest of them happened (the earliest a first price may be back-dated to). */
  firstAt: Date | null;
}

export interface UnpricedAlertText {
  title: string;
  text: string;
  facts: Record<string, string>;
}

/** The pinned LiteLLM map's price for the model, when it has one. */
export interface MapPrice {
  /** e.g. "litellm 1.108.7". */
  source: string;
  /** The map's entry that prices it (the model itself, or its family without a date). */
  entry: string;
  /** Per million tokens, per tier (0 = the base rate). */
  tiers: { above: number; perMillion: { input: string; cacheWrite5m: string; cacheWrite1h: string; cacheRead: string; output: string } }[];
  /** The one command that adds it (and prices the kept usage from its first use). */
  command: string;
}

const mapPriceText = (m: MapPrice) => m.tiers.map((t) => `${t.above ? `above ${t.above} prompt tokens: ` : ''}input $${t.perMillion.input}, 5-minute cache write $${t.perMillion.cacheWrite5m}, 1-hour cache write $${t.perMillion.cacheWrite1h}, cache read $${t.perMillion.cacheRead}, output $${t.perMillion.output}`).join('; ') + ' per million tokens';

/** What operators read: the subject, the orgs and counts, and the call that prices it (the pinned map's, when it has one). */
export function unpricedAlertText(s: UnpricedSubject, model: string, counts: UnpricedCounts, fromMap?: MapPrice | null): UnpricedAlertText {
  const total = counts.orgs.reduce((n, o) => n + o.count, 0);
  const orgs = counts.orgs.map((o) => `${o.name} (${o.slug}): ${o.count}`).join(', ') || 'none left';
  const since = counts.firstAt ? counts.firstAt.toISOString() : null;
  const map = s.kind === 'model' && fromMap ? fromMap : null;
  const fix = map
    ? `${map.command} (adds ${map.entry}'s price from ${map.source}'s map${map.entry !== model ? ` and ${model} as its alias` : ''}; the kept usage is priced from its first use)`
    : s.kind === 'model'
    ? `POST /v1/operator/prices {"model": "${s.name}", "effectiveFrom": "${since ?? '<when>'}", "perMillionTokens": {…}}` +
      ` (a new model's first price may be back-dated to its first usage), or POST /v1/operator/models/aliases {"alias": "${model}", "family": "<a priced family>"}`
    : `POST /v1/operator/price-modifiers {"family": "${s.family}" or "*", "dimension": "${s.name.split('=')[0]}"${s.name.includes('=') ? `, "value": "${s.name.split('=')[1]}"` : ''}, "effectiveFrom": "${since ?? '<when>'}", …}`;
  const what = s.kind === 'model' ? `model ${s.name}` : `${s.name} (on ${s.family})`;
  return {
    title: `Usage kept unpriced: ${what} has no price (${total} record${total === 1 ? '' : 's'})`,
    text: `Usage of ${what} is being recorded without a price: it is kept and counted nowhere (no spend, no cap, no invoice) until a price for it exists. Price it with ${fix}. Every record is then priced once, in its own month. The list: GET /v1/operator/usage/unpriced?family=${encodeURIComponent(s.family)}.`,
    facts: {
      [s.kind === 'model' ? 'Model' : 'Fee or multiplier']: s.kind === 'model' ? `${s.name}${model !== s.name ? ` (sent as ${model})` : ''}` : s.name,
      'Unpriced records': String(total),
      Organisations: orgs,
      ...(since ? { 'First usage': since } : {}),
      ...(map ? { [`In ${map.source}'s map`]: `${map.entry}: ${mapPriceText(map)}` } : {}),
      'Price it with': fix,
    },
  };
}
