// The owners' balance warning level (Team, auto-reload off): owners are told once when
// the balance less holds falls below it (the balance-watch trigger of migration
// 20261205010000_balance_watch). Changing the level re-arms the warning; setting it
// while the balance is already below tells owners at once.
import type { Db } from '../../db/client.js';
import type { Member, Organization } from '../../generated/prisma/client.js';
import { formatUsd, formatUsdOrNull } from '../../domain/money.js';
import { availableBalance } from '../../domain/balance-watch.js';
import { actorLabel, requireOwner } from '../actors.js';
import { writeAudit } from '../audit.js';
import { invalid } from '../errors.js';
import { inTransaction } from '../transactions.js';

export interface BalanceWarningView {
  /** null: no warning (exhaustion is still told). */
  level: string | null;
  balance: string;
  /** The balance less what open reservations hold: what the warning compares. */
  available: string;
  /** The warning was given this episode and waits for money to come in above the level. */
  warned: boolean;
  autoReloadEnabled: boolean;
}

export const balanceWarningView = (o: Organization): BalanceWarningView => ({
  level: formatUsdOrNull(o.balanceWarningNanos),
  balance: formatUsd(o.balanceNanos),
  available: formatUsd(availableBalance(o)),
  warned: o.balanceWarnedAt !== null,
  autoReloadEnabled: o.autoReloadEnabled,
});

export async function setBalanceWarning(db: Db, org: Organization, actor: Member, levelNanos: bigint | null): Promise<Organization> {
  requireOwner(actor);
  if (org.plan !== 'team') throw invalid('level', `a balance warning is only available on the team plan; this org is on ${org.plan}`);
  return inTransaction(db, async (tx) => {
    const before = await tx.organization.findUniqueOrThrow({ where: { id: org.id } });
    if (before.balanceWarningNanos === levelNanos) return before; // already so: nothing changes, nothing to audit
    const after = await tx.organization.update({ where: { id: org.id }, data: { balanceWarningNanos: levelNanos } });
    await writeAudit(tx, org.id, [{
      actor: actorLabel(actor),
      action: 'balance_warning.set',
      subject: 'org',
      before: { level: formatUsdOrNull(before.balanceWarningNanos) },
      after: { level: formatUsdOrNull(after.balanceWarningNanos) },
    }]);
    return after;
  });
}
