// The one wording of a refusal (src/domain/refusal-words.ts) for an authorize decision, with
// the facts it names read here: the refused member's seat tier and the org's plan. Used by
// the authorize route and the built-in gateway, so both say exactly the same thing.
// Read only on a refusal, off the allowed path.
import type { Db } from '../../db/client.js';
import type { AuthorizeDecision, Plan } from '../../domain/caps.js';
import { refusalWords } from '../../domain/refusal-words.js';

export type RefusedDecision = Extract<AuthorizeDecision, { allowed: false }> & { memberId: string };

export async function refusalMessage(
  db: Db,
  d: RefusedDecision,
  facts: { timezone: string; consoleUrl: string | null; model: string; product?: string | null; plan?: Plan },
): Promise<string> {
  const needsMember = d.reason === 'seat_tier_cap_reached' || !facts.plan;
  const member = needsMember ? await db.member.findUnique({ where: { id: d.memberId }, select: { seatTier: true, org: { select: { plan: true } } } }) : null;
  const plan = facts.plan ?? (member?.org.plan as Plan | undefined) ?? 'enterprise';
  const seatTier = d.reason === 'seat_tier_cap_reached' ? member?.seatTier ?? null : null;
  return refusalWords({
    reason: d.reason, resetsAt: d.resetsAt, timezone: facts.timezone, plan, canRequestExtraUsage: d.canRequestExtraUsage,
    limit: d.limit ?? null, seatTier, product: facts.product ?? null, model: facts.model, consoleUrl: facts.consoleUrl,
    includedBackAt: d.includedBackAt ?? null,
  }).message;
}
