-- Post-redirect-get in the console: a form that fails (or needs a confirmation) is
-- answered with a redirect to a page, and that page is shown once from here. Only the
-- SHA-256 of the cookie's token is stored, and the page is encrypted with the token
-- itself, so what a person typed cannot be read from the database alone.
CREATE TABLE "ConsoleFlash" (
    "id" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "status" INTEGER NOT NULL,
    "body" BYTEA NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ConsoleFlash_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "ConsoleFlash_expiresAt_idx" ON "ConsoleFlash"("expiresAt");
