// "You'll be prompted to pay": notices that ask owners to buy credit carry a Stripe
// Checkout link (made with the real SDK against the stand-in), the same link on every
// channel and every retry of one notice; other notices, and a failing Stripe, leave
// the notice as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertEmail } from '../../src/notify/email-format.js';
import type { AlertView } from '../../src/notify/port.js';
import { payFact, withPaymentLinks } from '../../src/payments/payment-links.js';
import type { Purchases } from '../../src/payments/purchases.js';
import { stripePurchases } from '../../src/payments/purchases.js';
import { BACKENDS, migrated, type Scratch } from '../support/databases.js';
import { recordingNotifier } from '../support/recording-notifier.js';
import { PUBLIC_URL, stripeWorld, type StripeWorld } from './stripe-fixture.js';

describe.each(BACKENDS)('payment links in notices on $kind', ({ open }) => {
  let scratch: Scratch;
  let w: StripeWorld;
  const lines: string[] = [];
  beforeAll(async () => {
    scratch = await migrated(open);
    w = await stripeWorld(scratch.db.prisma);
  });
  afterAll(async () => {
    await w?.close();
    await scratch?.dispose();
  });

  const alertOf = (orgId: string, kind: AlertView['kind']): AlertView => ({
    kind, orgId, orgName: 'Small Team',
    title: 'Auto-reload of $50.00 failed for Small Team',
    text: 'The payment did not go through (Your card was declined.). Buy credit or check the payment method.',
    facts: { Amount: '$50.00', Balance: '$0.00' },
  });
  const notifierWith = (purchases: Purchases) => {
    const inner = recordingNotifier();
    return { inner, notifier: withPaymentLinks(inner, { db: scratch.db.prisma, purchases, log: (l) => void lines.push(l) }) };
  };

  it('adds the Checkout link to a "buy credit" notice, the same one on every retry, and puts it in the email', async () => {
    const team = await w.team();
    const { inner, notifier } = notifierWith(stripePurchases(scratch.db.prisma, w.stripe, { publicUrl: PUBLIC_URL }));
    await notifier.alert(alertOf(team.orgId, 'reload_failed'), [], { deliveryKey: 'alert:d1' });
    await notifier.alert(alertOf(team.orgId, 'reload_failed'), [], { deliveryKey: 'alert:d1' });
    const sessions = [...w.standIn.sessions.values()].filter((s) => s.metadata.orgId === team.orgId);
    expect(sessions).toHaveLength(1);
    // Auto-reload off and nothing bought yet: the default top-up.
    expect(sessions[0]).toMatchObject({ amount_total: 5000, metadata: { purchaseKey: 'notice:alert:d1' } });
    const [first, retry] = inner.of('alert').map((s) => s.alert);
    expect(first!.facts[payFact(50_000_000_000n)]).toBe(sessions[0]!.url);
    expect(retry!.facts).toEqual(first!.facts);
    // Nothing is credited by the link itself.
    expect((await scratch.db.prisma.organization.findUniqueOrThrow({ where: { id: team.orgId } })).balanceNanos).toBe(0n);

    const email = alertEmail(first!, { now: new Date() });
    expect(email.text).toContain(`Pay $50.00 to add credit: ${sessions[0]!.url}`);
    expect(email.html).toContain(`<a href="${sessions[0]!.url}">`);
  });

  it('charges what the owner last bought when auto-reload has no amount', async () => {
    const team = await w.team();
    const started = await team.as('owner-1').post('/v1/settings/balance/purchases', { amount: '20.00', idempotencyKey: 'p1' });
    const { completed } = w.standIn.payCheckout(/cs_test_\w+/.exec(started.body.checkoutUrl)![0]);
    await w.deliver(completed);
    const { inner, notifier } = notifierWith(stripePurchases(scratch.db.prisma, w.stripe, { publicUrl: PUBLIC_URL }));
    await notifier.alert(alertOf(team.orgId, 'balance_low'), [], { deliveryKey: 'alert:d2' });
    expect(Object.keys(inner.of('alert')[0]!.alert.facts)).toContain(payFact(20_000_000_000n));
  });

  it('leaves other notices alone, and sends a notice without the link when Stripe fails', async () => {
    const team = await w.team();
    const { inner, notifier } = notifierWith(stripePurchases(scratch.db.prisma, w.stripe, { publicUrl: PUBLIC_URL }));
    const other = alertOf(team.orgId, 'member_cap_reached');
    await notifier.alert(other, []);
    expect(inner.of('alert')[0]!.alert).toEqual(other);

    const broken: Purchases = { provider: 'stripe', buy: () => Promise.reject(new Error('unused')), paymentLink: () => Promise.reject(new Error('connect ECONNREFUSED')) };
    const failing = notifierWith(broken);
    const view = alertOf(team.orgId, 'reload_failed');
    await failing.notifier.alert(view, [], { deliveryKey: 'alert:d3' });
    expect(failing.inner.of('alert')[0]!.alert).toEqual(view);
    expect(lines.some((l) => l.includes('ECONNREFUSED'))).toBe(true);
  });
});
