-- Two settings other processes must see at once (their cached org would otherwise keep the
-- old value): the owners' default for continuing on extra usage (authorize reads it) and
-- the gateway's failure policy.
DROP TRIGGER "Organization_cache_version" ON "Organization";
CREATE TRIGGER "Organization_cache_version" AFTER UPDATE OF
    "slug", "name", "plan", "timezone", "oidcIssuer", "oidcAudience",
    "extraUsageEnabled", "extraUsageScope", "orgMonthlyCapNanos", "standardTierCapNanos", "premiumTierCapNanos",
    "enforcementMode", "autoReloadEnabled", "autoReloadThresholdNanos", "autoReloadAmountNanos", "autoReloadMonthlyLimit",
    "autoReloadMonthlyMaxNanos",
    "balanceWarningNanos", "digestHourLocal", "slackAlertChannelId", "teamsTenantId", "unknownModelFallback",
    "noticeMemberCapReached", "noticeOrgCapPercents", "noticeTierCapPercents",
    "continueOnExtraUsageDefault", "gatewayFailOpen"
    ON "Organization" FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_version('org');
