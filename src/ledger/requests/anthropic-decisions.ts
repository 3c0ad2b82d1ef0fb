// Outcomes of requests that mirror Anthropic spend limit increase requests, written once
// Anthropic has applied them: decided here (after `approve` / `deny` went through), or
// decided directly in claude.ai (found by the poll). Each is safe to run twice.
import type { Db } from '../../db/client.js';
import type { Member } from '../../generated/prisma/client.js';
import { formatUsd, formatUsdOrNull } from '../../domain/money.js';
import { actorLabel } from '../actors.js';
import { writeAudit } from '../audit.js';
import { conflict, notFound } from '../errors.js';
import { inTransaction } from '../transactions.js';

export interface AnthropicDecisionRecord {
  requestId: string;
  decider: Member;
  via?: string;
  decision: 'increase_limit' | 'deny';
  /** increase_limit: the limit written, nano-dollars (whole cents). */
  amountNanos: bigint | null;
  period: 'daily' | 'weekly' | 'monthly' | null;
  reason: string | null;
}

/** Records what Anthropic applied for an admin here; a retry of the same decision changes nothing. */
export async function recordAnthropicDecision(db: Db, r: AnthropicDecisionRecord, now: Date): Promise<void> {
  await inTransaction(db, async (tx) => {
    const locked = (await tx.$queryRaw<{ status: string }[]>`SELECT "status" FROM "ExtraUsageRequest" WHERE "id" = ${r.requestId} FOR UPDATE`)[0];
    if (!locked) throw notFound(`request '${r.requestId}'`, 'requestId');
    const row = await tx.extraUsageRequest.findUniqueOrThrow({ where: { id: r.requestId }, include: { member: true } });
    if (row.status !== 'pending') {
      if (row.decision === r.decision && row.decidedById === r.decider.id) return; // a retry: already recorded
      throw conflict(`this request is already ${row.status}`);
    }
    const status = r.decision === 'deny' ? 'denied' : 'approved';
    const actor = actorLabel({ ...r.decider, via: r.via });
    const summary = (row.anthropicSummary ?? null) as { limit?: string | null } | null;
    await writeAudit(tx, row.orgId, [
      ...(r.decision === 'increase_limit'
        ? [{
            actor,
            action: 'anthropic.spend_limit.user.set',
            subject: `member:${row.memberId}`,
            before: { limit: summary?.limit ?? null, period: row.limitPeriod },
            after: { limit: formatUsdOrNull(r.amountNanos), period: r.period, viaRequest: row.id, anthropicRequest: row.anthropicRequestId },
          }]
        : []),
      {
        actor,
        action: 'request.decided',
        subject: `request:${row.id}`,
        before: { status: 'pending' },
        after: { status, decision: r.decision, amount: r.amountNanos === null ? null : formatUsd(r.amountNanos), period: r.period, reason: r.reason, member: `member:${row.memberId}`, anthropicRequest: row.anthropicRequestId },
      },
    ]);
    await tx.extraUsageRequest.update({
      where: { id: row.id },
      data: { status, decidedAt: now, decidedById: r.decider.id, decision: r.decision, decisionCapNanos: r.amountNanos, decisionPeriod: r.period, reason: r.reason },
    });
  });
}

export interface DecidedInClaude {
  requestId: string;
  status: 'approved' | 'denied';
  /** The member who decided (by their Anthropic user id), when they are one of ours. */
  deciderId: string | null;
  /** Who Anthropic says decided, for the audit log: a name, an email, or the API key. */
  deciderLabel: string;
  at: Date;
}

/** A request decided directly in claude.ai: closed here as Anthropic has it (once). */
export async function recordDecidedInClaude(db: Db, d: DecidedInClaude): Promise<boolean> {
  return inTransaction(db, async (tx) => {
    const closed = await tx.extraUsageRequest.updateMany({
      where: { id: d.requestId, status: 'pending' },
      data: { status: d.status, decidedAt: d.at, decidedById: d.deciderId, decision: d.status === 'approved' ? 'increase_limit' : 'deny', openForMember: null },
    });
    if (closed.count === 0) return false;
    const row = await tx.extraUsageRequest.findUniqueOrThrow({ where: { id: d.requestId } });
    await writeAudit(tx, row.orgId, [{
      actor: `anthropic: ${d.deciderLabel}`,
      action: 'request.decided',
      subject: `request:${row.id}`,
      before: { status: 'pending' },
      after: { status: d.status, decidedIn: 'claude.ai', member: `member:${row.memberId}`, anthropicRequest: row.anthropicRequestId },
    }]);
    return true;
  });
}
