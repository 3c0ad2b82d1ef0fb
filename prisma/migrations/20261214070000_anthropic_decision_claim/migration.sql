-- A decision on a request from Claude claims the one approve / deny in our database
-- (one statement, before Anthropic is called): an overlapping attempt (a timed-out
-- activity still running, a retry) finds the claim and only reads the request there.
ALTER TABLE "ExtraUsageRequest" ADD COLUMN "anthropicClaimedAt" TIMESTAMP(3);
ALTER TABLE "ExtraUsageRequest" ADD COLUMN "anthropicClaimDecision" TEXT;
ALTER TABLE "ExtraUsageRequest" ADD COLUMN "anthropicSentAt" TIMESTAMP(3);
