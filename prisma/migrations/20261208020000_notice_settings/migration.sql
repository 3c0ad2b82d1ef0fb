-- Owners' notice choices (GET/PUT /v1/settings/notices): whether they are told when a
-- member reaches their cap, and at which percentages of the org cap and of a seat
-- tier's cap. The thresholds are read by the record path, so they join the settings
-- the org's cache-version trigger watches (migration 20261207020000).
ALTER TABLE "Organization" ADD COLUMN "noticeMemberCapReached" BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE "Organization" ADD COLUMN "noticeOrgCapPercents" INTEGER[] DEFAULT ARRAY[50, 80, 100]::INTEGER[];
ALTER TABLE "Organization" ADD COLUMN "noticeTierCapPercents" INTEGER[] DEFAULT ARRAY[50, 80, 100]::INTEGER[];

DROP TRIGGER "Organization_cache_version" ON "Organization";
CREATE TRIGGER "Organization_cache_version" AFTER UPDATE OF
    "slug", "name", "plan", "timezone", "oidcIssuer", "oidcAudience",
    "extraUsageEnabled", "extraUsageScope", "orgMonthlyCapNanos", "standardTierCapNanos", "premiumTierCapNanos",
    "enforcementMode", "autoReloadEnabled", "autoReloadThresholdNanos", "autoReloadAmountNanos", "autoReloadMonthlyLimit",
    "balanceWarningNanos", "digestHourLocal", "slackAlertChannelId", "teamsTenantId", "lastAppliedDocument", "unknownModelFallback",
    "noticeMemberCapReached", "noticeOrgCapPercents", "noticeTierCapPercents"
    ON "Organization" FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_version('org');
