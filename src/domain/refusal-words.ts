// The one wording of an authorize refusal, for every place a person meets one: the
// API's `message` (which gateways and the TypeScript client pass on as they are),
// the member's console page, Slack, Teams and email. Pure: no I/O, the caller gives
// the facts (the org's timezone, the console's address).
import { CAP_ORDER, type Plan, type RefusalReason, type SeatTier } from './caps.js';
import { formatWhen, usdCents } from './display.js';

/** Every reason authorize can refuse with, in the cap order (model_unpriced first). */
export const REFUSAL_REASONS = ['model_unpriced', ...CAP_ORDER] as const satisfies readonly RefusalReason[];

// A reason added to RefusalReason without being listed here fails to compile.
type Unworded = Exclude<RefusalReason, (typeof REFUSAL_REASONS)[number]>;
export const EVERY_REASON_WORDED: [Unworded] extends [never] ? true : Unworded = true;

/** The console page where the member acts on a refusal (their own page). */
export const MEMBER_PAGE = '/me';
/** Where owners add funds (a Team's prepaid balance). */
export const BALANCE_PAGE = '/usage';

export interface RefusalFacts {
  reason: RefusalReason;
  /** When it lifts by itself; null when it does not (a balance to top up, a price to add). */
  resetsAt: Date | string | null;
  /** The org's timezone: every time is said in it. */
  timezone: string;
  plan: Plan;
  /** The request rule's answer: an Enterprise member who may ask admins for extra usage now. */
  canRequestExtraUsage: boolean;
  /** The amount limit reached: its cap and what is spent (and held) against it. */
  limit?: { capNanos: bigint; spentNanos: bigint; requestNanos?: bigint } | null;
  seatTier?: SeatTier | null;
  product?: string | null;
  model?: string | null;
  /** The console's public address (PUBLIC_URL); null: links are paths on this service. */
  consoleUrl: string | null;
  /**
   * A monthly limit only: when the seat's included usage comes back (the seat window's
   * end). Said when it comes before the limit lifts: authorize lets included usage
   * through first, so the member may go on sooner than the month's end.
   */
  includedBackAt?: Date | string | null;
}

export interface RefusalWords {
  reason: RefusalReason;
  /** What stopped them, one clause ("you reached your monthly extra usage limit ($75.00 of $75.00)"). */
  stopped: string;
  /** When it lifts, local time with its zone ("1 Jan 2027, 00:00 (Europe/Paris)"), or null when it does not by itself. */
  liftsAt: string | null;
  /** The clause saying when it lifts ("it lifts 1 Jan 2027, 00:00 (Europe/Paris)" / "it lifts when an owner adds funds"). */
  lifts: string;
  /** The next step, without its link ("Ask an admin to raise your limit"). */
  next: string;
  /** The console page where they (or the owner named) act. */
  link: string;
  /** The whole of it, self-contained: two sentences, the link last. */
  message: string;
}

const spentOf = (l: RefusalFacts['limit']) => (l ? ` (${usdCents(l.spentNanos)} of ${usdCents(l.capNanos)})` : '');
// A balance may go below zero by the last request: nothing is left either way.
const leftOf = (l: { capNanos: bigint; spentNanos: bigint }) => (l.capNanos > l.spentNanos ? l.capNanos - l.spentNanos : 0n);
const tierName = (t: SeatTier | null | undefined) => (t === 'premium' ? 'Premium' : t === 'standard' ? 'Standard' : null);

interface Parts { stopped: string; untilNot: string; next: string; page: string }

