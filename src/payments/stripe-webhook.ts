// Stripe's webhook: the only thing that turns a payment into balance. Every event is
// verified with the signing secret first (a forged one changes nothing); each effect
// is idempotent (a replay changes nothing) and none undoes a success (out of order
// changes nothing).
import { z } from 'zod';
import type { Db } from '../db/client.js';
import { creditBalance } from '../ledger/settings/balance.js';
import { LedgerError } from '../ledger/errors.js';
import { isUniqueViolation } from '../ledger/transactions.js';
import type { StripeClient } from './stripe-client.js';
import { nanosOfCents } from './cents.js';
import { reportIntent, saveCard } from './stripe-store.js';

/** The request is not a verified Stripe event: answered 400, nothing changed. */
export class WebhookRejected extends Error {
  override readonly name = 'WebhookRejected';
}

export type WebhookResult = { eventId: string; type: string; outcome: 'handled' | 'replayed' | 'ignored'; note?: string };

interface Log {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const idOf = z.union([z.string(), z.object({ id: z.string() }).transform((o) => o.id)]);
const metadata = z.record(z.string(), z.string()).nullish().transform((m) => m ?? {});

// Only the fields we use; Stripe adds fields freely.
const sessionSchema = z.object({
  id: z.string(),
  payment_status: z.string(),
  amount_total: z.number().int().nullish(),
  customer: idOf.nullish(),
  payment_intent: idOf.nullish(),
  metadata,
});
const intentSchema = z.object({
  id: z.string(),
  metadata,
  payment_method: idOf.nullish(),
  last_payment_error: z.object({ message: z.string().nullish(), code: z.string().nullish(), decline_code: z.string().nullish() }).nullish(),
});

/** What owners read when a charge fails: Stripe's message and decline code. */
export function declineReason(err: { message?: string | null; code?: string | null; decline_code?: string | null } | null | undefined): string {
  if (!err) return 'the card was declined';
  const code = err.decline_code ?? err.code;
  const message = err.message ?? 'the card was declined';
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

export function stripeWebhook(deps: { db: Db; stripe: StripeClient; webhookSecret: string; log: Log }) {
  const { db, stripe, log } = deps;

  async function sessionPaid(raw: unknown): Promise<Pick<WebhookResult, 'outcome' | 'note'>> {
    const s = sessionSchema.parse(raw);
    if (s.payment_status !== 'paid') return { outcome: 'ignored', note: `payment_status ${s.payment_status}: credited when paid` };
    const checkout = (await db.stripeCheckout.findUnique({ where: { sessionId: s.id } })) ?? (await adopt(s));
    if (!checkout) return { outcome: 'ignored', note: 'not a Checkout Session of ours' };
    if (s.amount_total != null && nanosOfCents(s.amount_total) !== checkout.amountNanos) {
      log.error({ session: s.id, amountTotal: s.amount_total }, 'stripe: a paid Checkout Session does not match its purchase; not credited');
      await db.stripeCheckout.updateMany({ where: { sessionId: s.id, status: 'open' }, data: { status: 'credit_failed', failureReason: `paid ${s.amount_total} cents` } });
      return { outcome: 'ignored', note: 'amount differs from the purchase' };
    }
    const org = await db.organization.findUniqueOrThrow({ where: { id: checkout.orgId } });
    try {
      await creditBalance(db, org, { kind: 'purchase', amountNanos: checkout.amountNanos, idempotencyKey: checkout.idempotencyKey, actor: `${checkout.actor} via stripe:${s.id}` });
    } catch (err) {
      if (!(err instanceof LedgerError)) throw err;
      // Paid but refused by the ledger (e.g. the balance maximum): the operator refunds.
      log.error({ session: s.id, org: org.slug, err: err.message }, 'stripe: paid Checkout Session could not be credited; refund it');
      await db.stripeCheckout.updateMany({ where: { sessionId: s.id, status: 'open' }, data: { status: 'credit_failed', failureReason: err.message } });
      return { outcome: 'ignored', note: err.message };
    }
    await db.stripeCheckout.updateMany({ where: { sessionId: s.id, status: 'open' }, data: { status: 'paid', completedAt: new Date() } });
    if (s.payment_intent) {
      // The card paid with is what auto-reload charges off-session from now on.
      const intent = await stripe.paymentIntents.retrieve(s.payment_intent, {});
      const pm = intent.payment_method ? (typeof intent.payment_method === 'string' ? intent.payment_method : intent.payment_method.id) : null;
      const customer = s.customer ?? (typeof intent.customer === 'string' ? intent.customer : intent.customer?.id ?? null);
      if (pm && customer) await saveCard(db, customer, pm);
      if (intent.status === 'succeeded') await reportIntent(db, { intentId: intent.id, orgId: org.id, idempotencyKey: null, status: 'succeeded', failureReason: null });
    }
    return { outcome: 'handled' };
  }

  /**
   * A paid session of ours that we have no row for (the service stopped between
   * creating it and storing it): its signed metadata, which we wrote, says whose
   * purchase it is, so the money is credited rather than lost.
   */
  async function adopt(s: z.infer<typeof sessionSchema>) {
    const { orgId, purchaseKey } = s.metadata;
    if (!orgId || !purchaseKey || s.amount_total == null || !(await db.organization.findUnique({ where: { id: orgId } }))) return null;
    log.warn({ session: s.id, orgId }, 'stripe: paid Checkout Session had no purchase row; recorded from its metadata');
    try {
      return await db.stripeCheckout.create({
        data: { sessionId: s.id, orgId, idempotencyKey: purchaseKey, amountNanos: nanosOfCents(s.amount_total), url: '', actor: 'an owner (Stripe Checkout)' },
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      return db.stripeCheckout.findUnique({ where: { sessionId: s.id } });
    }
  }

  async function sessionExpired(raw: unknown): Promise<Pick<WebhookResult, 'outcome' | 'note'>> {
    const s = sessionSchema.parse(raw);
    const { count } = await db.stripeCheckout.updateMany({ where: { sessionId: s.id, status: 'open' }, data: { status: 'expired', completedAt: new Date() } });
    return count ? { outcome: 'handled' } : { outcome: 'ignored', note: 'not an open Checkout Session of ours' };
  }

  async function intentReported(raw: unknown, status: 'succeeded' | 'failed'): Promise<Pick<WebhookResult, 'outcome' | 'note'>> {
    const pi = intentSchema.parse(raw);
    const orgId = pi.metadata.orgId ?? (await db.stripePaymentIntent.findUnique({ where: { intentId: pi.id } }))?.orgId;
    if (!orgId) return { outcome: 'ignored', note: 'not a PaymentIntent of ours' };
    await reportIntent(db, {
      intentId: pi.id,
      orgId,
      idempotencyKey: pi.metadata.idempotencyKey ?? null,
      status,
      failureReason: status === 'failed' ? declineReason(pi.last_payment_error) : null,
    });
    return { outcome: 'handled' };
  }

  return {
    /** Verifies and applies one delivery; throws WebhookRejected for anything not signed by Stripe with our secret. */
    async handle(rawBody: Buffer, signature: string | undefined): Promise<WebhookResult> {
      if (!signature) throw new WebhookRejected('missing Stripe-Signature header');
      let event;
      try {
        event = stripe.webhooks.constructEvent(rawBody, signature, deps.webhookSecret);
      } catch (err) {
        throw new WebhookRejected(`Stripe-Signature does not verify: ${(err as Error).message}`);
      }
      const seen = await db.stripeWebhookEvent.findUnique({ where: { eventId: event.id } });
      if (seen) return { eventId: event.id, type: event.type, outcome: 'replayed' };
      let result: Pick<WebhookResult, 'outcome' | 'note'>;
      switch (event.type) {
        case 'checkout.session.completed':
        case 'checkout.session.async_payment_succeeded':
          result = await sessionPaid(event.data.object);
          break;
        case 'checkout.session.expired':
          result = await sessionExpired(event.data.object);
          break;
        case 'payment_intent.succeeded':
          result = await intentReported(event.data.object, 'succeeded');
          break;
        case 'payment_intent.payment_failed':
          result = await intentReported(event.data.object, 'failed');
          break;
        default:
          // Acknowledged quietly: the endpoint may be subscribed to more than we use.
          result = { outcome: 'ignored' };
      }
      // Marked after its effects: a delivery that failed half-way is applied again (each effect is idempotent).
      try {
        await db.stripeWebhookEvent.create({ data: { eventId: event.id, type: event.type } });
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
      }
      if (result.outcome === 'ignored' && result.note) log.warn({ event: event.id, type: event.type, note: result.note }, 'stripe webhook: event ignored');
      return { eventId: event.id, type: event.type, ...result };
    },
  };
}

export type StripeWebhook = ReturnType<typeof stripeWebhook>;
