-- A notice channel (slack, teams, email) that keeps failing for an org: the current run
-- of failed attempts, and when operators and the org's audit log were told (once per
-- run). The row goes when the channel delivers again.
CREATE TABLE "NoticeChannelHealth" (
    "orgId" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "failures" INTEGER NOT NULL DEFAULT 1,
    "failingSince" TIMESTAMP(3) NOT NULL,
    "lastFailedAt" TIMESTAMP(3) NOT NULL,
    "lastError" TEXT NOT NULL,
    "reportedAt" TIMESTAMP(3),

    CONSTRAINT "NoticeChannelHealth_pkey" PRIMARY KEY ("orgId","channel")
);

ALTER TABLE "NoticeChannelHealth" ADD CONSTRAINT "NoticeChannelHealth_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;
