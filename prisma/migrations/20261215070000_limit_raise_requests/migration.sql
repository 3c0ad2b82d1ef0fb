-- "Ask to raise my limit": a request of the same workflow and queue, for a higher cap.
-- raiseScope: which cap stopped the member (member, tier, org); null for other requests.
ALTER TABLE "ExtraUsageRequest" ADD COLUMN "raiseScope" TEXT;
-- The cap when asked, and the new limit asked for (the suggestion unless the member named one).
ALTER TABLE "ExtraUsageRequest" ADD COLUMN "raiseFromNanos" BIGINT;
ALTER TABLE "ExtraUsageRequest" ADD COLUMN "raiseToNanos" BIGINT;
