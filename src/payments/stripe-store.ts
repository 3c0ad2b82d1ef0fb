// What we keep about Stripe objects: the org's customer and saved card, purchases
// waiting for their Checkout, and what the verified webhook said about each
// PaymentIntent. The rules that make replays and out-of-order events harmless live
// here, in SQL: a succeeded intent never goes back.
import type { Db } from '../db/client.js';

export type IntentStatus = 'pending' | 'succeeded' | 'failed';

export interface IntentReport {
  intentId: string;
  orgId: string;
  idempotencyKey: string | null;
  status: Exclude<IntentStatus, 'pending'>;
  failureReason: string | null;
}

/**
 * Records what the webhook (or the SDK's answer) says about an intent. `succeeded`
 * is final: a `payment_failed` arriving after it (out of order, or replayed) changes nothing.
 */
export async function reportIntent(db: Db, r: IntentReport): Promise<void> {
  await db.$executeRaw`
    INSERT INTO "StripePaymentIntent" ("intentId", "orgId", "idempotencyKey", "status", "failureReason")
    VALUES (${r.intentId}, ${r.orgId}, ${r.idempotencyKey}, ${r.status}, ${r.failureReason})
    ON CONFLICT ("intentId") DO UPDATE SET
      "status" = EXCLUDED."status",
      "failureReason" = EXCLUDED."failureReason",
      "idempotencyKey" = COALESCE("StripePaymentIntent"."idempotencyKey", EXCLUDED."idempotencyKey"),
      "updatedAt" = CURRENT_TIMESTAMP
    WHERE "StripePaymentIntent"."status" <> 'succeeded'`;
}

/** An intent we created and wait on; never overwrites what a webhook already reported. */
export async function notePendingIntent(db: Db, r: { intentId: string; orgId: string; idempotencyKey: string }): Promise<void> {
  await db.$executeRaw`
    INSERT INTO "StripePaymentIntent" ("intentId", "orgId", "idempotencyKey", "status")
    VALUES (${r.intentId}, ${r.orgId}, ${r.idempotencyKey}, 'pending')
    ON CONFLICT ("intentId") DO UPDATE SET "idempotencyKey" = COALESCE("StripePaymentIntent"."idempotencyKey", EXCLUDED."idempotencyKey")`;
}

export const intentOf = (db: Db, intentId: string) => db.stripePaymentIntent.findUnique({ where: { intentId } });

/** A succeeded intent for this charge's idempotency key, if the webhook reported one. */
export const succeededIntentFor = (db: Db, orgId: string, idempotencyKey: string) =>
  db.stripePaymentIntent.findFirst({ where: { orgId, idempotencyKey, status: 'succeeded' } });

export const customerOf = (db: Db, orgId: string) => db.stripeCustomer.findUnique({ where: { orgId } });

/** Stores the org's customer once; a racing second store keeps the first (Stripe gave both the same one under our key). */
export async function keepCustomer(db: Db, orgId: string, customerId: string) {
  return db.stripeCustomer.upsert({ where: { orgId }, create: { orgId, customerId }, update: {} });
}

/** The card a paid Checkout saved becomes the one auto-reload charges off-session. */
export async function saveCard(db: Db, customerId: string, paymentMethodId: string): Promise<boolean> {
  const { count } = await db.stripeCustomer.updateMany({ where: { customerId }, data: { paymentMethodId } });
  return count > 0;
}
