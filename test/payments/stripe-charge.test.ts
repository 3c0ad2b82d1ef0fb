// Auto-reload's charges through the real `stripe` SDK against the local stand-in: an
// off-session PaymentIntent on the card the first Checkout saved, under the reload's
// idempotency key; charge() resolves only once the verified webhook reported success,
// and a decline throws with its reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PaymentDeclined, PaymentPending } from '../../src/payments/port.js';
import { NO_SAVED_CARD, stripePayments } from '../../src/payments/stripe.js';
import { BACKENDS, migrated, type Scratch } from '../support/databases.js';
import { eventually, stripeWorld, type StripeWorld } from './stripe-fixture.js';

describe.each(BACKENDS)('Stripe auto-reload charges on $kind', ({ open }) => {
  let scratch: Scratch;
  let w: StripeWorld;
  beforeAll(async () => {
    scratch = await migrated(open);
    w = await stripeWorld(scratch.db.prisma);
  });
  afterAll(async () => {
    await w?.close();
    await scratch?.dispose();
  });

  /** A team whose owner bought once through Checkout with `card` (saving it). */
  async function teamWithCard(card: string) {
    const team = await w.team();
    const started = await team.as('owner-1').post('/v1/settings/balance/purchases', { amount: '10.00', idempotencyKey: 'first' });
    const { completed } = w.standIn.payCheckout(/cs_test_\w+/.exec(started.body.checkoutUrl)![0], card);
    expect((await w.deliver(completed)).status).toBe(200);
    return team;
  }
  const provider = (waitMs = 10_000) => stripePayments(scratch.db.prisma, w.stripe, { waitMs, pollMs: 20 });
  const intentsFor = (key: string) => w.standIn.calls.filter((c) => c.path === '/v1/payment_intents' && c.idempotencyKey === key);

  it('refuses clearly when no owner has bought yet (no saved card), without calling Stripe', async () => {
    const team = await w.team();
    const charge = provider().charge({ orgId: team.orgId, amountNanos: 50_000_000_000n, idempotencyKey: `auto-reload/${team.orgId}/e1`, description: 'Auto-reload' });
    await expect(charge).rejects.toThrow(PaymentDeclined);
    await expect(charge).rejects.toThrow(NO_SAVED_CARD);
    expect(intentsFor(`auto-reload/${team.orgId}/e1`)).toHaveLength(0);
  });

  it('charges the saved card off-session once per key and resolves once the webhook confirms it', async () => {
    const team = await teamWithCard('pm_card_visa');
    const key = `auto-reload/${team.orgId}/e2`;
    const req = { orgId: team.orgId, amountNanos: 50_000_000_000n, idempotencyKey: key, description: 'Auto-reload of the prepaid balance' };
    const { chargeId } = await provider().charge(req);
    expect(chargeId).toMatch(/^pi_/);
    const [call] = intentsFor(key);
    expect(call!.params).toMatchObject({ amount: '5000', currency: 'usd', off_session: 'true', confirm: 'true', payment_method: 'pm_card_visa', metadata: { orgId: team.orgId, idempotencyKey: key } });
    expect(call!.params.customer).toMatch(/^cus_/);
    expect((await scratch.db.prisma.stripePaymentIntent.findUniqueOrThrow({ where: { intentId: chargeId } })).status).toBe('succeeded');
    // Repeated (a retried activity, two at once): the same charge, one PaymentIntent at Stripe.
    const again = await Promise.all([provider().charge(req), provider().charge(req)]);
    expect(again.map((r) => r.chargeId)).toEqual([chargeId, chargeId]);
    expect(new Set([...w.standIn.intents.values()].filter((i) => i.metadata.idempotencyKey === key).map((i) => i.id)).size).toBe(1);
  });

  it('does not resolve before the webhook: pending (retryable) until Stripe reports it, then the same charge', async () => {
    const team = await teamWithCard('pm_card_visa');
    const key = `auto-reload/${team.orgId}/e3`;
    const req = { orgId: team.orgId, amountNanos: 20_000_000_000n, idempotencyKey: key, description: 'Auto-reload' };
    w.standIn.deliverIntentEvents = false;
    try {
      await expect(provider(300).charge(req)).rejects.toThrow(PaymentPending);
    } finally {
      w.standIn.deliverIntentEvents = true;
    }
    const held = w.standIn.undelivered.splice(0).filter((e) => e.data.object.metadata?.idempotencyKey === key);
    expect(held.map((e) => e.type)).toEqual(['payment_intent.succeeded']);
    expect((await w.deliver(held[0]!)).status).toBe(200);
    const { chargeId } = await provider().charge(req);
    expect(chargeId).toBe(held[0]!.data.object.id);
    expect(new Set([...w.standIn.intents.values()].filter((i) => i.metadata.idempotencyKey === key).map((i) => i.id)).size).toBe(1);
  });

  it('throws a decline with its reason, and a retry of the same key declines the same way', async () => {
    const team = await teamWithCard('pm_card_low_funds');
    w.standIn.declining.set('pm_card_low_funds', 'insufficient_funds');
    const key = `auto-reload/${team.orgId}/e4`;
    const req = { orgId: team.orgId, amountNanos: 50_000_000_000n, idempotencyKey: key, description: 'Auto-reload' };
    const first = provider().charge(req);
    await expect(first).rejects.toThrow(PaymentDeclined);
    await expect(first).rejects.toThrow(/insufficient funds/);
    await expect(provider().charge(req)).rejects.toThrow(/insufficient funds/);
    const intents = [...w.standIn.intents.values()].filter((i) => i.metadata.idempotencyKey === key);
    expect(intents).toHaveLength(1);
    // The payment_failed webhook arrives too; the intent stays failed with the reason.
    const row = await eventually(() => scratch.db.prisma.stripePaymentIntent.findUnique({ where: { intentId: intents[0]!.id } }), (r) => r !== null, 'the failed intent recorded');
    expect(row!.status).toBe('failed');
    expect(row!.failureReason).toMatch(/insufficient funds/);
  });
});
