-- Team balance watch (docs/workflows.md, "Auto-reload"). Level-triggered: whatever
-- changes the balance, its holds or the auto-reload / warning settings (a record, a
-- hold, a purchase, a reload, a settings change), this row trigger looks at the balance
-- less holds in the same transaction and, once per episode, writes an outbox event:
--   auto_reload_wanted  auto-reload on and the balance at or below its threshold; the
--                       per-org reload workflow clears "autoReloadWantedAt" when it is
--                       done, so one episode is in flight at a time
--   balance_warning     auto-reload off and the balance below the owners' warning level
--   balance_exhausted   auto-reload off and nothing left (balance less holds <= 0, the
--                       point at which authorize answers balance_exhausted)
-- A warning is re-armed when money comes in (a credit) and the balance is back above
-- its level, or the level is changed; holds coming and going never re-arm it.
ALTER TABLE "Organization" ADD COLUMN "balanceWarningNanos" BIGINT,
ADD COLUMN "balanceWarnedAt" TIMESTAMP(3),
ADD COLUMN "balanceExhaustedAt" TIMESTAMP(3),
ADD COLUMN "autoReloadWantedAt" TIMESTAMP(3);

CREATE FUNCTION organization_balance_watch() RETURNS trigger AS $$
DECLARE
    available BIGINT := NEW."balanceNanos" - NEW."heldBalanceNanos";
    reloading BOOLEAN := NEW."autoReloadEnabled" AND NEW."autoReloadThresholdNanos" IS NOT NULL
        AND COALESCE(NEW."autoReloadAmountNanos", 0) > 0;
    money_in BOOLEAN := NEW."balanceNanos" > OLD."balanceNanos";
    settings_changed BOOLEAN := (NEW."autoReloadEnabled", NEW."autoReloadThresholdNanos", NEW."autoReloadAmountNanos", NEW."autoReloadMonthlyLimit")
        IS DISTINCT FROM (OLD."autoReloadEnabled", OLD."autoReloadThresholdNanos", OLD."autoReloadAmountNanos", OLD."autoReloadMonthlyLimit");
BEGIN
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
                jsonb_build_object('balanceNanos', available::text));
        ELSIF NEW."balanceWarningNanos" IS NOT NULL AND NEW."balanceWarnedAt" IS NULL AND available < NEW."balanceWarningNanos" THEN
            NEW."balanceWarnedAt" := (now() AT TIME ZONE 'UTC');
            INSERT INTO "OutboxEvent" ("orgId", "type", "payload") VALUES (NEW."id", 'balance_warning',
                jsonb_build_object('balanceNanos', available::text, 'levelNanos', NEW."balanceWarningNanos"::text));
        END IF;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

-- Only the columns that can change the answer; the markers themselves are not among
-- them, so the workflow clearing its marker does not re-fire by itself.
CREATE TRIGGER "Organization_balance_watch" BEFORE UPDATE OF "balanceNanos", "heldBalanceNanos",
    "autoReloadEnabled", "autoReloadThresholdNanos", "autoReloadAmountNanos", "autoReloadMonthlyLimit", "balanceWarningNanos", "plan"
    ON "Organization" FOR EACH ROW WHEN (NEW."plan" = 'team') EXECUTE FUNCTION organization_balance_watch();
