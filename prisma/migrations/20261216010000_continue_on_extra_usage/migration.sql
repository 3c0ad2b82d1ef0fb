-- "Continue on extra usage when my seat's included usage runs out": the member's own
-- choice (null: the org's default), and the default the org's owners choose. On by
-- default, as before this choice existed: members with extra usage carry on.
ALTER TABLE "Organization" ADD COLUMN "continueOnExtraUsageDefault" BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE "Member" ADD COLUMN "continueOnExtraUsage" BOOLEAN;
