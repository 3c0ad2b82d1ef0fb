// The extra-usage request as a state machine: pending until an admin decides, it
// expires, or it is cancelled; every other state is final.

export type RequestStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'cancelled';
export type DecisionKind = 'upgrade_seat' | 'enable_extra_usage' | 'deny';
export type CancelReason = 'member_left' | 'extra_usage_enabled' | 'withdrawn';

export interface DecisionInput {
  decision: DecisionKind;
  /** For enable_extra_usage: a member cap ("25.00"), or null/absent for unlimited. */
  cap?: string | null;
  /** For deny: shown to the requester. */
  reason?: string | null;
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
  return null;
}

export const REQUEST_CLOSED_MESSAGES: Record<Exclude<RequestStatus, 'pending'>, string> = {
  approved: 'approved',
  denied: 'denied',
  expired: 'expired without a decision',
  cancelled: 'cancelled',
};
