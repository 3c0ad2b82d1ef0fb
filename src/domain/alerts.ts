// What to tell whom when a limit is crossed or a reload ends: pure rules, no I/O.
// The dedupe key is what stops alert floods: one alert per (subject, threshold,
// period), and the cap amount is part of it, so a changed cap re-arms the alert.
// Spend only grows within a month, so a given (threshold, period, cap) can be
// crossed at most once and the key never suppresses a genuine new crossing.
import type { AlertKind } from '../notify/port.js';
import type { Plan } from './caps.js';
import type { DomainEvent } from './events.js';
import { formatWhen, usdCents, usdWithExact, type Amount } from './display.js';
import { parseUsd } from './money.js';
import { nextPeriod, periodStart } from './periods.js';
import { refusalWords } from './refusal-words.js';

/** Outcomes of an auto-reload, alerted to owners like the ledger's events. */
export type ReloadOutcome =
  | { type: 'reload_succeeded'; triggerEventId: string; amountNanos: string; balanceNanos: string }
  | { type: 'reload_failed'; triggerEventId: string; amountNanos: string; balanceNanos: string; error: string }
  /**
   * `limit`: the monthly limit in nano-dollars (a decimal string); a number is a count of
   * reloads, from a run started before the limit became an amount (migration 20261216020000).
   */
  | { type: 'reload_limit_reached'; period: string; limit: string | number; balanceNanos: string };

/** Team balance notices with auto-reload off, written once per episode by the balance watch. */
export type BalanceNotice =
  | { type: 'balance_warning'; balanceNanos: string; levelNanos: string }
  /** extraUsageTurnedOn: written as an owner turned extra usage on with nothing to spend. */
  | { type: 'balance_exhausted'; balanceNanos: string; extraUsageTurnedOn?: boolean };

export type AlertEvent = DomainEvent | ReloadOutcome | BalanceNotice;

export interface AlertContext {
  /** The outbox event (or workflow) this alert comes from. */
  eventId: string;
  /** extraUsageEnabled: the org's switch (a member at the seat limit is told which of the two stops them). */
  org: { name: string; plan: Plan; timezone: string; extraUsageEnabled?: boolean };
  /** The member the event is about (seat limit, member cap). */
  member?: { name: string; extraUsageAvailable: boolean; /** Their choice (else the default) to continue on extra usage; absent: true. */ continuesOnExtraUsage?: boolean };
  /** The console's public address, for the link in a member's refusal words (null: a path on this service). */
  consoleUrl?: string | null;
}

export type Audience = 'owners' | 'member';

export interface AlertRule {
  kind: AlertKind;
  audience: Audience;
  /** Set when the audience is 'member'. */
  memberId?: string;
  dedupeKey: string;
  title: string;
  text: string;
  facts: Record<string, string>;
  canRequestExtraUsage?: boolean;
}

// Cents everywhere; a spend next to its cap also gives the exact figure when cents hide part of it.
const usd = (nanos: string | bigint) => usdCents(BigInt(nanos));
const spent = (nanos: string | bigint) => usdWithExact(BigInt(nanos));

/** What every surface says while a Team org's extra usage is on with nothing to spend. */
export function noBalanceWords(balance: Amount): string {
  // A balance a last request took below zero still reads $0.00: nothing is left to spend.
  const nanos = typeof balance === 'bigint' ? balance : parseUsd(balance.trim()) ?? 0n;
  return `Balance ${usdCents(nanos < 0n ? 0n : nanos)}: nobody can use extra usage yet`;
}

/** "1 Jan 2027, 00:00 (Europe/Paris)": the one date format (src/domain/display.ts). */
export const localTime = (at: Date, tz: string): string => formatWhen(at, tz);

const monthEnd = (period: string, tz: string) => periodStart(nextPeriod(period), tz);

