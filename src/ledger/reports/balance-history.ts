// The Team balance's recent money in: purchases and reloads credited (the ledger's
// entries), and, when Stripe takes the money, the Checkouts not (yet) paid and the
// reloads Stripe declined, each with Stripe's word for it. Who: the person's name
// (from the audit label), "Auto-reload", or the label as stored.
import type { Db } from '../../db/client.js';

export type BalanceHistoryKind = 'purchase' | 'reload' | 'adjustment';

export interface BalanceHistoryRow {
  at: Date;
  kind: BalanceHistoryKind;
  /** null: not known here (a reload Stripe declined: the charge was never stored with its amount). */
  amountNanos: bigint | null;
  who: string;
  /** Credited to the balance, or not (waiting, expired, declined, paid but not credited). */
  credited: boolean;
  /** Stripe's status in words (null: Stripe was not involved). */
  stripe: string | null;
}

const MEMBER_LABEL = /^member:([0-9a-f-]{36})\b/;
const AUTO_RELOAD_KEY = 'auto-reload/';

const CHECKOUT_WORDS: Record<string, string> = {
  open: 'Checkout open: waiting for payment',
  paid: 'Paid',
  expired: 'Checkout expired unpaid',
  credit_failed: 'Paid, not credited: the operator refunds it',
};

/** The newest `limit` rows, newest first. */
export async function balanceHistory(db: Db, orgId: string, limit = 20): Promise<BalanceHistoryRow[]> {
  const [entries, checkouts, declined] = await Promise.all([
    db.balanceEntry.findMany({ where: { orgId }, orderBy: { createdAt: 'desc' }, take: limit }),
    db.stripeCheckout.findMany({ where: { orgId }, orderBy: { createdAt: 'desc' }, take: limit * 2 }),
    db.stripePaymentIntent.findMany({ where: { orgId, status: 'failed', idempotencyKey: { startsWith: AUTO_RELOAD_KEY } }, orderBy: { createdAt: 'desc' }, take: limit }),
  ]);
  const reloadKeys = entries.filter((e) => e.kind === 'reload').map((e) => e.idempotencyKey);
  const succeeded = reloadKeys.length === 0 ? [] : await db.stripePaymentIntent.findMany({ where: { orgId, status: 'succeeded', idempotencyKey: { in: reloadKeys } }, select: { idempotencyKey: true } });
  const paidByStripe = new Set(succeeded.map((i) => i.idempotencyKey));
  const checkoutByKey = new Map(checkouts.map((c) => [c.idempotencyKey, c]));

  const rows: (BalanceHistoryRow & { actor: string })[] = [
    ...entries.map((e) => {
      const checkout = e.kind === 'purchase' ? checkoutByKey.get(e.idempotencyKey) : undefined;
      const stripe = checkout ? CHECKOUT_WORDS.paid! : paidByStripe.has(e.idempotencyKey) ? 'Charged the saved card' : null;
      return { at: e.createdAt, kind: e.kind, amountNanos: e.amountNanos, actor: e.actor, who: '', credited: true, stripe };
    }),
    // Checkouts that did not become a credit (a paid one is its entry above).
    ...checkouts.filter((c) => c.status !== 'paid' && !entries.some((e) => e.idempotencyKey === c.idempotencyKey)).map((c) => ({
      at: c.createdAt, kind: 'purchase' as const, amountNanos: c.amountNanos, actor: c.actor, who: '', credited: false,
      stripe: CHECKOUT_WORDS[c.status] ?? c.status,
    })),
    ...declined.map((i) => ({
      at: i.createdAt, kind: 'reload' as const, amountNanos: null, actor: 'auto-reload', who: '', credited: false,
      stripe: `Declined${i.failureReason ? `: ${i.failureReason}` : ''}`,
    })),
  ];
  rows.sort((a, b) => b.at.getTime() - a.at.getTime());
  const shown = rows.slice(0, limit);

  const ids = [...new Set(shown.map((r) => MEMBER_LABEL.exec(r.actor)?.[1]).filter((id): id is string => id !== undefined))];
  const names = new Map((ids.length ? await db.member.findMany({ where: { orgId, id: { in: ids } }, select: { id: true, name: true } }) : []).map((m) => [m.id, m.name]));
  return shown.map(({ actor, ...r }) => ({ ...r, who: whoOf(actor, names) }));
}

function whoOf(actor: string, names: Map<string, string>): string {
  if (actor === 'auto-reload') return 'Auto-reload';
  const id = MEMBER_LABEL.exec(actor)?.[1];
  if (id) return names.get(id) ?? 'A former member';
  // A link in a "buy credit" notice: whoever opened it paid.
  if (actor.startsWith('system (notice')) return 'Paid from a notice\'s link';
  return actor;
}
