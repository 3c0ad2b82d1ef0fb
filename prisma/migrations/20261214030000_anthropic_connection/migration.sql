-- An org connected to its Anthropic (Claude Team / Enterprise) organization through
-- the Admin API (docs/claude.md). The Admin API key is stored encrypted (AES-256-GCM
-- with SECRETS_KEY, src/secrets/secret-box.ts): the row never holds it in clear.
CREATE TABLE "AnthropicConnection" (
    "orgId" TEXT NOT NULL,
    "keyCiphertext" TEXT NOT NULL,
    "anthropicOrgId" TEXT NOT NULL,
    "anthropicOrgName" TEXT NOT NULL,
    "connectedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSyncedAt" TIMESTAMP(3),
    "lastError" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "AnthropicConnection_pkey" PRIMARY KEY ("orgId")
);
ALTER TABLE "AnthropicConnection" ADD CONSTRAINT "AnthropicConnection_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- A member mirrored from the Anthropic users list carries its user id (user_...).
ALTER TABLE "Member" ADD COLUMN "anthropicUserId" TEXT;
CREATE UNIQUE INDEX "Member_orgId_anthropicUserId_key" ON "Member"("orgId", "anthropicUserId");

-- A request that is an Anthropic spend limit increase request: its id there, the period
-- the member was blocked on, its spend summary, and (once approved) the period of the limit written.
ALTER TABLE "ExtraUsageRequest" ADD COLUMN "anthropicRequestId" TEXT;
ALTER TABLE "ExtraUsageRequest" ADD COLUMN "limitPeriod" TEXT;
ALTER TABLE "ExtraUsageRequest" ADD COLUMN "decisionPeriod" TEXT;
-- What the decider weighs, from the request's spend_summary when it was found:
-- {"limit": USD or null, "spent": USD, "source": scope type or null, "currency"}.
ALTER TABLE "ExtraUsageRequest" ADD COLUMN "anthropicSummary" JSONB;
CREATE UNIQUE INDEX "ExtraUsageRequest_orgId_anthropicRequestId_key" ON "ExtraUsageRequest"("orgId", "anthropicRequestId");

ALTER TYPE "RequestDecision" ADD VALUE 'increase_limit';

-- Each mirrored member's effective spend limit per period, from the effective-limits
-- report (polled every ANTHROPIC_LIMITS_POLL_SECONDS): the limit (null = none for the
-- period), the period-to-date spend (exact nano-dollars from minor units) and the scope
-- it comes from (user, seat_tier, rbac_group, organization …; sourceRef names the tier or group).
-- "window" counts the member's periods seen (spend went down: a new one began) and
-- "alertedPercent" is the highest owners' threshold already told for it, so each
-- threshold is told once per member and period.
ALTER TABLE "AnthropicConnection" ADD COLUMN "limitsSyncedAt" TIMESTAMP(3);
CREATE TABLE "AnthropicEffectiveLimit" (
    "orgId" TEXT NOT NULL,
    "memberId" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "amountNanos" BIGINT,
    "spentNanos" BIGINT NOT NULL,
    "sourceType" TEXT NOT NULL,
    "sourceRef" TEXT,
    "currency" TEXT NOT NULL,
    "fetchedAt" TIMESTAMP(3) NOT NULL,
    "window" INTEGER NOT NULL DEFAULT 0,
    "alertedPercent" INTEGER,

    CONSTRAINT "AnthropicEffectiveLimit_pkey" PRIMARY KEY ("memberId", "period")
);
CREATE INDEX "AnthropicEffectiveLimit_orgId_idx" ON "AnthropicEffectiveLimit"("orgId");
ALTER TABLE "AnthropicEffectiveLimit" ADD CONSTRAINT "AnthropicEffectiveLimit_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "AnthropicEffectiveLimit" ADD CONSTRAINT "AnthropicEffectiveLimit_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "Member"("id") ON DELETE CASCADE ON UPDATE CASCADE;
