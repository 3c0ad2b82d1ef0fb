-- What the client said a request cost (Claude Code's cost_usd), kept beside ours:
-- compared, never billed. A difference beyond rounding flags the event
-- cost_differs_from_client (e.g. 1-hour cache writes that telemetry cannot tell apart).
ALTER TABLE "UsageEvent" ADD COLUMN "clientCostNanos" BIGINT;

-- The events so flagged, listed for the operator and counted in the Spend report
-- without scanning every event: one row per flagged event (rare), as UnpricedUsage.
CREATE TABLE "ClientCostDifference" (
    "usageEventId" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "memberId" TEXT NOT NULL,
    "requestId" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "occurredAt" TIMESTAMP(3) NOT NULL,
    "costNanos" BIGINT NOT NULL,
    "clientCostNanos" BIGINT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ClientCostDifference_pkey" PRIMARY KEY ("usageEventId")
);

CREATE INDEX "ClientCostDifference_orgId_period_idx" ON "ClientCostDifference"("orgId", "period");
CREATE INDEX "ClientCostDifference_occurredAt_idx" ON "ClientCostDifference"("occurredAt");

ALTER TABLE "ClientCostDifference" ADD CONSTRAINT "ClientCostDifference_usageEventId_fkey" FOREIGN KEY ("usageEventId") REFERENCES "UsageEvent"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "ClientCostDifference" ADD CONSTRAINT "ClientCostDifference_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;
