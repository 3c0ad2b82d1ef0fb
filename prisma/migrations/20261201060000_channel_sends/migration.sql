-- Which channel (slack, teams, email, log) has delivered which notice: a retry after
-- one channel failed sends only through the channels still missing.
CREATE TABLE "ChannelSend" (
    "deliveryKey" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "sentAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ChannelSend_pkey" PRIMARY KEY ("deliveryKey","channel")
);
