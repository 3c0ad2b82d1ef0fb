// What the gateway does for an org while its ledger (the database) is unreachable:
// refuse at once (503, the default), or, for an org that chose it, forward its
// members' requests unchecked and record them once the ledger is back. Set by the
// operator; every change audited.
import type { Db } from '../db/client.js';
import { writeAudit } from '../ledger/audit.js';
import { inTransaction } from '../ledger/transactions.js';

export type WhenLedgerUnreachable = 'refuse' | 'forward';

export interface FailurePolicyView {
  whenLedgerUnreachable: WhenLedgerUnreachable;
}

const wordOf = (failOpen: boolean): WhenLedgerUnreachable => (failOpen ? 'forward' : 'refuse');

export async function failurePolicyView(db: Db, orgId: string): Promise<FailurePolicyView> {
  const org = await db.organization.findUniqueOrThrow({ where: { id: orgId }, select: { gatewayFailOpen: true } });
  return { whenLedgerUnreachable: wordOf(org.gatewayFailOpen) };
}

export async function setFailurePolicy(db: Db, orgId: string, when: WhenLedgerUnreachable, actor: string): Promise<FailurePolicyView> {
  const failOpen = when === 'forward';
  await inTransaction(db, async (tx) => {
    const before = await tx.organization.findUniqueOrThrow({ where: { id: orgId }, select: { gatewayFailOpen: true } });
    if (before.gatewayFailOpen === failOpen) return;
    await tx.organization.update({ where: { id: orgId }, data: { gatewayFailOpen: failOpen } });
    await writeAudit(tx, orgId, [{ actor, action: 'gateway.failure_policy.set', subject: 'org', before: { whenLedgerUnreachable: wordOf(before.gatewayFailOpen) }, after: { whenLedgerUnreachable: when } }]);
  });
  return { whenLedgerUnreachable: when };
}
