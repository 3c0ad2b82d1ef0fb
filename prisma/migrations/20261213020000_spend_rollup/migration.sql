-- The Spend report's rollup: a month's priced usage (costNanos IS NOT NULL) summed per
-- key, so the report reads a few thousand rows instead of every event of the month.
-- Statement-level triggers on "UsageEvent" keep it, in the same transaction as the
-- change, so every writer is covered: the group-commit batch insert, the single
-- record, late pricing (an UPDATE that sets costNanos, and may change family), an
-- invoice claiming its events (an UPDATE that changes nothing summed here: skipped),
-- a delete (an org's cascade), psql.
--
-- "SpendRollup": per (org, month, UTC 15-minute bucket, family, product) for the
-- per-day, per-model and per-product views. Every timezone offset in use today is a
-- whole multiple of 15 minutes (Asia/Kolkata +05:30, Asia/Kathmandu +05:45,
-- Australia/Eucla +08:45, ...), so each 15-minute UTC bucket lies inside one local
-- day of any timezone, and the local days are exact sums of buckets whatever the
-- org's timezone (and if it changes). product '' is an event with no product (the
-- pattern of a product name never allows '').
--
-- "MemberSpendRollup": per (org, month, member) for the top members.
--
-- Locks: the upserts take their rows' locks in key order (ORDER BY the key), so two
-- transactions cannot deadlock on them. The record paths already serialise one org's
-- priced records on its "MonthlySpend" org row (taken before the event is written), so
-- in practice the rollup rows of an org are only ever waited for behind that lock.
CREATE TABLE "SpendRollup" (
    "orgId" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "bucket" TIMESTAMP(3) NOT NULL,
    "family" TEXT NOT NULL,
    "product" TEXT NOT NULL,
    "costNanos" BIGINT NOT NULL DEFAULT 0,
    "includedNanos" BIGINT NOT NULL DEFAULT 0,
    "extraNanos" BIGINT NOT NULL DEFAULT 0,
    "events" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "SpendRollup_pkey" PRIMARY KEY ("orgId", "period", "bucket", "family", "product")
);

CREATE TABLE "MemberSpendRollup" (
    "orgId" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "memberId" TEXT NOT NULL,
    "costNanos" BIGINT NOT NULL DEFAULT 0,
    "includedNanos" BIGINT NOT NULL DEFAULT 0,
    "extraNanos" BIGINT NOT NULL DEFAULT 0,
    "events" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "MemberSpendRollup_pkey" PRIMARY KEY ("orgId", "period", "memberId")
);

ALTER TABLE "SpendRollup" ADD CONSTRAINT "SpendRollup_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "MemberSpendRollup" ADD CONSTRAINT "MemberSpendRollup_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Priced events written: added.
CREATE FUNCTION spend_rollup_inserted() RETURNS trigger AS $$
BEGIN
    INSERT INTO "SpendRollup" AS r ("orgId", "period", "bucket", "family", "product", "costNanos", "includedNanos", "extraNanos", "events")
        SELECT d."orgId", d."period", date_bin('15 minutes', d."occurredAt", TIMESTAMP '2000-01-01') AS "bucket", d."family", COALESCE(d."product", '') AS "product",
            SUM(d."sign" * d."costNanos"), SUM(d."sign" * d."includedNanos"), SUM(d."sign" * d."extraNanos"), SUM(d."sign")
        FROM (SELECT "orgId", "period", "occurredAt", "family", "product", "memberId", "costNanos", "includedNanos", "extraNanos", 1 AS "sign" FROM new_events WHERE "costNanos" IS NOT NULL) d
        GROUP BY 1, 2, 3, 4, 5
        ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT ("orgId", "period", "bucket", "family", "product") DO UPDATE SET
            "costNanos" = r."costNanos" + EXCLUDED."costNanos",
            "includedNanos" = r."includedNanos" + EXCLUDED."includedNanos",
            "extraNanos" = r."extraNanos" + EXCLUDED."extraNanos",
            "events" = r."events" + EXCLUDED."events";
    INSERT INTO "MemberSpendRollup" AS r ("orgId", "period", "memberId", "costNanos", "includedNanos", "extraNanos", "events")
        SELECT d."orgId", d."period", d."memberId",
            SUM(d."sign" * d."costNanos"), SUM(d."sign" * d."includedNanos"), SUM(d."sign" * d."extraNanos"), SUM(d."sign")
        FROM (SELECT "orgId", "period", "occurredAt", "family", "product", "memberId", "costNanos", "includedNanos", "extraNanos", 1 AS "sign" FROM new_events WHERE "costNanos" IS NOT NULL) d
        GROUP BY 1, 2, 3
        ORDER BY 1, 2, 3
        ON CONFLICT ("orgId", "period", "memberId") DO UPDATE SET
            "costNanos" = r."costNanos" + EXCLUDED."costNanos",
            "includedNanos" = r."includedNanos" + EXCLUDED."includedNanos",
            "extraNanos" = r."extraNanos" + EXCLUDED."extraNanos",
            "events" = r."events" + EXCLUDED."events";
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

