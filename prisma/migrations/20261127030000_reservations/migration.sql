-- CreateEnum
CREATE TYPE "EnforcementMode" AS ENUM ('check', 'reserve');

-- AlterTable
ALTER TABLE "Organization" ADD COLUMN     "heldBalanceNanos" BIGINT NOT NULL DEFAULT 0,
ADD COLUMN     "enforcementMode" "EnforcementMode" NOT NULL DEFAULT 'check';

-- AlterTable
ALTER TABLE "Member" ADD COLUMN     "windowHeldNanos" BIGINT NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "MonthlySpend" ADD COLUMN     "reservedNanos" BIGINT NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "Reservation" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "memberId" TEXT NOT NULL,
    "requestId" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "tier" "SeatTier" NOT NULL,
    "estimateNanos" BIGINT NOT NULL,
    "includedHeldNanos" BIGINT NOT NULL,
    "extraHeldNanos" BIGINT NOT NULL,
    "decision" JSONB NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "settledAt" TIMESTAMP(3),
    "releasedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Reservation_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Reservation_orgId_requestId_key" ON "Reservation"("orgId", "requestId");

-- CreateIndex
CREATE INDEX "Reservation_expiresAt_idx" ON "Reservation"("expiresAt");

-- AddForeignKey
ALTER TABLE "Reservation" ADD CONSTRAINT "Reservation_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;