function partsOf(f: RefusalFacts): Parts {
  const product = f.product ? `on ${f.product}` : 'on this product';
  switch (f.reason) {
    case 'model_unpriced':
      return {
        stopped: `the model ${f.model ? `${f.model} ` : ''}has no price here yet, so its usage could not be counted`,
        untilNot: 'once a price is added for it (or a fallback model family is set for your organisation)',
        next: 'Use another model, or ask whoever runs Extra usage for your organisation to add a price for it',
        page: MEMBER_PAGE,
      };
    case 'extra_usage_disabled':
      return {
        stopped: 'you have used the usage included in your seat, and extra usage is off for your organisation',
        untilNot: 'when your included usage comes back',
        // Admins cannot turn the organisation's extra usage on: only an owner decides such a request.
        next: f.plan === 'enterprise' && f.canRequestExtraUsage
          ? 'To go on sooner, request extra usage (an owner decides, as it is off for everyone)'
          : 'Only an owner can turn extra usage on; see your usage',
        page: MEMBER_PAGE,
      };
    case 'seat_limit_reached':
      return {
        stopped: 'you have used the usage included in your seat, and extra usage is not on for you',
        untilNot: 'when your included usage comes back',
        next: f.plan === 'enterprise'
          ? f.canRequestExtraUsage
            ? 'To go on sooner, request extra usage from your admins'
            : 'Your last request was declined recently; see when you may ask again'
          : 'To go on sooner, ask an owner to turn extra usage on for you',
        page: MEMBER_PAGE,
      };
    case 'continue_on_extra_usage_off':
      return {
        stopped: 'you have used the usage included in your seat, and you chose not to continue on extra usage',
        untilNot: 'when your included usage comes back',
        // Nobody to ask: the member's own choice, one step of theirs turns it back on.
        next: 'To go on now, choose "Continue on extra usage" (billed at standard API rates)',
        page: MEMBER_PAGE,
      };
    case 'product_not_enabled':
      return {
        stopped: `you have used the usage included in your seat, and extra usage is not on for you ${product}`,
        untilNot: 'when your included usage comes back',
        next: `To go on sooner, ask an owner to turn on your extra usage ${product}`,
        page: MEMBER_PAGE,
      };
    case 'product_cap_reached':
      return {
        stopped: `you reached your monthly extra usage limit ${product}${spentOf(f.limit)}`,
        untilNot: 'when an owner raises it',
        next: 'Other products are not affected; an owner can raise this limit sooner',
        page: MEMBER_PAGE,
      };
    case 'member_cap_reached':
      return {
        stopped: `you reached your monthly extra usage limit${spentOf(f.limit)}`,
        // Only owners change caps: the member's page sends owners a request to raise it (src/ledger/requests/limit-raise.ts).
        untilNot: 'when an owner raises it',
        next: 'To go on sooner, ask to raise your limit',
        page: MEMBER_PAGE,
      };
    case 'seat_tier_cap_reached': {
      const tier = tierName(f.seatTier);
      return {
        stopped: `${tier ? `${tier} seats reached their` : 'your seat tier reached its'} monthly extra usage limit${spentOf(f.limit)}`,
        untilNot: 'when an owner raises it',
        next: 'Only an owner can raise a seat tier\'s limit; ask the owners to raise it',
        page: MEMBER_PAGE,
      };
    }
    case 'org_cap_reached':
      return {
        stopped: `your organisation reached its monthly extra usage limit${spentOf(f.limit)}`,
        untilNot: 'when an owner raises it',
        next: 'Only an owner can raise the organisation\'s limit; ask the owners to raise it',
        page: MEMBER_PAGE,
      };
    case 'balance_exhausted':
      return {
        stopped: `your organisation's prepaid extra usage balance is used up${f.limit ? ` (${usdCents(leftOf(f.limit))} left)` : ''}`,
        untilNot: 'when an owner adds funds',
        next: 'An owner can add funds',
        page: BALANCE_PAGE,
      };
  }
}

const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The limit a reason names, as a sentence says it (for a request that does not fit in it). */
function limitName(f: RefusalFacts): string {
  switch (f.reason) {
    case 'product_cap_reached': return `your monthly extra usage limit on ${f.product ?? 'this product'}`;
    case 'seat_tier_cap_reached': return `the ${tierName(f.seatTier) ?? 'seat tier'} seats' monthly extra usage limit`;
    case 'org_cap_reached': return "your organisation's monthly extra usage limit";
    case 'balance_exhausted': return "your organisation's prepaid balance";
    default: return 'your monthly extra usage limit';
  }
}

/**
 * Reservation mode: a request is refused when what it may cost does not fit in what is
 * left, although the limit itself is not reached. Saying "you reached your limit" would
 * be untrue: it says the request does not fit, and that a smaller one may.
 */
function notFitting(f: RefusalFacts, p: Parts): Parts {
  const l = f.limit;
  if (!l || l.requestNanos === undefined || l.spentNanos >= l.capNanos) return p;
  return {
    ...p,
    stopped: `this request (up to ${usdCents(l.requestNanos)}) does not fit in what is left of ${limitName(f)} (${usdCents(leftOf(l))} of ${usdCents(l.capNanos)}, counting requests still running)`,
    next: `A smaller request (a lower max_tokens) may still fit. ${p.next}`,
  };
}

/** Limits that lift at the month's end (or by an owner): included usage may come back sooner. */
const AMOUNT_LIMITS: ReadonlySet<RefusalReason> = new Set(['product_cap_reached', 'member_cap_reached', 'seat_tier_cap_reached', 'org_cap_reached', 'balance_exhausted']);

/** "; your included usage comes back 7 Dec 2026, 18:00 (Europe/Paris)" when it comes back before the limit lifts. */
function includedBack(f: RefusalFacts): string {
  if (!f.includedBackAt || !AMOUNT_LIMITS.has(f.reason)) return '';
  const back = new Date(f.includedBackAt);
  if (Number.isNaN(back.getTime()) || (f.resetsAt && back.getTime() >= new Date(f.resetsAt).getTime())) return '';
  return `; your included usage comes back ${formatWhen(back, f.timezone)}`;
}

/** The words of one refusal (what stopped them, when it lifts, the next step and its link). */
export function refusalWords(f: RefusalFacts): RefusalWords {
  const p = notFitting(f, partsOf(f));
  const liftsAt = f.resetsAt ? formatWhen(f.resetsAt, f.timezone) : null;
  const lifts = `${liftsAt ? `it lifts ${liftsAt}` : `it lifts ${p.untilNot}`}${includedBack(f)}`;
  const link = f.consoleUrl ? `${f.consoleUrl.replace(/\/+$/, '')}${p.page}` : p.page;
  const where = f.consoleUrl ? `: ${link}` : ` in the web console at ${link}`;
  return {
    reason: f.reason, stopped: p.stopped, liftsAt, lifts, next: p.next, link,
    message: `${capitalised(p.stopped)}; ${lifts}. ${p.next}${where}`,
  };
}