/** The alert for an event, or null when the event is nobody's business. */
export function alertFor(event: AlertEvent, ctx: AlertContext): AlertRule | null {
  const tz = ctx.org.timezone;
  switch (event.type) {
    case 'org_cap_threshold': {
      const resets = monthEnd(event.period, tz);
      const stopped = event.percent >= 100;
      return {
        kind: 'org_cap_threshold',
        audience: 'owners',
        dedupeKey: `org_cap:${event.percent}:${event.period}:cap=${event.capNanos}`,
        title: stopped
          ? `${ctx.org.name} reached its monthly extra usage cap of ${usd(event.capNanos)}`
          : `${ctx.org.name} has used ${event.percent}% of its monthly extra usage cap`,
        text: stopped
          ? `Extra usage is paused for everyone until ${localTime(resets, tz)}, unless an owner raises the org cap.`
          : `${spent(event.spendNanos)} of ${usd(event.capNanos)} spent on extra usage this month. Extra usage stops at the cap.`,
        facts: { Month: event.period, Spent: spent(event.spendNanos), Cap: usd(event.capNanos), Threshold: `${event.percent}%`, Resets: resets.toISOString() },
      };
    }
    case 'tier_cap_reached': {
      const resets = monthEnd(event.period, tz);
      const percent = event.percent ?? 100;
      if (percent < 100) {
        // An owner's threshold short of the cap (GET /v1/settings/notices).
        return {
          kind: 'tier_cap_reached',
          audience: 'owners',
          dedupeKey: `tier_cap:${event.tier}:${percent}:${event.period}:cap=${event.capNanos}`,
          title: `${cap1(event.tier)} seats have used ${percent}% of their monthly extra usage cap`,
          text: `${spent(event.spendNanos)} of ${usd(event.capNanos)} spent on extra usage on ${event.tier} seats this month. Their extra usage stops at the cap.`,
          facts: { Month: event.period, Tier: event.tier, Spent: spent(event.spendNanos), Cap: usd(event.capNanos), Threshold: `${percent}%`, Resets: resets.toISOString() },
        };
      }
      return {
        kind: 'tier_cap_reached',
        audience: 'owners',
        dedupeKey: `tier_cap:${event.tier}:${event.period}:cap=${event.capNanos}`,
        title: `${cap1(event.tier)} seats reached their monthly extra usage cap of ${usd(event.capNanos)}`,
        text: `Members on ${event.tier} seats cannot use extra usage until ${localTime(resets, tz)}, unless an owner raises the ${event.tier} seat cap.`,
        facts: { Month: event.period, Tier: event.tier, Spent: spent(event.spendNanos), Cap: usd(event.capNanos), Resets: resets.toISOString() },
      };
    }
    case 'member_cap_reached': {
      const resets = monthEnd(event.period, tz);
      return {
        kind: 'member_cap_reached',
        audience: 'member',
        memberId: event.memberId,
        dedupeKey: `member_cap:${event.memberId}:${event.period}:cap=${event.capNanos}`,
        title: `You reached your extra usage cap of ${usd(event.capNanos)} for this month`,
        // The one wording of the refusal the member now gets (src/domain/refusal-words.ts).
        text: refusalWords({ reason: 'member_cap_reached', resetsAt: resets, timezone: tz, plan: ctx.org.plan, canRequestExtraUsage: false, limit: { capNanos: BigInt(event.capNanos), spentNanos: BigInt(event.spendNanos) }, consoleUrl: ctx.consoleUrl ?? null }).message,
        facts: { Month: event.period, Spent: spent(event.spendNanos), Cap: usd(event.capNanos), Resets: resets.toISOString() },
      };
    }
    case 'product_cap_reached': {
      // The member's own alert, like their cap (same kind for the channels).
      const resets = monthEnd(event.period, tz);
      return {
        kind: 'member_cap_reached',
        audience: 'member',
        memberId: event.memberId,
        dedupeKey: `product_cap:${event.memberId}:${event.product}:${event.period}:cap=${event.capNanos}`,
        title: `You reached your extra usage cap of ${usd(event.capNanos)} on ${event.product} for this month`,
        text: refusalWords({ reason: 'product_cap_reached', resetsAt: resets, timezone: tz, plan: ctx.org.plan, canRequestExtraUsage: false, limit: { capNanos: BigInt(event.capNanos), spentNanos: BigInt(event.spendNanos) }, product: event.product, consoleUrl: ctx.consoleUrl ?? null }).message,
        facts: { Month: event.period, Product: event.product, Spent: spent(event.spendNanos), Cap: usd(event.capNanos), Resets: resets.toISOString() },
      };
    }
    case 'seat_limit_reached': {
      // With extra usage on, the member carries on (billed); otherwise they wait or ask an admin.
      const extra = ctx.member?.extraUsageAvailable ?? false;
      const canRequest = !extra && ctx.org.plan === 'enterprise';
      const resets = event.resetsAt ? localTime(new Date(event.resetsAt), tz) : null;
      const facts: Record<string, string> = {};
      // Once, machine-readable: each channel shows it in the org's time (the text says it too).
      if (event.resetsAt) facts.Resets = event.resetsAt;
      return {
        kind: 'seat_limit_reached',
        audience: 'member',
        memberId: event.memberId,
        dedupeKey: `seat_limit:${event.memberId}:${event.resetsAt ?? `event=${ctx.eventId}`}`,
        title: 'You have used the usage included in your seat',
        text: extra && ctx.member?.continuesOnExtraUsage === false
          // They chose to stop at the seat limit: the refusal they now get, with the one step to continue.
          ? refusalWords({ reason: 'continue_on_extra_usage_off', resetsAt: event.resetsAt ?? null, timezone: tz, plan: ctx.org.plan, canRequestExtraUsage: false, consoleUrl: ctx.consoleUrl ?? null }).message
          : extra
          ? `Further requests use extra usage, billed at standard API rates${resets ? `, until your included usage resets at ${resets}` : ''}.`
          // Stopped: the one wording of the refusal the gateway now answers with (src/domain/refusal-words.ts).
          : refusalWords({ reason: ctx.org.extraUsageEnabled === false ? 'extra_usage_disabled' : 'seat_limit_reached', resetsAt: event.resetsAt ?? null, timezone: tz, plan: ctx.org.plan, canRequestExtraUsage: canRequest, consoleUrl: ctx.consoleUrl ?? null }).message,
        facts,
        canRequestExtraUsage: canRequest,
      };
    }
    case 'balance_below_threshold':
      return {
        kind: 'balance_low',
        audience: 'owners',
        // Each crossing is its own event; the ledger reports it once.
        dedupeKey: `balance_low:event=${ctx.eventId}`,
        title: `${ctx.org.name}'s prepaid balance is down to ${usd(event.balanceNanos)}`,
        text: `The balance reached the auto-reload threshold of ${usd(event.thresholdNanos)}; an auto-reload is starting. Extra usage stops when the balance reaches zero.`,
        facts: { Balance: usd(event.balanceNanos), Threshold: usd(event.thresholdNanos) },
      };
    case 'balance_warning':
      return {
        kind: 'balance_low',
        audience: 'owners',
        // The balance watch writes one event per episode.
        dedupeKey: `balance_warning:event=${ctx.eventId}`,
        title: `${ctx.org.name}'s prepaid balance is below ${usd(event.levelNanos)}`,
        text: `${usd(event.balanceNanos)} is left for extra usage, and auto-reload is off. Extra usage stops when it runs out: buy credit, or turn auto-reload on.`,
        facts: { Balance: usd(event.balanceNanos), 'Warning level': usd(event.levelNanos) },
      };
    case 'balance_exhausted':
      if (event.extraUsageTurnedOn) {
        return {
          kind: 'balance_low',
          audience: 'owners',
          dedupeKey: `balance_exhausted:event=${ctx.eventId}`,
          title: noBalanceWords(BigInt(event.balanceNanos)),
          text: `Extra usage is on for ${ctx.org.name}, but the prepaid balance is empty, so every request past a seat's included usage is refused. Buy balance to let members use extra usage; you are told this once.`,
          facts: { Balance: usd(event.balanceNanos) },
        };
      }
      return {
        kind: 'balance_low',
        audience: 'owners',
        dedupeKey: `balance_exhausted:event=${ctx.eventId}`,
        title: `${ctx.org.name}'s prepaid balance is used up`,
        text: `Extra usage is refused for everyone (balance ${usd(event.balanceNanos)}) until an owner buys credit. Auto-reload is off.`,
        facts: { Balance: usd(event.balanceNanos) },
      };
    case 'reload_succeeded':
      return {
        kind: 'reload_succeeded',
        audience: 'owners',
        dedupeKey: `reload_succeeded:${event.triggerEventId}`,
        title: `Auto-reload added ${usd(event.amountNanos)} to ${ctx.org.name}'s balance`,
        text: `The prepaid balance is now ${usd(event.balanceNanos)}.`,
        facts: { Amount: usd(event.amountNanos), Balance: usd(event.balanceNanos) },
      };
    case 'reload_failed':
      return {
        kind: 'reload_failed',
        audience: 'owners',
        dedupeKey: `reload_failed:${event.triggerEventId}`,
        title: `Auto-reload of ${usd(event.amountNanos)} failed for ${ctx.org.name}`,
        text: `The payment did not go through (${event.error}). The balance is ${usd(event.balanceNanos)}; extra usage stops when it reaches zero. Buy credit or check the payment method.`,
        facts: { Amount: usd(event.amountNanos), Balance: usd(event.balanceNanos), Error: event.error },
      };
    case 'claude_limit_threshold': {
      const who = ctx.member?.name ?? 'A member';
      const reached = event.percent >= 100;
      return {
        kind: 'claude_limit_threshold',
        audience: 'owners',
        // Once per member, period window, threshold and limit: a changed limit re-arms it.
        dedupeKey: `claude_limit:${event.memberId}:${event.period}:${event.window}:${event.percent}:limit=${event.limitNanos}`,
        title: reached
          ? `${who} reached their ${event.period} spend limit of ${usd(event.limitNanos)} in Claude`
          : `${who} has used ${event.percent}% of their ${event.period} spend limit in Claude`,
        text: `${usd(event.spendNanos)} of ${usd(event.limitNanos)} spent this ${PERIOD_NOUN[event.period] ?? 'period'} (limit from ${SOURCE_WORDS[event.source] ?? event.source}). ${reached ? 'They are stopped until the period resets or the limit is raised.' : 'They are stopped at the limit.'}`,
        facts: { Member: who, Period: event.period, Spent: usd(event.spendNanos), Limit: usd(event.limitNanos), Threshold: `${event.percent}%`, 'Limit from': SOURCE_WORDS[event.source] ?? event.source },
      };
    }
    case 'reload_limit_reached':
      return {
        kind: 'reload_limit_reached',
        audience: 'owners',
        dedupeKey: `reload_limit:${event.period}:limit=${event.limit}`,
        title: typeof event.limit === 'number'
          ? `${ctx.org.name} reached its limit of ${event.limit} auto-reload${event.limit === 1 ? '' : 's'} this month`
          : `${ctx.org.name} reached its limit of ${usd(event.limit)} of auto-reloads this month`,
        text: `No more automatic reloads until next month. The balance is ${usd(event.balanceNanos)}; extra usage stops when it reaches zero. Buy credit or raise the monthly reload limit.`,
        facts: { Month: event.period, 'Monthly limit': typeof event.limit === 'number' ? `${event.limit} reloads` : usd(event.limit), Balance: usd(event.balanceNanos) },
      };
    default:
      return null;
  }
}

