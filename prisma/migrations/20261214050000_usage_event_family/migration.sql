-- Whether a back-dated price would change a price already charged is asked of a
-- family's usage since a date (prices.ts backDatingRefusal), at every start for each
-- model the pinned map adds: an index, not a scan of every usage event.
CREATE INDEX "UsageEvent_family_occurredAt_idx" ON "UsageEvent"("family", "occurredAt");
