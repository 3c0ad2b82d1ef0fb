// Reads the facts the one "may this member ask?" rule decides on (src/domain/requests.ts)
// and raises its refusal as the 4xx every caller (API, Slack, Teams) answers with.
import type { Db } from '../../db/client.js';
import type { Member } from '../../generated/prisma/client.js';
import { extraUsageAvailable, type MemberLimitsState } from '../../domain/caps.js';
import { currentWindow } from '../../domain/periods.js';
import { askRefusal, type AskFacts, type AskRefusal } from '../../domain/requests.js';
import { LedgerError } from '../errors.js';
import { loadLimitsState, loadOrg, type OrgWithTiers } from '../limits-state.js';

export interface AskState extends AskFacts {
  /** The member's open request, which asking again finds instead of opening another. */
  openRequestId: string | null;
}

/** The latest denial of the member's requests, if any, with who decided it. */
export async function lastDenialOf(db: Db, memberId: string) {
  const denial = await db.extraUsageRequest.findFirst({ where: { memberId, status: 'denied' }, orderBy: { decidedAt: 'desc' } });
  if (!denial) return null;
  const decider = denial.decidedById ? await db.member.findUnique({ where: { id: denial.decidedById }, select: { name: true } }) : null;
  return { ...denial, deciderName: decider?.name ?? null };
}

/** The denial facts the ask rule words (src/domain/requests.ts denialWords). */
export const denialFacts = (denial: Awaited<ReturnType<typeof lastDenialOf>>) => (denial ? { by: denial.deciderName, reason: denial.reason } : null);

/** `limits`: the member's limits state when the caller has already read it. */
export async function askState(db: Db, org: OrgWithTiers, member: Member, now: Date, cooldownMs: number, limits?: MemberLimitsState): Promise<AskState> {
  const [s, open, denial] = await Promise.all([
    limits ?? loadLimitsState(db, org, member, now),
    db.extraUsageRequest.findUnique({ where: { openForMember: member.id }, select: { id: true } }),
    lastDenialOf(db, member.id),
  ]);
  return {
    plan: s.plan,
    atSeatLimit: currentWindow(s.window, s.windowMinutes, now).usedNanos >= s.allowanceNanos,
    hasExtraUsage: extraUsageAvailable(s),
    lastDeniedAt: denial?.decidedAt ?? null,
    lastDenial: denialFacts(denial),
    timezone: s.timezone,
    cooldownMs,
    now,
    openRequestId: open?.id ?? null,
  };
}

/** A refusal of the rule as the error callers answer with: 409 while cooling down, 422 otherwise. */
export function askRefusalError(refusal: AskRefusal): LedgerError {
  const message = `No request was sent: ${refusal.message}.`;
  return new LedgerError(refusal.code === 'recently_denied' ? 409 : 422, refusal.code, message);
}

/** Whether the member may ask now (an open request counts as yes: asking finds it). */
export const mayAsk = (s: AskState) => s.openRequestId !== null || askRefusal(s) === null;

/**
 * Refuses (with the rule's 4xx) a member who may not ask now; otherwise returns the
 * id of their open request, if they have one, which asking again finds.
 */
export async function requireMayAsk(db: Db, orgId: string, member: Member, now: Date, cooldownMs: number): Promise<string | null> {
  const state = await askState(db, await loadOrg(db, orgId), member, now, cooldownMs);
  if (state.openRequestId !== null) return state.openRequestId;
  const refusal = askRefusal(state);
  if (refusal) throw askRefusalError(refusal);
  return null;
}

/**
 * Authorize's `canRequestExtraUsage`, by the same rule: the cap rules offer it to an
 * enterprise member stopped at the seat limit without extra usage; a recent denial
 * takes it away. Only refusals that offer it pay for the extra read.
 */
export async function withRequestRule<D extends { allowed: boolean; canRequestExtraUsage?: boolean; memberId: string }>(db: Db, decision: D, now: Date, cooldownMs: number): Promise<D> {
  if (decision.allowed || !decision.canRequestExtraUsage) return decision;
  const denial = await lastDenialOf(db, decision.memberId);
  const refusal = askRefusal({ plan: 'enterprise', atSeatLimit: true, hasExtraUsage: false, lastDeniedAt: denial?.decidedAt ?? null, cooldownMs, now });
  return refusal ? { ...decision, canRequestExtraUsage: false } : decision;
}
