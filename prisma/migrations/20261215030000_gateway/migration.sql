-- The built-in Claude gateway (docs/gateway.md).

-- An org's Anthropic API key for the gateway's upstream, sealed with SECRETS_KEY.
CREATE TABLE "GatewayUpstream" (
    "orgId" TEXT NOT NULL,
    "keyCiphertext" TEXT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "GatewayUpstream_pkey" PRIMARY KEY ("orgId")
);
ALTER TABLE "GatewayUpstream" ADD CONSTRAINT "GatewayUpstream_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- A member's personal gateway key: only its sha256 is stored.
CREATE TABLE "GatewayKey" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "memberId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "keyHash" TEXT NOT NULL,
    "product" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),
    "revokedBy" TEXT,

    CONSTRAINT "GatewayKey_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "GatewayKey_keyHash_key" ON "GatewayKey"("keyHash");
CREATE INDEX "GatewayKey_orgId_memberId_idx" ON "GatewayKey"("orgId", "memberId");
ALTER TABLE "GatewayKey" ADD CONSTRAINT "GatewayKey_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "GatewayKey" ADD CONSTRAINT "GatewayKey_memberId_fkey" FOREIGN KEY ("memberId") REFERENCES "Member"("id") ON DELETE CASCADE ON UPDATE CASCADE;
