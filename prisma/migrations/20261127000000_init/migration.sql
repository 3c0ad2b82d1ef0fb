-- CreateEnum
CREATE TYPE "Plan" AS ENUM ('team', 'enterprise');

-- CreateEnum
CREATE TYPE "Role" AS ENUM ('primary_owner', 'owner', 'admin', 'member');

-- CreateEnum
CREATE TYPE "SeatTier" AS ENUM ('standard', 'premium');

-- CreateEnum
CREATE TYPE "ExtraUsageScope" AS ENUM ('all_members', 'selected_members');

-- CreateEnum
CREATE TYPE "SpendScope" AS ENUM ('org', 'tier', 'member');

-- CreateEnum
CREATE TYPE "BalanceEntryKind" AS ENUM ('purchase', 'reload', 'adjustment');

-- CreateTable
CREATE TABLE "Organization" (
    "id" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "plan" "Plan" NOT NULL,
    "timezone" TEXT NOT NULL,
    "extraUsageEnabled" BOOLEAN NOT NULL DEFAULT false,
    "extraUsageScope" "ExtraUsageScope" NOT NULL DEFAULT 'all_members',
    "orgMonthlyCapNanos" BIGINT,
    "standardTierCapNanos" BIGINT,
    "premiumTierCapNanos" BIGINT,
    "balanceNanos" BIGINT NOT NULL DEFAULT 0,
    "autoReloadEnabled" BOOLEAN NOT NULL DEFAULT false,
    "autoReloadThresholdNanos" BIGINT,
    "autoReloadAmountNanos" BIGINT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Organization_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SeatTierConfig" (
    "orgId" TEXT NOT NULL,
    "tier" "SeatTier" NOT NULL,
    "includedAllowanceNanos" BIGINT NOT NULL,
    "windowMinutes" INTEGER NOT NULL,

    CONSTRAINT "SeatTierConfig_pkey" PRIMARY KEY ("orgId","tier")
);

-- CreateTable
CREATE TABLE "Member" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "externalId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "email" TEXT,
    "role" "Role" NOT NULL,
    "seatTier" "SeatTier" NOT NULL,
    "slackUserId" TEXT,
    "teamsUserId" TEXT,
    "extraUsageEnabled" BOOLEAN NOT NULL DEFAULT false,
    "extraUsageCapNanos" BIGINT,
    "windowStartedAt" TIMESTAMP(3),
    "windowUsedNanos" BIGINT NOT NULL DEFAULT 0,
    "removedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Member_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MonthlySpend" (
    "orgId" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "scope" "SpendScope" NOT NULL,
    "subject" TEXT NOT NULL,
    "extraNanos" BIGINT NOT NULL DEFAULT 0,
    "includedNanos" BIGINT NOT NULL DEFAULT 0,
    "eventCount" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "MonthlySpend_pkey" PRIMARY KEY ("orgId","period","scope","subject")
);