const PERIOD_NOUN: Record<string, string> = { daily: 'day', weekly: 'week', monthly: 'month' };
const SOURCE_WORDS: Record<string, string> = { user: 'their own limit', seat_tier: 'their seat tier', rbac_group: 'their group', organization: 'the organization', organization_service: 'the organization' };

const cap1 = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * The owners' notice that a member reached their cap (or their cap on a product),
 * beside the member's own; sent while the owners' "member reached their cap" choice
 * is on (default). Null for every other event.
 */
export function ownersAlertFor(event: AlertEvent, ctx: AlertContext): AlertRule | null {
  if (event.type !== 'member_cap_reached' && event.type !== 'product_cap_reached') return null;
  const who = ctx.member?.name ?? 'A member';
  const on = event.type === 'product_cap_reached' ? ` on ${event.product}` : '';
  const facts: Record<string, string> = { Member: who, Month: event.period, Spent: spent(event.spendNanos), Cap: usd(event.capNanos) };
  if (event.type === 'product_cap_reached') facts.Product = event.product;
  return {
    kind: 'member_cap_reached',
    audience: 'owners',
    dedupeKey: `${event.type === 'product_cap_reached' ? `product_cap_owners:${event.memberId}:${event.product}` : `member_cap_owners:${event.memberId}`}:${event.period}:cap=${event.capNanos}`,
    title: `${who} reached their extra usage cap of ${usd(event.capNanos)}${on} for this month`,
    text: `Their extra usage${on} is paused until ${localTime(monthEnd(event.period, ctx.org.timezone), ctx.org.timezone)}, unless an owner raises their cap.`,
    facts,
  };
}

/** The member an event is about, if any (they get the alert, or it is about them). */
export function memberIdOf(event: AlertEvent): string | null {
  return 'memberId' in event ? event.memberId : null;
}
