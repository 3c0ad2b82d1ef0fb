// Buying balance through Stripe Checkout with the real `stripe` SDK against the local
// stand-in: the purchase answers with the Checkout link and credits nothing; only
// the verified webhook credits it, once; replayed, out-of-order and forged webhooks
// change nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, migrated, type Scratch } from '../support/databases.js';
import { stripeWorld, type StripeWorld } from './stripe-fixture.js';

describe.each(BACKENDS)('Stripe Checkout purchases on $kind', ({ open }) => {
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

  const balanceOf = async (team: Awaited<ReturnType<StripeWorld['team']>>) => (await team.as('owner-1').get('/v1/settings/usage')).body.prepaid.balance as string;

  it('answers 202 with the Checkout link, credits nothing until the verified webhook says paid, then credits once', async () => {
    const team = await w.team();
    const owner = team.as('owner-1');
    const first = await owner.post('/v1/settings/balance/purchases', { amount: '25.00', idempotencyKey: 'order-1' });
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ status: 'awaiting_payment', amount: '25.00', idempotencyKey: 'order-1' });
    expect(first.body.checkoutUrl).toMatch(new RegExp(`^${w.standIn.base}/c/pay/cs_test_`));
    expect(await balanceOf(team)).toBe('0.00');

    // What Stripe was asked: one customer for the org, a payment-mode session saving the card; our keys on both.
    const calls = w.standIn.calls.filter((c) => c.params.metadata?.orgId === team.orgId);
    const customer = calls.find((c) => c.path === '/v1/customers')!;
    expect(customer.idempotencyKey).toBe(`customer/${team.orgId}`);
    const session = calls.find((c) => c.path === '/v1/checkout/sessions')!;
    expect(session.idempotencyKey).toBe(`checkout/${team.orgId}/order-1`);
    expect(session.params).toMatchObject({
      mode: 'payment',
      payment_intent_data: { setup_future_usage: 'off_session', metadata: { orgId: team.orgId, purchaseKey: 'order-1' } },
      metadata: { orgId: team.orgId, purchaseKey: 'order-1' },
      line_items: { 0: { quantity: '1', price_data: { currency: 'usd', unit_amount: '2500' } } },
    });
    expect(session.params.success_url).toMatch(/^https:\/\/usage\.example\.com\/v1\/payments\/stripe\/return\?outcome=paid/);

    // A retry is the same purchase: the same link, one session; another amount under the key is refused.
    const retry = await owner.post('/v1/settings/balance/purchases', { amount: '25.00', idempotencyKey: 'order-1' });
    expect(retry.status).toBe(202);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body.checkoutUrl).toBe(first.body.checkoutUrl);
    const other = await owner.post('/v1/settings/balance/purchases', { amount: '30.00', idempotencyKey: 'order-1' });
    expect(other.status).toBe(409);
    expect(other.body.error.field).toBe('idempotencyKey');
    const sessionsOfOrg = [...w.standIn.sessions.values()].filter((s) => s.metadata.orgId === team.orgId);
    expect(sessionsOfOrg).toHaveLength(1);

    // The buyer pays; Stripe's signed event credits the purchase.
    const { completed, intentSucceeded } = w.standIn.payCheckout(sessionsOfOrg[0]!.id);
    const delivered = await w.deliver(completed);
    expect(delivered.status).toBe(200);
    expect(delivered.body.outcome).toBe('handled');
    expect(await balanceOf(team)).toBe('25.00');
    expect((await w.deliver(intentSucceeded)).status).toBe(200);

    // Replayed: the same event again, and the same session in another event: counted once.
    const { payload, signature } = w.standIn.sign(completed);
    const replay = await w.postWebhook(payload, signature);
    expect(replay.status).toBe(200);
    expect(replay.body.outcome).toBe('replayed');
    expect((await w.deliver(w.standIn.event('checkout.session.async_payment_succeeded', completed.data.object))).status).toBe(200);
    expect(await balanceOf(team)).toBe('25.00');

    // The owner's retry now finds the credited purchase.
    const after = await owner.post('/v1/settings/balance/purchases', { amount: '25.00', idempotencyKey: 'order-1' });
    expect(after.status).toBe(200);
    expect(after.body.balanceAfter).toBe('25.00');

    // The card is saved for auto-reload; a second purchase reuses the customer.
    const customerRow = await scratch.db.prisma.stripeCustomer.findUniqueOrThrow({ where: { orgId: team.orgId } });
    expect(customerRow.paymentMethodId).toBe('pm_card_visa');
    expect((await owner.post('/v1/settings/balance/purchases', { amount: '5.00', idempotencyKey: 'order-2' })).status).toBe(202);
    expect(w.standIn.calls.filter((c) => c.path === '/v1/customers' && c.params.metadata?.orgId === team.orgId)).toHaveLength(1);

    // Audited: who started it, and the credit in their name when paid.
    const audit = (await owner.get('/v1/reports/audit-log')).body.entries as { action: string; actor: string; after: any }[];
    const started = audit.filter((e) => e.action === 'balance.purchase_started');
    expect(started.map((e) => e.after.amount).sort()).toEqual(['25.00', '5.00']);
    const credited = audit.filter((e) => e.action === 'balance.purchase');
    expect(credited).toHaveLength(1);
    expect(credited[0]!.actor).toMatch(/^member:.*\(owner-1\).* via stripe:cs_test_/);
  });

  it('lets only owners buy: a member is refused and Stripe is not called', async () => {
    const team = await w.team();
    const before = w.standIn.calls.length;
    const res = await team.as('alice').post('/v1/settings/balance/purchases', { amount: '5.00', idempotencyKey: 'alice-1' });
    expect(res.status).toBe(403);
    expect(w.standIn.calls.length).toBe(before);
    // Card payments are whole cents (the API's amounts already are).
    const cents = await team.as('owner-1').post('/v1/settings/balance/purchases', { amount: '5.005', idempotencyKey: 'sub-cent' });
    expect(cents.status).toBe(400);
    expect(cents.body.error.field).toBe('amount');
    expect(w.standIn.calls.length).toBe(before);
  });

  it('refuses forged webhooks with 400 and changes nothing', async () => {
    const team = await w.team();
    const owner = team.as('owner-1');
    const started = await owner.post('/v1/settings/balance/purchases', { amount: '40.00', idempotencyKey: 'forged' });
    const sessionId = /cs_test_\w+/.exec(started.body.checkoutUrl)![0];
    const { completed } = w.standIn.payCheckout(sessionId);

    // Signed with another secret.
    const wrongSecret = await w.deliver(completed, 'whsec_not_ours');
    expect(wrongSecret.status).toBe(400);
    expect(wrongSecret.body.error.field).toBe('stripe-signature');
    // A real signature over another body (the amount changed after signing).
    const { signature } = w.standIn.sign(completed);
    const tampered = JSON.stringify({ ...completed, data: { object: { ...completed.data.object, amount_total: 999999 } } }, null, 2);
    expect((await w.postWebhook(tampered, signature)).status).toBe(400);
    // No signature at all.
    const unsigned = await w.postWebhook(JSON.stringify(completed));
    expect(unsigned.status).toBe(400);
    expect(unsigned.body.error.message).toMatch(/Stripe-Signature/);

    expect(await balanceOf(team)).toBe('0.00');
    expect((await scratch.db.prisma.stripeCheckout.findUniqueOrThrow({ where: { sessionId } })).status).toBe('open');
    expect(await scratch.db.prisma.stripeWebhookEvent.findUnique({ where: { eventId: completed.id } })).toBeNull();
    // The genuine delivery still works afterwards.
    expect((await w.deliver(completed)).status).toBe(200);
    expect(await balanceOf(team)).toBe('40.00');
  });

  it('takes events out of order: the intent before its session, and a payment_failed after success undoes nothing', async () => {
    const team = await w.team();
    const started = await team.as('owner-1').post('/v1/settings/balance/purchases', { amount: '12.34', idempotencyKey: 'ooo' });
    const sessionId = /cs_test_\w+/.exec(started.body.checkoutUrl)![0];
    const { completed, intentSucceeded } = w.standIn.payCheckout(sessionId);
    const intent = intentSucceeded.data.object;
    expect((await w.deliver(intentSucceeded)).status).toBe(200);
    expect(await balanceOf(team)).toBe('0.00');
    const failedLater = w.standIn.event('payment_intent.payment_failed', { ...intent, status: 'requires_payment_method', last_payment_error: { message: 'Your card was declined.', code: 'card_declined' } });
    expect((await w.deliver(failedLater)).status).toBe(200);
    expect((await w.deliver(completed)).status).toBe(200);
    expect(await balanceOf(team)).toBe('12.34');
    const row = await scratch.db.prisma.stripePaymentIntent.findUniqueOrThrow({ where: { intentId: intent.id } });
    expect(row.status).toBe('succeeded');
    // An unpaid completion (a delayed payment method) credits nothing.
    const second = await team.as('owner-1').post('/v1/settings/balance/purchases', { amount: '1.00', idempotencyKey: 'delayed' });
    const delayed = w.standIn.sessions.get(/cs_test_\w+/.exec(second.body.checkoutUrl)![0])!;
    const unpaid = await w.deliver(w.standIn.event('checkout.session.completed', { ...delayed, status: 'complete', payment_status: 'unpaid' }));
    expect(unpaid.body.outcome).toBe('ignored');
    expect(await balanceOf(team)).toBe('12.34');
  });

  it('credits a paid session of ours that has no purchase row (a crash after creating it) from its signed metadata, once', async () => {
    const team = await w.team();
    const customer = await w.stripe.customers.create({ name: 'x' }, { idempotencyKey: `lost-customer-${team.orgId}` });
    const lost = await w.stripe.checkout.sessions.create({
      mode: 'payment', customer: customer.id, success_url: 'https://x/ok', cancel_url: 'https://x/no',
      line_items: [{ quantity: 1, price_data: { currency: 'usd', unit_amount: 700, product_data: { name: 'Balance' } } }],
      metadata: { orgId: team.orgId, purchaseKey: 'lost-1' },
    }, { idempotencyKey: `lost-session-${team.orgId}` });
    const { completed } = w.standIn.payCheckout(lost.id);
    expect((await w.deliver(completed)).body.outcome).toBe('handled');
    expect((await w.deliver(w.standIn.event('checkout.session.completed', completed.data.object))).status).toBe(200);
    expect(await balanceOf(team)).toBe('7.00');
    // A session that is not ours (no metadata) is acknowledged and ignored.
    const foreign = await w.deliver(w.standIn.event('checkout.session.completed', { ...completed.data.object, id: 'cs_test_foreign', metadata: {} }));
    expect(foreign).toMatchObject({ status: 200, body: { outcome: 'ignored' } });
    expect(await balanceOf(team)).toBe('7.00');
  });

  it('refuses to hand out an expired link again: the key must change', async () => {
    const team = await w.team();
    const owner = team.as('owner-1');
    const started = await owner.post('/v1/settings/balance/purchases', { amount: '9.00', idempotencyKey: 'stale' });
    const session = w.standIn.sessions.get(/cs_test_\w+/.exec(started.body.checkoutUrl)![0])!;
    expect((await w.deliver(w.standIn.event('checkout.session.expired', { ...session, status: 'expired' }))).body.outcome).toBe('handled');
    const again = await owner.post('/v1/settings/balance/purchases', { amount: '9.00', idempotencyKey: 'stale' });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ field: 'idempotencyKey', message: expect.stringContaining('expired') });
    expect((await owner.post('/v1/settings/balance/purchases', { amount: '9.00', idempotencyKey: 'fresh' })).status).toBe(202);
    expect(await balanceOf(team)).toBe('0.00');
  });
});

describe('the webhook route without Stripe', () => {
  it('answers 404 when payments are not taken through Stripe, and a non-JSON body 415', async () => {
    const scratch = await migrated(BACKENDS[0]!.open);
    const { harness } = await import('../support/fixtures.js');
    const h = await harness(scratch.db.prisma);
    try {
      const plain = await h.app.inject({ method: 'POST', url: '/v1/payments/stripe/webhook', payload: '{"id":"evt_1"}', headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=x' } });
      expect(plain.statusCode).toBe(404);
      expect(plain.json().error.message).toMatch(/PAYMENTS_PROVIDER/);
      const text = await h.app.inject({ method: 'POST', url: '/v1/payments/stripe/webhook', payload: 'hello', headers: { 'content-type': 'text/plain' } });
      expect(text.statusCode).toBe(415);
      // Where Checkout sends the buyer back.
      const back = await h.app.inject({ method: 'GET', url: '/v1/payments/stripe/return?outcome=cancelled' });
      expect(back.json().message).toMatch(/nothing was charged/);
    } finally {
      await h.close();
      await scratch.dispose();
    }
  });
});
