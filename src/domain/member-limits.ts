// A member's spend limits as the surfaces show them (the console's "Individual seat
// limits", "What stops you next", Slack's /usage and App Home, Teams' usage card),
// whoever holds them: our ledger (a member's monthly cap) or, for an org connected to
// Claude, Anthropic (each period's effective limit and where it comes from). Pure.

export type LimitPeriod = 'daily' | 'weekly' | 'monthly';

/**
 * Where a limit comes from. Ours: `member` (their own cap, set here). Claude's: `user`
 * (their own, set here or in claude.ai), `seat_tier`, `rbac_group`, `organization`
 * (defaults changed in claude.ai only).
 */
export type LimitSource = 'member' | 'user' | 'seat_tier' | 'rbac_group' | 'organization';

export interface LimitLine {
  period: LimitPeriod;
  /** Nano-dollars; null = no limit for this period. */
  limitNanos: bigint | null;
  /** Spent so far this period (extra usage for ours), exact. */
  spentNanos: bigint;
  source: LimitSource;
  /** The seat tier or group named, when the limit is theirs. */
  sourceRef: string | null;
  /** An owner changes it here (their own limit); otherwise in claude.ai. */
  editableHere: boolean;
}

/** Who holds an org's limits: our ledger, or Anthropic for an org connected to Claude. */
export type LimitsAuthority = 'ledger' | 'claude';

export const SOURCE_WORDS: Record<LimitSource, string> = {
  member: 'their own limit',
  user: 'their own limit',
  seat_tier: 'their seat tier',
  rbac_group: 'a group',
  organization: 'the organization',
};

/** "seat tier (standard)", "a group (grp_1)", "their own limit". */
export function sourceText(line: Pick<LimitLine, 'source' | 'sourceRef'>): string {
  const word = SOURCE_WORDS[line.source] ?? line.source;
  return line.sourceRef && line.source !== 'user' && line.source !== 'member' ? `${word} (${line.sourceRef})` : word;
}

/** What is left under a limit (never below zero), or null for no limit. */
export const headroom = (l: LimitLine): bigint | null => (l.limitNanos === null ? null : l.limitNanos > l.spentNanos ? l.limitNanos - l.spentNanos : 0n);

/**
 * The limit that stops the member next: a reached one first, else the one with the
 * least left (the shorter period on a tie); null when no line has a limit.
 */
export function nextLimit(lines: readonly LimitLine[]): (LimitLine & { reached: boolean }) | null {
  const ORDER: Record<LimitPeriod, number> = { daily: 0, weekly: 1, monthly: 2 };
  let best: LimitLine | null = null;
  for (const l of lines) {
    const left = headroom(l);
    if (left === null) continue;
    const bestLeft = best ? headroom(best)! : null;
    if (bestLeft === null || left < bestLeft || (left === bestLeft && ORDER[l.period] < ORDER[best!.period])) best = l;
  }
  return best ? { ...best, reached: headroom(best) === 0n } : null;
}

const PERIOD_ADJ: Record<LimitPeriod, string> = { daily: 'daily', weekly: 'weekly', monthly: 'monthly' };
const PERIOD_NOUN: Record<LimitPeriod, string> = { daily: 'today', weekly: 'this week', monthly: 'this month' };
const periodLabel = (p: LimitPeriod) => `${PERIOD_ADJ[p][0]!.toUpperCase()}${PERIOD_ADJ[p].slice(1)} limit`;
const yours = (l: LimitLine) => `from ${sourceText(l).replace(/^their /, 'your ')}${l.editableHere ? '' : ', changed in claude.ai'}`;

/**
 * What chat tells a member of a connected org about their own limits in Claude, in
 * plain words (each surface escapes and styles it): what stops them next, and a line
 * per period with the limit, where it comes from and the spend so far, in cents.
 */
export function claudeLimitWords(lines: readonly LimitLine[], cents: (nanos: bigint) => string): { next: string; stopped: boolean; lines: { period: LimitPeriod; label: string; text: string }[] } {
  const n = nextLimit(lines);
  const next = !n
    ? 'No spend limit applies to you in Claude.'
    : n.reached
      ? `You are stopped by your ${PERIOD_ADJ[n.period]} limit in Claude: ${cents(n.spentNanos)} of ${cents(n.limitNanos!)} spent ${PERIOD_NOUN[n.period]} (${yours(n)}). Ask for more with "Request extra usage" in claude.ai.`
      : `Your next limit in Claude is your ${PERIOD_ADJ[n.period]} limit of ${cents(n.limitNanos!)}: ${cents(n.spentNanos)} spent ${PERIOD_NOUN[n.period]} (${yours(n)}).`;
  return {
    next,
    stopped: n?.reached ?? false,
    lines: lines.map((l) => ({
      period: l.period,
      label: periodLabel(l.period),
      text: `${cents(l.spentNanos)} of ${l.limitNanos === null ? 'no limit' : cents(l.limitNanos)} spent ${PERIOD_NOUN[l.period]} (${yours(l)})`,
    })),
  };
}

/**
 * What chat tells an owner about one member's limits in Claude ("Individual seat
 * limits"), a line per period in plain words (each surface escapes and styles it): the
 * spend so far of the limit, in cents, where the limit comes from, and "change this in
 * claude.ai" unless it is the member's own (which an owner edits in the console).
 */
export function ownerClaudeLimitLines(lines: readonly LimitLine[], cents: (nanos: bigint) => string): string[] {
  if (lines.length === 0) return ['No limit reported by Claude yet'];
  return lines.map((l) => {
    const reached = l.limitNanos !== null && l.spentNanos >= l.limitNanos;
    const spend = l.limitNanos === null ? `no limit, ${cents(l.spentNanos)} spent` : `${cents(l.spentNanos)} of ${cents(l.limitNanos)} spent`;
    return `${periodLabel(l.period)}: ${spend} ${PERIOD_NOUN[l.period]}${reached ? ', reached' : ''} (from ${sourceText(l)}${l.editableHere ? '' : '; change this in claude.ai'})`;
  });
}

/**
 * The console's Usage page, where an owner gives a member a limit of their own in
 * Claude; filtered to that member when named (its filter takes 100 characters). Null
 * without the console's public address (PUBLIC_URL): chat then names the page, unlinked.
 */
export function consoleLimitLink(publicUrl: string | null | undefined, memberName?: string): string | null {
  if (!publicUrl) return null;
  const page = `${publicUrl.replace(/\/+$/, '')}/usage`;
  return memberName ? `${page}?q=${encodeURIComponent(memberName.slice(0, 100))}` : page;
}
