-- The org document as the operator last applied it moves off the Organization row:
-- for an org of thousands of members it is hundreds of kilobytes, and every page,
-- authorize and chat action that loads the org read it for nothing. Only
-- provisioning (the three-way merge) reads it.
CREATE TABLE "OrgDocument" (
    "orgId" TEXT NOT NULL,
    "document" JSONB NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OrgDocument_pkey" PRIMARY KEY ("orgId")
);

ALTER TABLE "OrgDocument" ADD CONSTRAINT "OrgDocument_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

INSERT INTO "OrgDocument" ("orgId", "document")
SELECT "id", "lastAppliedDocument" FROM "Organization" WHERE "lastAppliedDocument" IS NOT NULL;

-- The org's cache-version trigger (migration 20261208020000) watched the column; it
-- watches the same settings without it (nothing caches the document).
DROP TRIGGER "Organization_cache_version" ON "Organization";
ALTER TABLE "Organization" DROP COLUMN "lastAppliedDocument";
CREATE TRIGGER "Organization_cache_version" AFTER UPDATE OF
    "slug", "name", "plan", "timezone", "oidcIssuer", "oidcAudience",
    "extraUsageEnabled", "extraUsageScope", "orgMonthlyCapNanos", "standardTierCapNanos", "premiumTierCapNanos",
    "enforcementMode", "autoReloadEnabled", "autoReloadThresholdNanos", "autoReloadAmountNanos", "autoReloadMonthlyLimit",
    "balanceWarningNanos", "digestHourLocal", "slackAlertChannelId", "teamsTenantId", "unknownModelFallback",
    "noticeMemberCapReached", "noticeOrgCapPercents", "noticeTierCapPercents"
    ON "Organization" FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_version('org');
