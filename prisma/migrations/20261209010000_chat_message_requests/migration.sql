-- The requests a chat message shows besides its own (a digest page lists up to 15):
-- once one is decided, every message showing it is updated in place, so no copy is
-- left with live buttons.
CREATE TABLE "ChatMessageRequest" (
    "chatMessageId" TEXT NOT NULL,
    "requestId" TEXT NOT NULL,

    CONSTRAINT "ChatMessageRequest_pkey" PRIMARY KEY ("chatMessageId","requestId")
);

CREATE INDEX "ChatMessageRequest_requestId_idx" ON "ChatMessageRequest"("requestId");

ALTER TABLE "ChatMessageRequest" ADD CONSTRAINT "ChatMessageRequest_chatMessageId_fkey" FOREIGN KEY ("chatMessageId") REFERENCES "ChatMessage"("id") ON DELETE CASCADE ON UPDATE CASCADE;
