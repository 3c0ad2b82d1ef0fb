-- Repeated refusals of one sign-in link (a used or expired link tried again) are
-- audited once; the link keeps how many there were and when the last was.
ALTER TABLE "SignInLink" ADD COLUMN "refusedCount" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "SignInLink" ADD COLUMN "lastRefusedAt" TIMESTAMP(3);
