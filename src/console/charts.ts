// Charts drawn on the server as inline SVG: no script, no CDN, nothing for the CSP to
// allow. Each is role="img" with a sentence for its aria-label, and the page puts the
// same numbers in a table beside it. Heights come from exact nanos (bigint); only the
// pixel positions are rounded.
import { parseUsd, formatUsd, type Nanos } from '../domain/money.js';
import { usdCents } from '../domain/display.js';
import { html, type Html } from './html.js';

/** An amount for people: whole cents with thousands separators, "$1,012.35". */
export const cents = (usd: string | null | undefined, none = 'Unlimited') => (usd === null || usd === undefined ? none : usdCents(parseUsd(usd) ?? 0n));

export interface ChartDay {
  date: string;
  /** This day's extra spend. */
  extra: string;
  /** From the first of the month to the end of this day. */
  cumulativeExtra: string;
  future: boolean;
}

const W = 720;
const H = 260;
const LEFT = 64;
const RIGHT = 16;
const TOP = 16;
const BOTTOM = 32;
const PLOT_W = W - LEFT - RIGHT;
const PLOT_H = H - TOP - BOTTOM;

/** y of an amount on a scale whose top is `max` (> 0). */
const yOf = (v: Nanos, max: Nanos) => TOP + PLOT_H - Number((v * BigInt(PLOT_H * 100)) / max) / 100;

/**
 * Month-to-date extra spend per day as bars of the running total, the cap as a line,
 * and (when given) the month's rate carried on to its end as a dashed line.
 */
export function spendChart(opts: { label: string; days: readonly ChartDay[]; capNanos: Nanos | null; capName?: string; projectedEndNanos?: Nanos | null; todayIndex?: number }): Html {
  const totals = opts.days.map((d) => parseUsd(d.cumulativeExtra) ?? 0n);
  const daily = opts.days.map((d) => parseUsd(d.extra) ?? 0n);
  let max = 0n;
  for (const t of totals) if (t > max) max = t;
  if (opts.capNanos !== null && opts.capNanos > max) max = opts.capNanos;
  if (opts.projectedEndNanos && opts.projectedEndNanos > max) {
    // The projection may run far past the cap: show up to twice the cap, clip the rest.
    const limit = opts.capNanos !== null ? opts.capNanos * 2n : opts.projectedEndNanos;
    max = opts.projectedEndNanos < limit ? opts.projectedEndNanos : limit > max ? limit : max;
  }
  if (max === 0n) max = 1_000_000_000n; // $1: an empty month still has an axis.
  max += max / 10n; // head room
  const n = Math.max(1, opts.days.length);
  const slot = PLOT_W / n;
  const bar = Math.max(2, slot * 0.7);
  const x = (i: number) => LEFT + i * slot + (slot - bar) / 2;
  const bars = opts.days.map((d, i) => {
    if (d.future) return '';
    const y = yOf(totals[i]!, max);
    const h = TOP + PLOT_H - y;
    return html`<rect class="bar${daily[i]! > 0n ? '' : ' idle'}" x="${x(i).toFixed(1)}" y="${y.toFixed(1)}" width="${bar.toFixed(1)}" height="${Math.max(0, h).toFixed(1)}"><title>${d.date}: ${cents(d.extra)} that day, ${cents(d.cumulativeExtra)} so far</title></rect>`;
  });
  const capLine = opts.capNanos !== null
    ? html`<line class="cap" x1="${LEFT}" x2="${W - RIGHT}" y1="${yOf(opts.capNanos, max).toFixed(1)}" y2="${yOf(opts.capNanos, max).toFixed(1)}"/><text class="axis" x="${W - RIGHT}" y="${(yOf(opts.capNanos, max) - 4).toFixed(1)}" text-anchor="end">${opts.capName ?? 'cap'} ${cents(formatUsd(opts.capNanos))}</text>`
    : '';
  let projection: Html | string = '';
  if (opts.projectedEndNanos !== undefined && opts.projectedEndNanos !== null && opts.todayIndex !== undefined) {
    const i = opts.todayIndex;
    const x1 = x(i) + bar / 2;
    const y1 = yOf(totals[i] ?? 0n, max);
    const x2 = LEFT + PLOT_W;
    const y2 = Math.max(TOP, yOf(opts.projectedEndNanos, max));
    projection = html`<line class="projection" x1="${x1.toFixed(1)}" y1="${y1.toFixed(1)}" x2="${x2.toFixed(1)}" y2="${y2.toFixed(1)}"/>`;
  }
  const ticks = opts.days.map((d, i) => (i === 0 || (i + 1) % 5 === 0 ? html`<text class="axis" x="${(x(i) + bar / 2).toFixed(1)}" y="${H - 10}" text-anchor="middle">${String(Number(d.date.slice(8)))}</text>` : ''));
  return html`<svg class="chart" role="img" aria-label="${opts.label}" viewBox="0 0 ${W} ${H}" width="100%" preserveAspectRatio="xMinYMin meet" focusable="false">
<line class="axisline" x1="${LEFT}" x2="${W - RIGHT}" y1="${TOP + PLOT_H}" y2="${TOP + PLOT_H}"/>
<text class="axis" x="${LEFT - 6}" y="${TOP + PLOT_H}" text-anchor="end">$0</text>
<text class="axis" x="${LEFT - 6}" y="${TOP + 10}" text-anchor="end">${cents(formatUsd(max))}</text>
${bars}${capLine}${projection}${ticks}
</svg>`;
}

/** The running total at the month's end if spending goes on at the month's rate so far (exact, nanos). */
export function projectedEnd(spentNanos: Nanos, monthStart: Date, now: Date, monthEnd: Date): Nanos | null {
  const elapsed = BigInt(now.getTime() - monthStart.getTime());
  if (elapsed <= 0n || spentNanos <= 0n) return null;
  return (spentNanos * BigInt(monthEnd.getTime() - monthStart.getTime())) / elapsed;
}
