// The payment port on Stripe: auto-reload charges the card the first Checkout saved,
// off-session, under the reload's idempotency key. It resolves only once the verified
// webhook has reported the PaymentIntent succeeded; a decline throws with its reason.
import Stripe from 'stripe';
import type { Db } from '../db/client.js';
import { centsOf, centsProblem } from './cents.js';
import { PaymentDeclined, PaymentPending, type PaymentProvider } from './port.js';
import type { StripeClient } from './stripe-client.js';
import { customerOf, intentOf, notePendingIntent, reportIntent, succeededIntentFor } from './stripe-store.js';
import { declineReason } from './stripe-webhook.js';

export const NO_SAVED_CARD = 'no saved payment method: an owner must buy once (a Checkout purchase saves the card for auto-reload)';

export interface StripeChargeOptions {
  /** How long charge() waits for the webhook before throwing PaymentPending (retryable). */
  waitMs?: number;
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export function stripePayments(db: Db, stripe: StripeClient, opts: StripeChargeOptions = {}): PaymentProvider {
  const waitMs = opts.waitMs ?? 20_000;
  const pollMs = opts.pollMs ?? 250;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  async function confirmed(intentId: string): Promise<{ chargeId: string }> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const row = await intentOf(db, intentId);
      if (row?.status === 'succeeded') return { chargeId: intentId };
      if (row?.status === 'failed') throw new PaymentDeclined(row.failureReason ?? 'the card was declined');
      if (Date.now() >= deadline) throw new PaymentPending(`payment ${intentId} is not confirmed by Stripe's webhook yet; retry with the same key (charged once)`);
      await sleep(pollMs);
    }
  }

  return {
    async charge(req) {
      const problem = centsProblem(req.amountNanos);
      if (problem) throw new PaymentDeclined(`amount ${problem}`);
      // Confirmed before (a retried activity): nothing to send again.
      const done = await succeededIntentFor(db, req.orgId, req.idempotencyKey);
      if (done) return { chargeId: done.intentId };
      const customer = await customerOf(db, req.orgId);
      if (!customer?.paymentMethodId) throw new PaymentDeclined(NO_SAVED_CARD);
      let intent: Stripe.PaymentIntent;
      try {
        intent = await stripe.paymentIntents.create({
          amount: centsOf(req.amountNanos),
          currency: 'usd',
          customer: customer.customerId,
          payment_method: customer.paymentMethodId,
          off_session: true,
          confirm: true,
          description: req.description,
          metadata: { orgId: req.orgId, idempotencyKey: req.idempotencyKey },
        }, { idempotencyKey: req.idempotencyKey });
      } catch (err) {
        // A decline is final for this key (Stripe answers a retry with the same error).
        if (err instanceof Stripe.errors.StripeCardError) {
          const reason = declineReason(err);
          const failed = (err.raw as { payment_intent?: { id?: string } } | undefined)?.payment_intent?.id ?? err.payment_intent?.id;
          if (failed) await reportIntent(db, { intentId: failed, orgId: req.orgId, idempotencyKey: req.idempotencyKey, status: 'failed', failureReason: reason });
          throw new PaymentDeclined(reason);
        }
        throw err;
      }
      await notePendingIntent(db, { intentId: intent.id, orgId: req.orgId, idempotencyKey: req.idempotencyKey });
      if (intent.status === 'requires_action') throw new PaymentDeclined('the card asks the owner to authenticate this payment; buy once more with the card (Checkout) or use another card');
      if (intent.status === 'requires_payment_method' || intent.status === 'canceled') throw new PaymentDeclined(declineReason(intent.last_payment_error));
      return confirmed(intent.id);
    },
  };
}
