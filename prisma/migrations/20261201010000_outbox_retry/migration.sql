-- An event whose delivery fails waits with a back-off instead of being retried on
-- every pass, and its last error is kept for the operator (GET /health).
ALTER TABLE "OutboxEvent" ADD COLUMN     "attempts" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "nextAttemptAt" TIMESTAMP(3),
ADD COLUMN     "lastError" TEXT;
