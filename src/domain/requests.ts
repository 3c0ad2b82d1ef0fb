// The extra-usage request as a state machine: pending until an admin decides, it
// expires, or it is cancelled; every other state is final.
import { formatWhen } from './display.js';
import { parseUsd } from './money.js';

export type RequestStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'cancelled' | 'untracked';
/** increase_limit: an Anthropic spend limit increase request approved with a new per-user limit. */
export type DecisionKind = 'upgrade_seat' | 'enable_extra_usage' | 'deny' | 'increase_limit';
export type CancelReason = 'member_left' | 'extra_usage_enabled' | 'withdrawn' | RaiseMootReason;

/**
 * A request to raise a limit made moot by an owner's change: the limit raised to at least
 * what was asked, removed (unlimited), or extra usage turned off for the member.
 */
export type RaiseMootReason = 'limit_raised' | 'limit_removed' | 'extra_usage_turned_off';
export const RAISE_MOOT_REASONS: readonly RaiseMootReason[] = ['limit_raised', 'limit_removed', 'extra_usage_turned_off'];

/** Why a request was closed, as the member reads it ("Your request … was closed: <this>."). */
export const CANCEL_WORDS: Record<CancelReason, string> = {
  member_left: 'you left the organisation',
  extra_usage_enabled: 'extra usage was turned on for you, so it is no longer needed',
  withdrawn: 'it was withdrawn',
  limit_raised: 'an owner raised the limit to at least what you asked, so it is no longer needed',
  limit_removed: 'an owner removed the limit (it is now unlimited), so it is no longer needed',
  extra_usage_turned_off: 'an owner turned extra usage off for you, so a higher limit would not let you go on; ask an owner about extra usage instead',
};

export interface DecisionInput {
  decision: DecisionKind;
  /** For enable_extra_usage: a member cap ("25.00"), or null/absent for unlimited. */
  cap?: string | null;
  /** For deny: shown to the requester. */
  reason?: string | null;
  /**
   * For enable_extra_usage in an org whose switch is off: an owner deciding turns
   * extra usage on for selected members only, in the same audited step.
   */
  turnOnForSelectedMembers?: boolean;
  /** For increase_limit: the member's new spend limit, whole cents ("75.00"). */
  amount?: string | null;
  /** For increase_limit: the period the limit resets over. */
  period?: 'daily' | 'weekly' | 'monthly' | null;
}

export const isFinal = (status: RequestStatus) => status !== 'pending';

export const statusAfter = (decision: DecisionKind): RequestStatus => (decision === 'deny' ? 'denied' : 'approved');

const CAP = /^\d{1,12}(\.\d{1,2})?$/;

/**
 * Why a decision cannot be taken, or null when it can. Pure: the role of the person
 * deciding is checked separately against the stored member.
 */
export function decisionProblem(status: RequestStatus, seatTier: 'standard' | 'premium', input: DecisionInput): string | null {
  if (isFinal(status)) return `this request is already ${status}`;
  if (input.decision === 'upgrade_seat' && seatTier !== 'standard') return 'the member already has a premium seat';
  if (input.decision !== 'enable_extra_usage' && input.cap !== undefined && input.cap !== null) return 'a cap only goes with enable_extra_usage';
  if (input.cap !== undefined && input.cap !== null && !CAP.test(input.cap)) return 'cap must be a USD amount with at most 2 decimals, e.g. "25.00"';
  if (input.reason && input.reason.length > 500) return 'reason must be at most 500 characters';
  if (input.turnOnForSelectedMembers && input.decision !== 'enable_extra_usage') return 'turnOnForSelectedMembers only goes with enable_extra_usage';
  if (input.decision !== 'increase_limit' && ((input.amount ?? null) !== null || (input.period ?? null) !== null)) return 'an amount and period only go with increase_limit';
  return null;
}

/**
 * The same for a request that mirrors an Anthropic spend limit increase request:
 * raise the member's limit (an amount in whole cents and a period) or deny.
 */
export function anthropicDecisionProblem(status: RequestStatus, input: DecisionInput, current: { period: string; limit: string | null } | null = null): string | null {
  if (isFinal(status)) return `this request is already ${status}`;
  if (input.decision !== 'increase_limit' && input.decision !== 'deny') return 'a request from Claude is decided with increase_limit (a new limit and period) or deny';
  if (input.cap !== undefined && input.cap !== null) return 'a cap goes with enable_extra_usage; increase_limit takes amount and period';
  if (input.turnOnForSelectedMembers) return 'turnOnForSelectedMembers does not apply to a request from Claude';
  if (input.reason && input.reason.length > 500) return 'reason must be at most 500 characters';
  if (input.decision === 'deny') {
    if ((input.amount ?? null) !== null || (input.period ?? null) !== null) return 'an amount and period only go with increase_limit';
    return null;
  }
  if (typeof input.amount !== 'string' || !CAP.test(input.amount)) return 'amount must be a USD amount with at most 2 decimals, e.g. "75.00"';
  if (!['daily', 'weekly', 'monthly'].includes(String(input.period))) return 'period must be daily, weekly or monthly';
  if (parseUsd(input.amount, 2)! <= 0n) return 'amount must be above $0.00: to refuse, deny the request';
  // The limit the member hit, for the same period: an "increase" must raise it.
  const hit = current && current.period === input.period && current.limit !== null ? parseUsd(current.limit, 9) : null;
  if (hit !== null && hit !== undefined && parseUsd(input.amount, 2)! <= hit) return `amount must be above the member's current ${current!.period} limit of $${current!.limit}`;
  return null;
}

