-- People a chat app refused to open a chat with (Teams: the app not installed for them), kept
-- across restarts so /health and the owners keep knowing who misses cards and alerts, and why.
CREATE TABLE "ChatUnreachable" (
    "orgId" TEXT NOT NULL,
    "memberId" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "since" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ownersToldAt" TIMESTAMP(3),

    CONSTRAINT "ChatUnreachable_pkey" PRIMARY KEY ("orgId","memberId","channel")
);

CREATE INDEX "ChatUnreachable_memberId_idx" ON "ChatUnreachable"("memberId");

ALTER TABLE "ChatUnreachable" ADD CONSTRAINT "ChatUnreachable_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "ChatUnreachable" ADD CONSTRAINT "ChatUnreachable_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "Member"("id") ON DELETE CASCADE ON UPDATE CASCADE;
