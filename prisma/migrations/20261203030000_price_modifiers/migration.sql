-- The whole usage object priced from price-book data: per-request fees (server tool
-- use) and multipliers (service tier, inference geography, speed), each a row with an
-- effective date, for one model family or for every one ('*'). Immutable like prices.
CREATE TABLE "PriceModifier" (
    "id" TEXT NOT NULL,
    "family" TEXT NOT NULL,
    "dimension" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "effectiveFrom" TIMESTAMP(3) NOT NULL,
    "nanosPerRequest" BIGINT,
    "multiplierMillionths" BIGINT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PriceModifier_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "PriceModifier_family_dimension_value_effectiveFrom_key" ON "PriceModifier"("family", "dimension", "value", "effectiveFrom");

CREATE FUNCTION price_modifier_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'PriceModifier rows are immutable; add a row with a later effectiveFrom';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER "PriceModifier_immutable" BEFORE UPDATE OR DELETE ON "PriceModifier"
    FOR EACH ROW EXECUTE FUNCTION price_modifier_immutable();

-- Published API rates: web search $10 per 1,000 searches (10,000,000 nano-dollars
-- each); web fetch no charge beyond its tokens; the Batch API half price on every
-- token; US-only inference 1.1x (the models that accept inference_geo); standard tier,
-- global inference and standard speed as they are. Priority tier and fast mode have
-- no row: such usage is kept unpriced until an operator adds one.
INSERT INTO "PriceModifier" ("id", "family", "dimension", "value", "effectiveFrom", "nanosPerRequest", "multiplierMillionths") VALUES
    ('seed-web-search', '*', 'web_search_requests', '', '2025-01-01 00:00:00', 10000000, NULL),
    ('seed-web-fetch', '*', 'web_fetch_requests', '', '2025-01-01 00:00:00', 0, NULL),
    ('seed-tier-standard', '*', 'service_tier', 'standard', '2025-01-01 00:00:00', NULL, 1000000),
    ('seed-tier-batch', '*', 'service_tier', 'batch', '2025-01-01 00:00:00', NULL, 500000),
    ('seed-geo-global', '*', 'inference_geo', 'global', '2025-01-01 00:00:00', NULL, 1000000),
    ('seed-geo-us', '*', 'inference_geo', 'us', '2025-01-01 00:00:00', NULL, 1100000),
    ('seed-speed-standard', '*', 'speed', 'standard', '2025-01-01 00:00:00', NULL, 1000000)
ON CONFLICT DO NOTHING;

-- What a usage object said beyond tokens, kept so it can be priced (again, late).
ALTER TABLE "UsageEvent" ADD COLUMN "webSearchRequests" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "webFetchRequests" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "serviceTier" TEXT,
ADD COLUMN "inferenceGeo" TEXT,
ADD COLUMN "speed" TEXT,
ADD COLUMN "priceModifierIds" JSONB;
