// Team prepaid balance: money in (purchases, reloads) is a ledger entry with an
// idempotency key, so a retried purchase is credited once.
import type { Db } from '../../db/client.js';
import type { BalanceEntry, Organization } from '../../generated/prisma/client.js';
import { formatUsd, MAX_BALANCE_NANOS } from '../../domain/money.js';
import { writeAudit } from '../audit.js';
import { conflict, invalid } from '../errors.js';
import { inTransaction, isUniqueViolation } from '../transactions.js';

export interface Credit {
  kind: 'purchase' | 'reload' | 'adjustment';
  amountNanos: bigint;
  idempotencyKey: string;
  actor: string;
}

/** Credits the balance once per idempotency key; returns the entry (new or earlier). */
export async function creditBalance(db: Db, org: Organization, credit: Credit): Promise<{ entry: BalanceEntry; replayed: boolean }> {
  if (org.plan !== 'team') throw invalid('amount', `prepaid balance is only available on the team plan; this org is on ${org.plan}`);
  if (credit.amountNanos <= 0n) throw invalid('amount', 'amount must be more than zero');
  const earlier = async () => {
    const prior = await db.balanceEntry.findUnique({ where: { orgId_idempotencyKey: { orgId: org.id, idempotencyKey: credit.idempotencyKey } } });
    if (prior && (prior.amountNanos !== credit.amountNanos || prior.kind !== credit.kind)) {
      throw conflict(`idempotencyKey '${credit.idempotencyKey}' was already used for a different ${prior.kind} of ${formatUsd(prior.amountNanos)}`, 'idempotencyKey');
    }
    return prior;
  };
  const prior = await earlier();
  if (prior) return { entry: prior, replayed: true };
  try {
    // A purchase may not take the balance past MAX_BALANCE_NANOS (BIGINT must never
    // overflow); a reload is not limited, and a balance within the limit leaves it room.
    const ceiling = credit.kind === 'reload' ? null : MAX_BALANCE_NANOS - credit.amountNanos;
    const entry = await inTransaction(db, async (tx) => {
      const row = (await tx.$queryRaw<{ balanceNanos: bigint }[]>`
        UPDATE "Organization" SET "balanceNanos" = "balanceNanos" + ${credit.amountNanos}
        WHERE "id" = ${org.id} AND (${ceiling}::bigint IS NULL OR "balanceNanos" <= ${ceiling}::bigint)
        RETURNING "balanceNanos"`)[0];
      if (!row) throw invalid('amount', `this ${credit.kind} would take the balance past its maximum of ${formatUsd(MAX_BALANCE_NANOS)}`);
      const after = BigInt(row.balanceNanos);
      const entry = await tx.balanceEntry.create({
        data: { orgId: org.id, kind: credit.kind, amountNanos: credit.amountNanos, balanceAfterNanos: after, idempotencyKey: credit.idempotencyKey, actor: credit.actor },
      });
      await writeAudit(tx, org.id, [{
        actor: credit.actor,
        action: `balance.${credit.kind}`,
        subject: 'org',
        before: { balance: formatUsd(after - credit.amountNanos) },
        after: { balance: formatUsd(after), amount: formatUsd(credit.amountNanos) },
      }]);
      return entry;
    });
    return { entry, replayed: false };
  } catch (err) {
    if (isUniqueViolation(err)) {
      const raced = await earlier();
      if (raced) return { entry: raced, replayed: true };
    }
    throw err;
  }
}