-- Events changed: only the rows whose summed columns or keys changed count (an invoice
-- claiming a month's events changes none of them and touches nothing here); each
-- such row's old self is taken away and its new self added (late pricing: from
-- unpriced, nothing, to priced, under its possibly new family).
CREATE FUNCTION spend_rollup_updated() RETURNS trigger AS $$
BEGIN
    INSERT INTO "SpendRollup" AS r ("orgId", "period", "bucket", "family", "product", "costNanos", "includedNanos", "extraNanos", "events")
        SELECT d."orgId", d."period", date_bin('15 minutes', d."occurredAt", TIMESTAMP '2000-01-01') AS "bucket", d."family", COALESCE(d."product", '') AS "product",
            SUM(d."sign" * d."costNanos"), SUM(d."sign" * d."includedNanos"), SUM(d."sign" * d."extraNanos"), SUM(d."sign")
        FROM (SELECT n."orgId", n."period", n."occurredAt", n."family", n."product", n."memberId", n."costNanos", n."includedNanos", n."extraNanos", 1 AS "sign" FROM old_events o JOIN new_events n ON n."id" = o."id" WHERE n."costNanos" IS NOT NULL AND (o."orgId", o."period", o."occurredAt", o."family", o."product", o."memberId", o."costNanos", o."includedNanos", o."extraNanos") IS DISTINCT FROM (n."orgId", n."period", n."occurredAt", n."family", n."product", n."memberId", n."costNanos", n."includedNanos", n."extraNanos")
              UNION ALL SELECT o."orgId", o."period", o."occurredAt", o."family", o."product", o."memberId", o."costNanos", o."includedNanos", o."extraNanos", -1 FROM old_events o JOIN new_events n ON n."id" = o."id" WHERE o."costNanos" IS NOT NULL AND (o."orgId", o."period", o."occurredAt", o."family", o."product", o."memberId", o."costNanos", o."includedNanos", o."extraNanos") IS DISTINCT FROM (n."orgId", n."period", n."occurredAt", n."family", n."product", n."memberId", n."costNanos", n."includedNanos", n."extraNanos")) d
        GROUP BY 1, 2, 3, 4, 5
        HAVING SUM(d."sign") <> 0 OR SUM(d."sign" * d."costNanos") <> 0 OR SUM(d."sign" * d."includedNanos") <> 0 OR SUM(d."sign" * d."extraNanos") <> 0
        ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT ("orgId", "period", "bucket", "family", "product") DO UPDATE SET
            "costNanos" = r."costNanos" + EXCLUDED."costNanos",
            "includedNanos" = r."includedNanos" + EXCLUDED."includedNanos",
            "extraNanos" = r."extraNanos" + EXCLUDED."extraNanos",
            "events" = r."events" + EXCLUDED."events";
    INSERT INTO "MemberSpendRollup" AS r ("orgId", "period", "memberId", "costNanos", "includedNanos", "extraNanos", "events")
        SELECT d."orgId", d."period", d."memberId",
            SUM(d."sign" * d."costNanos"), SUM(d."sign" * d."includedNanos"), SUM(d."sign" * d."extraNanos"), SUM(d."sign")
        FROM (SELECT n."orgId", n."period", n."occurredAt", n."family", n."product", n."memberId", n."costNanos", n."includedNanos", n."extraNanos", 1 AS "sign" FROM old_events o JOIN new_events n ON n."id" = o."id" WHERE n."costNanos" IS NOT NULL AND (o."orgId", o."period", o."occurredAt", o."family", o."product", o."memberId", o."costNanos", o."includedNanos", o."extraNanos") IS DISTINCT FROM (n."orgId", n."period", n."occurredAt", n."family", n."product", n."memberId", n."costNanos", n."includedNanos", n."extraNanos")
              UNION ALL SELECT o."orgId", o."period", o."occurredAt", o."family", o."product", o."memberId", o."costNanos", o."includedNanos", o."extraNanos", -1 FROM old_events o JOIN new_events n ON n."id" = o."id" WHERE o."costNanos" IS NOT NULL AND (o."orgId", o."period", o."occurredAt", o."family", o."product", o."memberId", o."costNanos", o."includedNanos", o."extraNanos") IS DISTINCT FROM (n."orgId", n."period", n."occurredAt", n."family", n."product", n."memberId", n."costNanos", n."includedNanos", n."extraNanos")) d
        GROUP BY 1, 2, 3
        HAVING SUM(d."sign") <> 0 OR SUM(d."sign" * d."costNanos") <> 0 OR SUM(d."sign" * d."includedNanos") <> 0 OR SUM(d."sign" * d."extraNanos") <> 0
        ORDER BY 1, 2, 3
        ON CONFLICT ("orgId", "period", "memberId") DO UPDATE SET
            "costNanos" = r."costNanos" + EXCLUDED."costNanos",
            "includedNanos" = r."includedNanos" + EXCLUDED."includedNanos",
            "extraNanos" = r."extraNanos" + EXCLUDED."extraNanos",
            "events" = r."events" + EXCLUDED."events";
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