-- CreateTable
CREATE TABLE "PriceEntry" (
    "id" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "effectiveFrom" TIMESTAMP(3) NOT NULL,
    "minPromptTokensExclusive" INTEGER NOT NULL DEFAULT 0,
    "inputNanosPerToken" BIGINT NOT NULL,
    "cacheWrite5mNanosPerToken" BIGINT NOT NULL,
    "cacheWrite1hNanosPerToken" BIGINT NOT NULL,
    "cacheReadNanosPerToken" BIGINT NOT NULL,
    "outputNanosPerToken" BIGINT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PriceEntry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "UsageEvent" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "memberId" TEXT NOT NULL,
    "requestId" TEXT NOT NULL,
    "bodyHash" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "priceEntryId" TEXT NOT NULL,
    "occurredAt" TIMESTAMP(3) NOT NULL,
    "period" TEXT NOT NULL,
    "inputTokens" INTEGER NOT NULL,
    "cacheWrite5mTokens" INTEGER NOT NULL,
    "cacheWrite1hTokens" INTEGER NOT NULL,
    "cacheReadTokens" INTEGER NOT NULL,
    "outputTokens" INTEGER NOT NULL,
    "costNanos" BIGINT NOT NULL,
    "includedNanos" BIGINT NOT NULL,
    "extraNanos" BIGINT NOT NULL,
    "response" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "UsageEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BalanceEntry" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "kind" "BalanceEntryKind" NOT NULL,
    "amountNanos" BIGINT NOT NULL,
    "balanceAfterNanos" BIGINT NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "BalanceEntry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ApiKey" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "keyHash" TEXT NOT NULL,
    "scopes" TEXT[],
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "ApiKey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditEntry" (
    "id" BIGSERIAL NOT NULL,
    "orgId" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "before" JSONB,
    "after" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AuditEntry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OutboxEvent" (
    "id" BIGSERIAL NOT NULL,
    "orgId" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "publishedAt" TIMESTAMP(3),

    CONSTRAINT "OutboxEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Organization_slug_key" ON "Organization"("slug");

-- CreateIndex
CREATE UNIQUE INDEX "Member_orgId_externalId_key" ON "Member"("orgId", "externalId");

-- CreateIndex
CREATE UNIQUE INDEX "Member_orgId_slackUserId_key" ON "Member"("orgId", "slackUserId");

-- CreateIndex
CREATE UNIQUE INDEX "Member_orgId_teamsUserId_key" ON "Member"("orgId", "teamsUserId");

-- CreateIndex
CREATE UNIQUE INDEX "PriceEntry_model_effectiveFrom_minPromptTokensExclusive_key" ON "PriceEntry"("model", "effectiveFrom", "minPromptTokensExclusive");

-- CreateIndex
CREATE INDEX "UsageEvent_orgId_period_idx" ON "UsageEvent"("orgId", "period");

-- CreateIndex
CREATE INDEX "UsageEvent_memberId_period_idx" ON "UsageEvent"("memberId", "period");

-- CreateIndex
CREATE UNIQUE INDEX "UsageEvent_orgId_requestId_key" ON "UsageEvent"("orgId", "requestId");

-- CreateIndex
CREATE UNIQUE INDEX "BalanceEntry_orgId_idempotencyKey_key" ON "BalanceEntry"("orgId", "idempotencyKey");

-- CreateIndex
CREATE UNIQUE INDEX "ApiKey_keyHash_key" ON "ApiKey"("keyHash");

-- CreateIndex
CREATE INDEX "AuditEntry_orgId_createdAt_idx" ON "AuditEntry"("orgId", "createdAt");

-- CreateIndex
CREATE INDEX "OutboxEvent_publishedAt_id_idx" ON "OutboxEvent"("publishedAt", "id");

-- AddForeignKey
ALTER TABLE "SeatTierConfig" ADD CONSTRAINT "SeatTierConfig_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Member" ADD CONSTRAINT "Member_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MonthlySpend" ADD CONSTRAINT "MonthlySpend_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "UsageEvent" ADD CONSTRAINT "UsageEvent_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "UsageEvent" ADD CONSTRAINT "UsageEvent_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "Member"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "UsageEvent" ADD CONSTRAINT "UsageEvent_priceEntryId_fkey" FOREIGN KEY ("priceEntryId") REFERENCES "PriceEntry"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BalanceEntry" ADD CONSTRAINT "BalanceEntry_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ApiKey" ADD CONSTRAINT "ApiKey_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AuditEntry" ADD CONSTRAINT "AuditEntry_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OutboxEvent" ADD CONSTRAINT "OutboxEvent_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The audit log is append-only: refuse every UPDATE and DELETE of a row.
CREATE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'AuditEntry is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER "AuditEntry_append_only" BEFORE UPDATE OR DELETE ON "AuditEntry"
    FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only();

-- Price entries are immutable: past usage keeps the price it was recorded at.
CREATE FUNCTION price_entry_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'PriceEntry rows are immutable; add a row with a later effectiveFrom';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER "PriceEntry_immutable" BEFORE UPDATE OR DELETE ON "PriceEntry"
    FOR EACH ROW EXECUTE FUNCTION price_entry_immutable();
