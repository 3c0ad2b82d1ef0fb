-- Every notice a person gets is also kept in their console inbox, so the console alone is
-- a complete channel. (memberId, noticeKey) is the natural key: a retried activity writes
-- the same key and adds nothing.
CREATE TABLE "InboxEntry" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "memberId" TEXT NOT NULL,
    "noticeKey" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "link" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "readAt" TIMESTAMP(3),

    CONSTRAINT "InboxEntry_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "InboxEntry_memberId_noticeKey_key" ON "InboxEntry"("memberId", "noticeKey");
CREATE INDEX "InboxEntry_memberId_readAt_idx" ON "InboxEntry"("memberId", "readAt");
CREATE INDEX "InboxEntry_orgId_idx" ON "InboxEntry"("orgId");

ALTER TABLE "InboxEntry" ADD CONSTRAINT "InboxEntry_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "InboxEntry" ADD CONSTRAINT "InboxEntry_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "Member"("id") ON DELETE CASCADE ON UPDATE CASCADE;
