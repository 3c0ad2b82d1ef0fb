// "Buy credit" notices carry the way to pay: for the alerts that ask owners to pay
// (balance low or used up, a reload that failed or hit its monthly limit), a Stripe
// Checkout link is made and added to the notice, so Slack, Teams and email all show
// it. A notice is never held back by the link: without one it goes out as before.
import { createHash } from 'node:crypto';
import type { Db } from '../db/client.js';
import { formatUsd } from '../domain/money.js';
import type { AlertKind, AlertView, Notifier } from '../notify/port.js';
import type { Purchases } from './purchases.js';

/** Alerts that tell owners to buy credit. */
export const PAY_PROMPT_KINDS: readonly AlertKind[] = ['balance_low', 'reload_failed', 'reload_limit_reached'];
/** What the link charges when the org has no auto-reload amount and never bought. */
export const DEFAULT_TOP_UP_NANOS = 50_000_000_000n;
/** The notice's line with the link, e.g. "Pay $50.00 to add credit". */
export const payFact = (amountNanos: bigint) => `Pay $${formatUsd(amountNanos)} to add credit`;

export function withPaymentLinks(inner: Notifier, deps: { db: Db; purchases: Purchases; log: (line: string) => void }): Notifier {
  const { db, purchases } = deps;
  if (!purchases.paymentLink) return inner;
  const paymentLink = purchases.paymentLink.bind(purchases);

  /** The org's auto-reload amount, else its last purchase, else the default top-up. */
  async function amountFor(orgId: string, autoReload: bigint | null): Promise<bigint> {
    if (autoReload && autoReload > 0n) return autoReload;
    const last = await db.balanceEntry.findFirst({ where: { orgId, kind: 'purchase' }, orderBy: { createdAt: 'desc' } });
    return last?.amountNanos ?? DEFAULT_TOP_UP_NANOS;
  }

  async function withLink(alert: AlertView, deliveryKey: string | undefined): Promise<AlertView> {
    if (!PAY_PROMPT_KINDS.includes(alert.kind)) return alert;
    try {
      const org = await db.organization.findUnique({ where: { id: alert.orgId } });
      if (!org || org.plan !== 'team') return alert;
      // One link per notice: its retries (and each channel) show the same one.
      const key = `notice:${deliveryKey ?? createHash('sha256').update(`${alert.kind}\n${alert.title}\n${alert.text}`).digest('hex').slice(0, 32)}`;
      const amountNanos = await amountFor(org.id, org.autoReloadAmountNanos);
      const outcome = await paymentLink(org, { amountNanos, idempotencyKey: key }, `system (notice: ${alert.kind})`);
      if (outcome.kind !== 'checkout') return alert;
      return { ...alert, facts: { ...alert.facts, [payFact(outcome.amountNanos)]: outcome.checkoutUrl } };
    } catch (err) {
      deps.log(`payments: no payment link in the ${alert.kind} notice for org ${alert.orgId}: ${String(err)}`);
      return alert;
    }
  }

  return {
    requestOpened: (r, a, o) => inner.requestOpened(r, a, o),
    requestReminder: (r, a, o) => inner.requestReminder(r, a, o),
    requestClosed: (r, a, o) => inner.requestClosed(r, a, o),
    digest: (d, a, o) => inner.digest(d, a, o),
    alert: async (alert, to, opts) => inner.alert(await withLink(alert, opts?.deliveryKey), to, opts),
  };
}
