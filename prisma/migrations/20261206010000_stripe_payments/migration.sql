-- Payments through Stripe (docs/payments.md). One Stripe customer per org, with the
-- card saved by the first Checkout for off-session auto-reloads.
CREATE TABLE "StripeCustomer" (
    "orgId" TEXT NOT NULL,
    "customerId" TEXT NOT NULL,
    "paymentMethodId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "StripeCustomer_pkey" PRIMARY KEY ("orgId")
);
CREATE UNIQUE INDEX "StripeCustomer_customerId_key" ON "StripeCustomer"("customerId");

-- A purchase waiting for its Checkout Session to be paid; the balance is credited
-- (under idempotencyKey) only when the verified webhook says it was.
CREATE TABLE "StripeCheckout" (
    "sessionId" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "amountNanos" BIGINT NOT NULL,
    "url" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'open',
    "failureReason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completedAt" TIMESTAMP(3),

    CONSTRAINT "StripeCheckout_pkey" PRIMARY KEY ("sessionId")
);
CREATE UNIQUE INDEX "StripeCheckout_orgId_idempotencyKey_key" ON "StripeCheckout"("orgId", "idempotencyKey");

-- What the verified webhook reported for each PaymentIntent (succeeded never goes back).
CREATE TABLE "StripePaymentIntent" (
    "intentId" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "idempotencyKey" TEXT,
    "status" TEXT NOT NULL,
    "failureReason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "StripePaymentIntent_pkey" PRIMARY KEY ("intentId")
);
CREATE INDEX "StripePaymentIntent_idempotencyKey_idx" ON "StripePaymentIntent"("idempotencyKey");

-- Every verified webhook event handled, once (a replay is answered 200 and skipped).
CREATE TABLE "StripeWebhookEvent" (
    "eventId" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "StripeWebhookEvent_pkey" PRIMARY KEY ("eventId")
);
