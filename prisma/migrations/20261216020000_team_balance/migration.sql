-- Team balance (docs/payments.md):
-- 1. The monthly reload limit is an amount of money ("at most $300 of reloads a month"),
--    no longer a count. Existing counts keep their meaning: N reloads of the stored
--    reload amount become N x amount. A count without a stored amount (auto-reload never
--    set up, so it could not reload) cannot be turned into money and becomes no limit.
--    The count column stays (always NULL from here on) so the triggers and caches that
--    name it keep working; nothing reads it.
-- 2. Turning extra usage on with nothing to spend tells owners once: the balance watch
--    also looks at the org's switch, and its "balance exhausted" notice (once per
--    episode, re-armed when money comes in) says extra usage was just turned on.
ALTER TABLE "Organization" ADD COLUMN "autoReloadMonthlyMaxNanos" BIGINT;

-- Before any trigger watches the new column, so the backfill wakes nothing.
UPDATE "Organization" SET "autoReloadMonthlyMaxNanos" = "autoReloadMonthlyLimit"::BIGINT * "autoReloadAmountNanos"
WHERE "autoReloadMonthlyLimit" IS NOT NULL AND "autoReloadAmountNanos" IS NOT NULL;

CREATE OR REPLACE FUNCTION organization_balance_watch() RETURNS trigger AS $$
DECLARE
    available BIGINT := NEW."balanceNanos" - NEW."heldBalanceNanos";
    reloading BOOLEAN := NEW."autoReloadEnabled" AND NEW."autoReloadThresholdNanos" IS NOT NULL
        AND COALESCE(NEW."autoReloadAmountNanos", 0) > 0;
    money_in BOOLEAN := NEW."balanceNanos" > OLD."balanceNanos";
    settings_changed BOOLEAN := (NEW."autoReloadEnabled", NEW."autoReloadThresholdNanos", NEW."autoReloadAmountNanos", NEW."autoReloadMonthlyMaxNanos")
        IS DISTINCT FROM (OLD."autoReloadEnabled", OLD."autoReloadThresholdNanos", OLD."autoReloadAmountNanos", OLD."autoReloadMonthlyMaxNanos");
    turned_on BOOLEAN := NEW."extraUsageEnabled" AND NOT OLD."extraUsageEnabled";
BEGIN
    -- Turning extra usage off is no news about the balance.
    IF OLD."extraUsageEnabled" AND NOT NEW."extraUsageEnabled" THEN
        RETURN NEW;
    END IF;

    IF reloading AND available <= NEW."autoReloadThresholdNanos" THEN
        -- A credit or a settings change while an episode is open is news for its
        -- workflow too (a raised monthly limit, a purchase that still leaves it low).
        IF NEW."autoReloadWantedAt" IS NULL OR money_in OR settings_changed THEN
            NEW."autoReloadWantedAt" := COALESCE(NEW."autoReloadWantedAt", (now() AT TIME ZONE 'UTC'));
            INSERT INTO "OutboxEvent" ("orgId", "type", "payload") VALUES (NEW."id", 'auto_reload_wanted',
                jsonb_build_object('balanceNanos', available::text, 'thresholdNanos', NEW."autoReloadThresholdNanos"::text));
        END IF;
    END IF;

    -- Re-arm the owners' notices.
    IF NEW."balanceWarnedAt" IS NOT NULL AND (NEW."balanceWarningNanos" IS NULL
        OR NEW."balanceWarningNanos" IS DISTINCT FROM OLD."balanceWarningNanos"
        OR (money_in AND available >= NEW."balanceWarningNanos")) THEN
        NEW."balanceWarnedAt" := NULL;
    END IF;
    IF NEW."balanceExhaustedAt" IS NOT NULL AND money_in AND available > 0 THEN
        NEW."balanceExhaustedAt" := NULL;
    END IF;

    -- With nothing reloading, tell owners once per episode.
    IF NOT reloading THEN
        IF NEW."balanceExhaustedAt" IS NULL AND available <= 0 THEN
            NEW."balanceExhaustedAt" := (now() AT TIME ZONE 'UTC');
            -- Exhausted says it all: no separate warning for the same fall.
            IF NEW."balanceWarningNanos" IS NOT NULL AND NEW."balanceWarnedAt" IS NULL THEN
                NEW."balanceWarnedAt" := (now() AT TIME ZONE 'UTC');
            END IF;
            INSERT INTO "OutboxEvent" ("orgId", "type", "payload") VALUES (NEW."id", 'balance_exhausted',
                jsonb_build_object('balanceNanos', available::text)
                || CASE WHEN turned_on THEN jsonb_build_object('extraUsageTurnedOn', true) ELSE '{}'::jsonb END);
        ELSIF NEW."balanceWarningNanos" IS NOT NULL AND NEW."balanceWarnedAt" IS NULL AND available < NEW."balanceWarningNanos" THEN
            NEW."balanceWarnedAt" := (now() AT TIME ZONE 'UTC');
            INSERT INTO "OutboxEvent" ("orgId", "type", "payload") VALUES (NEW."id", 'balance_warning',
                jsonb_build_object('balanceNanos', available::text, 'levelNanos', NEW."balanceWarningNanos"::text));
        END IF;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER "Organization_balance_watch" ON "Organization";
CREATE TRIGGER "Organization_balance_watch" BEFORE UPDATE OF "balanceNanos", "heldBalanceNanos",
    "autoReloadEnabled", "autoReloadThresholdNanos", "autoReloadAmountNanos", "autoReloadMonthlyLimit", "autoReloadMonthlyMaxNanos",
    "balanceWarningNanos", "plan", "extraUsageEnabled"
    ON "Organization" FOR EACH ROW WHEN (NEW."plan" = 'team') EXECUTE FUNCTION organization_balance_watch();

DROP TRIGGER "Organization_cache_version" ON "Organization";
CREATE TRIGGER "Organization_cache_version" AFTER UPDATE OF
    "slug", "name", "plan", "timezone", "oidcIssuer", "oidcAudience",
    "extraUsageEnabled", "extraUsageScope", "orgMonthlyCapNanos", "standardTierCapNanos", "premiumTierCapNanos",
    "enforcementMode", "autoReloadEnabled", "autoReloadThresholdNanos", "autoReloadAmountNanos", "autoReloadMonthlyLimit",
    "autoReloadMonthlyMaxNanos",
    "balanceWarningNanos", "digestHourLocal", "slackAlertChannelId", "teamsTenantId", "unknownModelFallback",
    "noticeMemberCapReached", "noticeOrgCapPercents", "noticeTierCapPercents"
    ON "Organization" FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_version('org');
