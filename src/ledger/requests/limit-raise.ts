// "Ask to raise my limit" in the ledger: who may ask (a member stopped by a cap: their
// own, their seat tier's or the organisation's) and for how much, and an owner's
// decision, applied once in one transaction with its audit entries.
import type { Db } from '../../db/client.js';
import type { Member } from '../../generated/prisma/client.js';
import { capStop, raiseAmountProblem, suggestedRaise, type RaiseScope } from '../../domain/limit-raise.js';
import { formatUsd, parseUsd } from '../../domain/money.js';
import { denialWords, statusAfter } from '../../domain/requests.js';
import type { RequestView } from '../../notify/port.js';
import { actorLabel, isOwner, roleWords } from '../actors.js';
import { writeAudit, type AuditRecord } from '../audit.js';
import { conflict, forbidden, invalid, LedgerError } from '../errors.js';
import { loadLimitsState, loadOrg } from '../limits-state.js';
import { inTransaction, type Tx } from '../transactions.js';
import { lastDenialOf } from './request-eligibility.js';
import { requestView, requireDecider, type DecideInput, type RaiseOpening } from './requests.js';

const CAP_WORDS: Record<RaiseScope, string> = { member: 'your monthly extra usage limit', tier: "your seat tier's monthly extra usage limit", org: "the organisation's monthly extra usage limit" };

/**
 * What a raise request of this member opens with, or the 4xx saying why none may be
 * made (nothing is stored then, nobody pinged): not stopped by a cap (422), an open
 * request already (409), denied within the cool-down (409), an amount not above the
 * cap or above the org's cap (422). `amount`: the new limit asked for, else the suggestion.
 */
export async function raiseOpening(db: Db, orgId: string, member: Member, now: Date, cooldownMs: number, amount: string | null): Promise<RaiseOpening> {
  const org = await loadOrg(db, orgId);
  const [state, open, denial] = await Promise.all([
    loadLimitsState(db, org, member, now),
    db.extraUsageRequest.findUnique({ where: { openForMember: member.id }, select: { requestedAt: true, raiseScope: true } }),
    lastDenialOf(db, member.id),
  ]);
  if (open) {
    throw new LedgerError(409, 'already_open', `No request was sent: you already have an open ${open.raiseScope ? 'request to raise your limit' : 'request for extra usage'} (sent ${open.requestedAt.toISOString()}); one open request at a time.`);
  }
  const stop = capStop(state, now);
  if (!stop) throw new LedgerError(422, 'not_stopped_by_cap', 'No request was sent: no limit stops you now, so there is nothing to raise.');
  if (denial?.decidedAt && denial.decidedAt.getTime() + cooldownMs > now.getTime()) {
    const retryAt = new Date(denial.decidedAt.getTime() + cooldownMs);
    throw new LedgerError(409, 'recently_denied', `No request was sent: ${denialWords({ deniedAt: denial.decidedAt, by: denial.deciderName, reason: denial.reason, retryAt, timezone: state.timezone })}.`);
  }
  let to = suggestedRaise({ capNanos: stop.capNanos, spentNanos: stop.spentNanos, at: now, timezone: state.timezone });
  if (amount !== null) {
    to = parseUsd(amount, 2) ?? -1n;
    if (to < 0n) throw invalid('amount', 'amount must be a USD amount with at most 2 decimals, e.g. "100.00"');
    const problem = raiseAmountProblem({ scope: stop.scope, amountNanos: to, capNanos: stop.capNanos, orgCapNanos: org.orgMonthlyCapNanos });
    if (problem) throw invalid('amount', `No request was sent: ${problem}.`);
  } else if (stop.scope !== 'org' && org.orgMonthlyCapNanos !== null && to > org.orgMonthlyCapNanos) {
    // The suggestion never exceeds what the org's own cap allows.
    to = org.orgMonthlyCapNanos;
    if (to <= stop.capNanos) throw new LedgerError(422, 'org_cap_bounds', `No request was sent: ${CAP_WORDS[stop.scope]} already equals the organisation's monthly limit; only an owner raising that would help.`);
  }
  return { scope: stop.scope, fromNanos: stop.capNanos.toString(), toNanos: to.toString() };
}

/** The cap a raise request names, as it stands now. */
function currentCap(scope: RaiseScope, org: { orgMonthlyCapNanos: bigint | null; standardTierCapNanos: bigint | null; premiumTierCapNanos: bigint | null }, member: Member): bigint | null {
  if (scope === 'member') return member.extraUsageCapNanos;
  if (scope === 'org') return org.orgMonthlyCapNanos;
  return member.seatTier === 'premium' ? org.premiumTierCapNanos : org.standardTierCapNanos;
}

/**
 * An owner's decision on a raise request: increase_limit with the new monthly limit
 * (`amount`), or deny. Admins are refused with a 403 in words (only owners change caps),
 * and nothing changes. A retry of the same decision returns the same result.
 */
