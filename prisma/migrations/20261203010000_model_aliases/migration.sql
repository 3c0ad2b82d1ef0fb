-- Model ids as the Messages API sends them. The price book prices model families
-- ("claude-sonnet-4-5"); a dated snapshot ("claude-sonnet-4-5-20250929") or an alias
-- ("claude-sonnet-4-5-latest") names its family here. A name that is no alias is
-- its own family. Rows are never changed (the operator API only adds them).
CREATE TABLE "ModelAlias" (
    "alias" TEXT NOT NULL,
    "family" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ModelAlias_pkey" PRIMARY KEY ("alias")
);

CREATE INDEX "ModelAlias_family_idx" ON "ModelAlias"("family");

-- The dated ids and -latest aliases of the seeded families.
INSERT INTO "ModelAlias" ("alias", "family") VALUES
    ('claude-opus-4-5-20251101', 'claude-opus-4-5'),
    ('claude-opus-4-5-latest', 'claude-opus-4-5'),
    ('claude-opus-4-1-20250805', 'claude-opus-4-1'),
    ('claude-opus-4-1-latest', 'claude-opus-4-1'),
    ('claude-sonnet-4-5-20250929', 'claude-sonnet-4-5'),
    ('claude-sonnet-4-5-latest', 'claude-sonnet-4-5'),
    ('claude-haiku-4-5-20251001', 'claude-haiku-4-5'),
    ('claude-haiku-4-5-latest', 'claude-haiku-4-5'),
    ('claude-3-5-haiku-20241022', 'claude-haiku-3-5'),
    ('claude-3-5-haiku-latest', 'claude-haiku-3-5')
ON CONFLICT DO NOTHING;

-- A usage event keeps the model id as the gateway sent it and the family it was
-- priced as (until now every recorded model was a family).
ALTER TABLE "UsageEvent" ADD COLUMN "family" TEXT;
UPDATE "UsageEvent" SET "family" = "model";
ALTER TABLE "UsageEvent" ALTER COLUMN "family" SET NOT NULL;
