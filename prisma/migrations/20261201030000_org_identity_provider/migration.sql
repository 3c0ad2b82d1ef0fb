-- The org's own OpenID Provider: people sign in with its tokens (docs/identity.md).
ALTER TABLE "Organization" ADD COLUMN     "oidcIssuer" TEXT,
ADD COLUMN     "oidcAudience" TEXT;

-- CreateIndex
CREATE INDEX "Organization_oidcIssuer_idx" ON "Organization"("oidcIssuer");