export async function applyRaise(db: Db, input: DecideInput, now: Date): Promise<RequestView> {
  const request = await db.extraUsageRequest.findUniqueOrThrow({ where: { id: input.requestId } });
  if (!request.raiseScope) throw invalid('decision', 'this request is not a request to raise a limit');
  const scope = request.raiseScope as RaiseScope;
  const decider = await requireDecider(db, request.orgId, input.deciderRef);
  if (decider.id === request.memberId) throw forbidden('Nobody decides their own request: an owner must. Nothing was changed.');
  if (!isOwner(decider)) throw forbidden(`${decider.name} is ${roleWords(decider.role)}: only an owner can change a limit, so an owner must decide this request. Nothing was changed.`);
  if (input.decision !== 'increase_limit' && input.decision !== 'deny') throw invalid('decision', 'a request to raise a limit is decided with increase_limit (a new monthly limit in amount) or deny');
  if (input.cap !== undefined && input.cap !== null) throw invalid('cap', 'a request to raise a limit takes the new limit in amount, not cap');
  if (input.turnOnForSelectedMembers) throw invalid('turnOnForSelectedMembers', 'turnOnForSelectedMembers does not apply to a request to raise a limit');
  if (input.reason && input.reason.length > 500) throw invalid('reason', 'reason must be at most 500 characters');
  if ((input.period ?? 'monthly') !== 'monthly') throw invalid('period', 'our limits are monthly: leave period out or send monthly');
  let amountNanos: bigint | null = null;
  if (input.decision === 'increase_limit') {
    amountNanos = typeof input.amount === 'string' ? parseUsd(input.amount, 2) : null;
    if (amountNanos === null) throw invalid('amount', 'amount must be the new monthly limit, a USD amount with at most 2 decimals, e.g. "100.00"');
  } else if ((input.amount ?? null) !== null) throw invalid('amount', 'an amount only goes with increase_limit');

  await inTransaction(db, async (tx) => {
    const locked = (await tx.$queryRaw<{ status: string }[]>`SELECT "status" FROM "ExtraUsageRequest" WHERE "id" = ${request.id} FOR UPDATE`)[0]!;
    if (locked.status !== 'pending') {
      const current = await tx.extraUsageRequest.findUniqueOrThrow({ where: { id: request.id } });
      if (current.decision === input.decision && current.decidedById === decider.id) return; // a retry: already applied
      throw conflict(`this request is already ${current.status}`);
    }
    const member = await tx.member.findUniqueOrThrow({ where: { id: request.memberId } });
    if (member.removedAt) throw conflict(`${member.name} has left the organisation`);
    const org = await tx.organization.findUniqueOrThrow({ where: { id: request.orgId } });
    const actor = actorLabel({ ...decider, via: input.via });
    const audits: AuditRecord[] = [];
    if (amountNanos !== null) {
      const before = currentCap(scope, org, member);
      // An unlimited cap meanwhile: nothing to raise; a lower amount would be a cut, not a raise.
      if (before === null) throw conflict(`${CAP_WORDS[scope].replace('your', `${member.name}'s`)} was removed meanwhile: there is no limit to raise. Deny the request to close it. Nothing was changed.`);
      const problem = raiseAmountProblem({ scope, amountNanos, capNanos: before, orgCapNanos: org.orgMonthlyCapNanos });
      if (problem) throw invalid('amount', `${problem}. Nothing was changed.`);
      audits.push(...(await setCap(tx, scope, org.id, member, amountNanos, before, actor, request.id)));
    }
    audits.push({
      actor,
      action: 'request.decided',
      subject: `request:${request.id}`,
      before: { status: 'pending' },
      after: { status: statusAfter(input.decision), decision: input.decision, raise: scope, amount: amountNanos === null ? null : formatUsd(amountNanos), reason: input.reason ?? null, member: `member:${member.id}` },
    });
    await writeAudit(tx, request.orgId, audits);
    await tx.extraUsageRequest.update({
      where: { id: request.id },
      data: { status: statusAfter(input.decision), openForMember: null, decidedAt: now, decidedById: decider.id, decision: input.decision, decisionCapNanos: amountNanos, decisionPeriod: amountNanos === null ? null : 'monthly', reason: input.reason ?? null },
    });
  });
  return requestView(db, request.id);
}

/** Writes the new cap and its audit entry (the same actions as an owner's cap change in settings). */
async function setCap(tx: Tx, scope: RaiseScope, orgId: string, member: Member, amountNanos: bigint, before: bigint, actor: string, requestId: string): Promise<AuditRecord[]> {
  const change = { before: { cap: formatUsd(before) }, after: { cap: formatUsd(amountNanos), viaRequest: requestId } };
  if (scope === 'member') {
    await tx.member.update({ where: { id: member.id }, data: { extraUsageCapNanos: amountNanos } });
    return [{ actor, action: 'cap.member.set', subject: `member:${member.id}`, ...change }];
  }
  if (scope === 'org') {
    await tx.organization.update({ where: { id: orgId }, data: { orgMonthlyCapNanos: amountNanos } });
    return [{ actor, action: 'cap.org.set', subject: 'org', ...change }];
  }
  const column = member.seatTier === 'premium' ? 'premiumTierCapNanos' : 'standardTierCapNanos';
  await tx.organization.update({ where: { id: orgId }, data: { [column]: amountNanos } });
  return [{ actor, action: 'cap.tier.set', subject: `tier:${member.seatTier}`, ...change }];
}
