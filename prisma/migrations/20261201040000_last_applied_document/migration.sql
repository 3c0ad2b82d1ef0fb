-- The org document as the operator last applied it: a re-sent document is merged
-- against it, so settings owners and approvals changed since are kept (docs/api.md).
ALTER TABLE "Organization" ADD COLUMN     "lastAppliedDocument" JSONB;
