// The claim on a request from Claude's one approve / deny, kept in our database so that
// overlapping attempts (an activity attempt Temporal timed out that is still running, a
// retry) never both write to Anthropic. Taken in one conditional UPDATE (the row lock
// decides between racers); an attempt that finds a claim only reads the request there.
import type { Db } from '../../db/client.js';

/** A claim whose write was never sent is free again after this (well over an attempt's life: its SDK calls time out sooner). */
export const UNSENT_CLAIM_STALE_MS = 2 * 60_000;
/** A sent write Anthropic still shows as not applied after this never landed. */
export const SENT_CLAIM_STALE_MS = 10 * 60_000;

/** Takes the claim for this decision; false when another attempt holds it. */
export async function claimAnthropicDecision(db: Db, requestId: string, decision: string, now: Date): Promise<boolean> {
  const { count } = await db.extraUsageRequest.updateMany({
    where: {
      id: requestId,
      status: 'pending',
      OR: [
        { anthropicClaimedAt: null },
        { anthropicSentAt: null, anthropicClaimedAt: { lt: new Date(now.getTime() - UNSENT_CLAIM_STALE_MS) } },
        { anthropicSentAt: { lt: new Date(now.getTime() - SENT_CLAIM_STALE_MS) } },
      ],
    },
    data: { anthropicClaimedAt: now, anthropicClaimDecision: decision, anthropicSentAt: null },
  });
  return count === 1;
}

/** Written just before the approve / deny goes out: from here it may have been applied. */
export async function markAnthropicDecisionSent(db: Db, requestId: string, now: Date): Promise<void> {
  await db.extraUsageRequest.update({ where: { id: requestId }, data: { anthropicSentAt: now } });
}

/** Nothing was (or could have been) applied: the claim is free for the next attempt. */
export async function releaseAnthropicDecision(db: Db, requestId: string): Promise<void> {
  await db.extraUsageRequest.update({ where: { id: requestId }, data: { anthropicClaimedAt: null, anthropicClaimDecision: null, anthropicSentAt: null } });
}

export async function claimedDecision(db: Db, requestId: string): Promise<string | null> {
  const row = await db.extraUsageRequest.findUnique({ where: { id: requestId }, select: { anthropicClaimDecision: true } });
  return row?.anthropicClaimDecision ?? null;
}
