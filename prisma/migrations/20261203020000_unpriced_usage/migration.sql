-- Usage is never lost. A record whose model has no price is stored as it came,
-- unpriced (no price row, no cost, nothing counted), listed in "UnpricedUsage" for
-- the operator, and priced once a price for it exists (docs/api.md).
ALTER TABLE "UsageEvent" ALTER COLUMN "priceEntryId" DROP NOT NULL;
ALTER TABLE "UsageEvent" ALTER COLUMN "costNanos" DROP NOT NULL;
-- What is unusual about it, e.g. ["cache_breakdown_mismatch", "fallback_price", "priced_late"].
ALTER TABLE "UsageEvent" ADD COLUMN "flags" JSONB;

-- An org may let authorize and record price a model the price book does not know
-- at another family's rates (null: refused at authorize, kept unpriced at record).
ALTER TABLE "Organization" ADD COLUMN "unknownModelFallback" TEXT;

-- One row per usage event that arrived without a price; pricedAt is set, once, when
-- a price for it arrived and it was counted.
CREATE TABLE "UnpricedUsage" (
    "usageEventId" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "memberId" TEXT NOT NULL,
    "requestId" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "family" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "occurredAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "pricedAt" TIMESTAMP(3),

    CONSTRAINT "UnpricedUsage_pkey" PRIMARY KEY ("usageEventId")
);

CREATE INDEX "UnpricedUsage_pricedAt_family_idx" ON "UnpricedUsage"("pricedAt", "family");

ALTER TABLE "UnpricedUsage" ADD CONSTRAINT "UnpricedUsage_usageEventId_fkey" FOREIGN KEY ("usageEventId") REFERENCES "UsageEvent"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "UnpricedUsage" ADD CONSTRAINT "UnpricedUsage_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;
