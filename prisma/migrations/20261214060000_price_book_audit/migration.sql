-- Changes to the price book (shared by every organisation, so not in an org's
-- "AuditEntry"): who added which price, alias, fee or multiplier, from what, to what.
-- Append-only; written in the transaction that makes the change.
CREATE TABLE "PriceBookAudit" (
    "id" BIGSERIAL NOT NULL,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "before" JSONB,
    "after" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PriceBookAudit_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "PriceBookAudit_createdAt_idx" ON "PriceBookAudit"("createdAt");
