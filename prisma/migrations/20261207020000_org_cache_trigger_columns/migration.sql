-- The org's cache-version trigger named by column instead of comparing whole rows:
-- comparing to_jsonb(OLD) with to_jsonb(NEW) on every update of the hot Organization
-- row (each record batch of a Team org moves its balance) cost more than the update
-- itself, inside the row's lock. A trigger on a column list costs the hot path
-- nothing: it fires only for statements that set one of these columns (the settings
-- the org snapshot carries), never for the balance counters and the balance watch's
-- episode marks. test/scale/cache-sync.test.ts fails when a column of Organization is
-- in neither list, so a new setting cannot be forgotten here.
DROP TRIGGER "Organization_cache_version" ON "Organization";
DROP FUNCTION organization_settings_of(jsonb);

CREATE TRIGGER "Organization_cache_version" AFTER UPDATE OF
    "slug", "name", "plan", "timezone", "oidcIssuer", "oidcAudience",
    "extraUsageEnabled", "extraUsageScope", "orgMonthlyCapNanos", "standardTierCapNanos", "premiumTierCapNanos",
    "enforcementMode", "autoReloadEnabled", "autoReloadThresholdNanos", "autoReloadAmountNanos", "autoReloadMonthlyLimit",
    "balanceWarningNanos", "digestHourLocal", "slackAlertChannelId", "teamsTenantId", "lastAppliedDocument", "unknownModelFallback"
    ON "Organization" FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_version('org');
