-- Claude Code telemetry that names nobody (no user.email or user.account_uuid, as with
-- an API-key sign-in) is kept, never lost: one row per api_request event, with what a
-- record needs, until someone says whose Claude Code it is. Its user.id (a hash of
-- the device) is then mapped to a member in "ClaudeCodeUser", the kept events are
-- recorded as theirs (each once: the record path is idempotent on requestId), and
-- later events from that user.id are theirs at once.
CREATE TABLE "UnattributedUsage" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "requestId" TEXT NOT NULL,
    "sessionId" TEXT,
    "clientUserId" TEXT,
    "model" TEXT NOT NULL,
    "usage" JSONB NOT NULL,
    "occurredAt" TIMESTAMP(3) NOT NULL,
    "clientCostNanos" BIGINT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "attributedAt" TIMESTAMP(3),
    "memberId" TEXT,

    CONSTRAINT "UnattributedUsage_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "UnattributedUsage_orgId_requestId_key" ON "UnattributedUsage"("orgId", "requestId");
CREATE INDEX "UnattributedUsage_orgId_clientUserId_attributedAt_idx" ON "UnattributedUsage"("orgId", "clientUserId", "attributedAt");

ALTER TABLE "UnattributedUsage" ADD CONSTRAINT "UnattributedUsage_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Whose Claude Code a user.id is, per org: claimed by the member, or mapped by an owner or operator.
CREATE TABLE "ClaudeCodeUser" (
    "orgId" TEXT NOT NULL,
    "clientUserId" TEXT NOT NULL,
    "memberId" TEXT NOT NULL,
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ClaudeCodeUser_pkey" PRIMARY KEY ("orgId","clientUserId")
);

ALTER TABLE "ClaudeCodeUser" ADD CONSTRAINT "ClaudeCodeUser_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "ClaudeCodeUser" ADD CONSTRAINT "ClaudeCodeUser_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "Member"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
