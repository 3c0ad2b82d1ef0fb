-- Cross-process cache invalidation. Each process keeps short-lived copies of rarely
-- changed rows (API keys, org settings, the price book) and polls this small table
-- every CACHE_SYNC_MS: a kind whose version moved is dropped from its copies. The
-- versions are bumped by triggers in the same transaction as the change, so every
-- writer (the API, chat apps, psql) is covered and a poll never sees a change before
-- it commits. A plain SELECT: fine behind a transaction-mode pooler.
CREATE TABLE "CacheVersion" (
    "kind" TEXT NOT NULL,
    "version" BIGINT NOT NULL DEFAULT 0,
    "changedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CacheVersion_pkey" PRIMARY KEY ("kind")
);

INSERT INTO "CacheVersion" ("kind") VALUES ('api_key'), ('org'), ('price');

CREATE FUNCTION bump_cache_version() RETURNS trigger AS $$
BEGIN
    UPDATE "CacheVersion" SET "version" = "version" + 1, "changedAt" = CURRENT_TIMESTAMP WHERE "kind" = TG_ARGV[0];
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

-- A key revoked (or deleted with its org): every process stops accepting it.
CREATE TRIGGER "ApiKey_cache_version" AFTER UPDATE OR DELETE ON "ApiKey"
    FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_version('api_key');

-- Org settings and seat tiers (the org snapshot). The hot path's balance updates
-- change only the balance counters and the balance watch's episode marks
-- (20261205010000_balance_watch), and leave the copies alone; any other column that
-- changes, including ones added later, drops them.
CREATE FUNCTION organization_settings_of(o jsonb) RETURNS jsonb AS $$
    SELECT o - 'balanceNanos' - 'heldBalanceNanos' - 'updatedAt' - 'balanceWarnedAt' - 'balanceExhaustedAt' - 'autoReloadWantedAt';
$$ LANGUAGE sql IMMUTABLE;
CREATE TRIGGER "Organization_cache_version" AFTER UPDATE ON "Organization"
    FOR EACH ROW
    WHEN (organization_settings_of(to_jsonb(OLD)) IS DISTINCT FROM organization_settings_of(to_jsonb(NEW)))
    EXECUTE FUNCTION bump_cache_version('org');
CREATE TRIGGER "Organization_deleted_cache_version" AFTER DELETE ON "Organization"
    FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_version('org');
CREATE TRIGGER "SeatTierConfig_cache_version" AFTER INSERT OR UPDATE OR DELETE ON "SeatTierConfig"
    FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_version('org');

-- The price book (rows, fees and multipliers, model aliases). Its rows take effect at
-- least a minute after they are added, so no copy ever misses a price in force; the
-- version only makes new rows reach every process sooner.
CREATE TRIGGER "PriceEntry_cache_version" AFTER INSERT OR UPDATE OR DELETE ON "PriceEntry"
    FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_version('price');
CREATE TRIGGER "PriceModifier_cache_version" AFTER INSERT ON "PriceModifier"
    FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_version('price');
CREATE TRIGGER "ModelAlias_cache_version" AFTER INSERT OR UPDATE OR DELETE ON "ModelAlias"
    FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_version('price');