-- Events deleted: taken away. An org being deleted (its events go by cascade) has
-- nothing left to take from: its rollup rows go with it, so its keys are skipped
-- rather than inserted again.
CREATE FUNCTION spend_rollup_deleted() RETURNS trigger AS $$
BEGIN
    INSERT INTO "SpendRollup" AS r ("orgId", "period", "bucket", "family", "product", "costNanos", "includedNanos", "extraNanos", "events")
        SELECT d."orgId", d."period", date_bin('15 minutes', d."occurredAt", TIMESTAMP '2000-01-01') AS "bucket", d."family", COALESCE(d."product", '') AS "product",
            SUM(d."sign" * d."costNanos"), SUM(d."sign" * d."includedNanos"), SUM(d."sign" * d."extraNanos"), SUM(d."sign")
        FROM (SELECT "orgId", "period", "occurredAt", "family", "product", "memberId", "costNanos", "includedNanos", "extraNanos", -1 AS "sign" FROM old_events WHERE "costNanos" IS NOT NULL) d
        WHERE EXISTS (SELECT 1 FROM "Organization" o WHERE o."id" = d."orgId")
        GROUP BY 1, 2, 3, 4, 5
        HAVING SUM(d."sign") <> 0 OR SUM(d."sign" * d."costNanos") <> 0 OR SUM(d."sign" * d."includedNanos") <> 0 OR SUM(d."sign" * d."extraNanos") <> 0
        ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT ("orgId", "period", "bucket", "family", "product") DO UPDATE SET
            "costNanos" = r."costNanos" + EXCLUDED."costNanos",
            "includedNanos" = r."includedNanos" + EXCLUDED."includedNanos",
            "extraNanos" = r."extraNanos" + EXCLUDED."extraNanos",
            "events" = r."events" + EXCLUDED."events";
    INSERT INTO "MemberSpendRollup" AS r ("orgId", "period", "memberId", "costNanos", "includedNanos", "extraNanos", "events")
        SELECT d."orgId", d."period", d."memberId",
            SUM(d."sign" * d."costNanos"), SUM(d."sign" * d."includedNanos"), SUM(d."sign" * d."extraNanos"), SUM(d."sign")
        FROM (SELECT "orgId", "period", "occurredAt", "family", "product", "memberId", "costNanos", "includedNanos", "extraNanos", -1 AS "sign" FROM old_events WHERE "costNanos" IS NOT NULL) d
        WHERE EXISTS (SELECT 1 FROM "Organization" o WHERE o."id" = d."orgId")
        GROUP BY 1, 2, 3
        HAVING SUM(d."sign") <> 0 OR SUM(d."sign" * d."costNanos") <> 0 OR SUM(d."sign" * d."includedNanos") <> 0 OR SUM(d."sign" * d."extraNanos") <> 0
        ORDER BY 1, 2, 3
        ON CONFLICT ("orgId", "period", "memberId") DO UPDATE SET
            "costNanos" = r."costNanos" + EXCLUDED."costNanos",
            "includedNanos" = r."includedNanos" + EXCLUDED."includedNanos",
            "extraNanos" = r."extraNanos" + EXCLUDED."extraNanos",
            "events" = r."events" + EXCLUDED."events";
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

-- The triggers first: creating them locks "UsageEvent" against writes until this
-- migration commits, so the backfill below sees every event written before, and every
-- event written after is added by the triggers: none twice, none missed.
CREATE TRIGGER "UsageEvent_spend_rollup_insert" AFTER INSERT ON "UsageEvent"
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION spend_rollup_inserted();
CREATE TRIGGER "UsageEvent_spend_rollup_update" AFTER UPDATE ON "UsageEvent"
    REFERENCING OLD TABLE AS old_events NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION spend_rollup_updated();
CREATE TRIGGER "UsageEvent_spend_rollup_delete" AFTER DELETE ON "UsageEvent"
    REFERENCING OLD TABLE AS old_events
    FOR EACH STATEMENT EXECUTE FUNCTION spend_rollup_deleted();

-- The backfill: every priced event so far.
INSERT INTO "SpendRollup" ("orgId", "period", "bucket", "family", "product", "costNanos", "includedNanos", "extraNanos", "events")
SELECT "orgId", "period", date_bin('15 minutes', "occurredAt", TIMESTAMP '2000-01-01'), "family", COALESCE("product", ''),
    SUM("costNanos"), SUM("includedNanos"), SUM("extraNanos"), COUNT(*)
FROM "UsageEvent" WHERE "costNanos" IS NOT NULL
GROUP BY 1, 2, 3, 4, 5;
INSERT INTO "MemberSpendRollup" ("orgId", "period", "memberId", "costNanos", "includedNanos", "extraNanos", "events")
SELECT "orgId", "period", "memberId", SUM("costNanos"), SUM("includedNanos"), SUM("extraNanos"), COUNT(*)
FROM "UsageEvent" WHERE "costNanos" IS NOT NULL
GROUP BY 1, 2, 3;
