-- CreateEnum
CREATE TYPE "RequestStatus" AS ENUM ('pending', 'approved', 'denied', 'expired', 'cancelled');

-- CreateEnum
CREATE TYPE "RequestDecision" AS ENUM ('upgrade_seat', 'enable_extra_usage', 'deny');

-- CreateEnum
CREATE TYPE "InvoiceKind" AS ENUM ('invoice', 'statement');

-- AlterTable
ALTER TABLE "Organization" ADD COLUMN     "autoReloadMonthlyLimit" INTEGER,
ADD COLUMN     "digestHourLocal" INTEGER NOT NULL DEFAULT 9;

-- AlterTable
ALTER TABLE "UsageEvent" ADD COLUMN     "invoiceId" TEXT;

-- CreateTable
CREATE TABLE "ExtraUsageRequest" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "memberId" TEXT NOT NULL,
    "workflowId" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "status" "RequestStatus" NOT NULL DEFAULT 'pending',
    "openForMember" TEXT,
    "seatTierAtRequest" "SeatTier" NOT NULL,
    "note" TEXT,
    "requestedAt" TIMESTAMP(3) NOT NULL,
    "decidedAt" TIMESTAMP(3),
    "decidedById" TEXT,
    "decision" "RequestDecision",
    "decisionCapNanos" BIGINT,
    "reason" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ExtraUsageRequest_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AlertDelivery" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "dedupeKey" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMP(3),

    CONSTRAINT "AlertDelivery_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Invoice" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "kind" "InvoiceKind" NOT NULL,
    "subtotalNanos" BIGINT NOT NULL,
    "totalCents" BIGINT NOT NULL,
    "openingBalanceNanos" BIGINT,
    "closingBalanceNanos" BIGINT,
    "closedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Invoice_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "InvoiceLine" (
    "id" TEXT NOT NULL,
    "invoiceId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "memberId" TEXT,
    "model" TEXT,
    "usagePeriod" TEXT,
    "description" TEXT NOT NULL,
    "amountNanos" BIGINT NOT NULL,
    "eventCount" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "InvoiceLine_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PaymentCharge" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "amountNanos" BIGINT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PaymentCharge_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "UsageEvent_orgId_invoiceId_idx" ON "UsageEvent"("orgId", "invoiceId");

-- CreateIndex
CREATE UNIQUE INDEX "ExtraUsageRequest_runId_key" ON "ExtraUsageRequest"("runId");

-- CreateIndex
CREATE UNIQUE INDEX "ExtraUsageRequest_openForMember_key" ON "ExtraUsageRequest"("openForMember");

-- CreateIndex
CREATE INDEX "ExtraUsageRequest_orgId_status_idx" ON "ExtraUsageRequest"("orgId", "status");

-- CreateIndex
CREATE UNIQUE INDEX "AlertDelivery_orgId_dedupeKey_key" ON "AlertDelivery"("orgId", "dedupeKey");

-- CreateIndex
CREATE UNIQUE INDEX "Invoice_orgId_period_key" ON "Invoice"("orgId", "period");

-- CreateIndex
CREATE INDEX "InvoiceLine_invoiceId_idx" ON "InvoiceLine"("invoiceId");

-- CreateIndex
CREATE UNIQUE INDEX "PaymentCharge_idempotencyKey_key" ON "PaymentCharge"("idempotencyKey");

-- AddForeignKey
ALTER TABLE "UsageEvent" ADD CONSTRAINT "UsageEvent_invoiceId_fkey" FOREIGN KEY ("invoiceId") REFERENCES "Invoice"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ExtraUsageRequest" ADD CONSTRAINT "ExtraUsageRequest_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ExtraUsageRequest" ADD CONSTRAINT "ExtraUsageRequest_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "Member"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AlertDelivery" ADD CONSTRAINT "AlertDelivery_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Invoice" ADD CONSTRAINT "Invoice_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "InvoiceLine" ADD CONSTRAINT "InvoiceLine_invoiceId_fkey" FOREIGN KEY ("invoiceId") REFERENCES "Invoice"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PaymentCharge" ADD CONSTRAINT "PaymentCharge_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;