export const REQUEST_CLOSED_MESSAGES: Record<Exclude<RequestStatus, 'pending'>, string> = {
  approved: 'approved',
  denied: 'denied',
  expired: 'expired without a decision',
  cancelled: 'cancelled',
  untracked: 'no longer tracked here: the org disconnected from Claude, so it is decided in claude.ai',
};

/** A click or call on a request that is no longer pending, in words (chat, console, API). */
export function closedRequestWords(r: { status: RequestStatus; decidedBy?: { name: string } | null }): string {
  if (r.status === 'pending') return 'This request is still waiting for a decision.';
  if (r.status === 'untracked') return `This request is ${REQUEST_CLOSED_MESSAGES.untracked}. Nothing was changed here.`;
  return `This request is already ${REQUEST_CLOSED_MESSAGES[r.status]}${r.decidedBy ? ` by ${r.decidedBy.name}` : ''}. Nothing else was changed.`;
}

/** Default wait after a denial before the member may ask again (REQUEST_COOLDOWN_AFTER_DENIAL_MINUTES). */
export const DEFAULT_COOLDOWN_AFTER_DENIAL_MS = 24 * 3600_000;

export type AskRefusalCode = 'not_enterprise' | 'has_extra_usage' | 'not_at_seat_limit' | 'recently_denied';

/** What decides whether a member may ask admins for more usage. */
export interface AskFacts {
  plan: 'team' | 'enterprise';
  /** The seat window's included allowance is used up. */
  atSeatLimit: boolean;
  /** Extra usage is on for the org and for this member. */
  hasExtraUsage: boolean;
  /** When the member's latest request was denied, if one was. */
  lastDeniedAt: Date | null;
  /** Who denied it (their name; null: in Claude or unknown) and the reason they gave. */
  lastDenial?: { by: string | null; reason: string | null } | null;
  /** The org's timezone: the member reads when they may ask again in it. */
  timezone?: string;
  /** How long after a denial the member waits before asking again. */
  cooldownMs: number;
  now: Date;
}

export interface AskRefusal {
  code: AskRefusalCode;
  message: string;
  /** When asking becomes possible again (after a denial). */
  retryAt?: Date;
}

/**
 * The one rule for "may this member ask for more usage?", used by the API, both
 * chat apps and authorize's `canRequestExtraUsage`: the enterprise plan only (Team
 * orgs pay up front; owners decide there), a member stopped at their seat limit with
 * no extra usage (an admin can then upgrade the seat or enable extra usage), and not
 * again within the cool-down after a denial. An open request is not a refusal:
 * asking again finds it.
 */
/**
 * A denial as the member reads it, one clause: who decided, the reason they gave, and
 * when they may ask again, in the org's timezone ("your last request was declined by
 * Adam Admin on 7 Dec 2026, 12:23 (Europe/Paris), saying "Budget is tight"; you may ask
 * again from 8 Dec 2026, 12:23 (Europe/Paris)"). Every channel says it this way.
 */
export function denialWords(d: { deniedAt: Date; by: string | null; reason: string | null; retryAt: Date | null; timezone: string }): string {
  const by = d.by ? ` by ${d.by}` : '';
  const reason = d.reason?.trim() ? `, saying "${d.reason.trim()}"` : ', without a reason';
  const again = d.retryAt ? `; you may ask again from ${formatWhen(d.retryAt, d.timezone)}` : '';
  return `your last request was declined${by} on ${formatWhen(d.deniedAt, d.timezone)}${reason}${again}`;
}

export function askRefusal(f: AskFacts): AskRefusal | null {
  if (f.plan !== 'enterprise') {
    return { code: 'not_enterprise', message: 'requests for more usage exist on the enterprise plan only; on a team plan an owner manages extra usage' };
  }
  if (f.hasExtraUsage) {
    return { code: 'has_extra_usage', message: 'extra usage is already on for this member; once a limit stops them, they can ask the owners to raise it' };
  }
  if (!f.atSeatLimit) {
    return { code: 'not_at_seat_limit', message: 'this member still has included usage left in their seat; a request can be made once the seat limit is reached' };
  }
  if (f.lastDeniedAt) {
    const retryAt = new Date(f.lastDeniedAt.getTime() + f.cooldownMs);
    if (retryAt.getTime() > f.now.getTime()) {
      return { code: 'recently_denied', message: denialWords({ deniedAt: f.lastDeniedAt, by: f.lastDenial?.by ?? null, reason: f.lastDenial?.reason ?? null, retryAt, timezone: f.timezone ?? 'UTC' }), retryAt };
    }
  }
  return null;
}
