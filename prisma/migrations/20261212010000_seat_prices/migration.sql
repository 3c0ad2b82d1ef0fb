-- The operator's monthly price of one seat per tier, for the console's seat advice.
-- Its own table (not Organization columns): nothing on the hot path reads it.
CREATE TABLE "SeatPrice" (
    "orgId" TEXT NOT NULL,
    "tier" "SeatTier" NOT NULL,
    "priceNanos" BIGINT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SeatPrice_pkey" PRIMARY KEY ("orgId","tier")
);

ALTER TABLE "SeatPrice" ADD CONSTRAINT "SeatPrice_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;
