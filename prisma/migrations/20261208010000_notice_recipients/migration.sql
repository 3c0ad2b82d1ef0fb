-- Notices are recorded per (notice, channel, recipient): a recipient whose send failed
-- is retried without sending again to those who got it. Rows written before this
-- (recipient '*') stand for the whole channel.
ALTER TABLE "ChannelSend" ADD COLUMN "recipient" TEXT NOT NULL DEFAULT '*';
ALTER TABLE "ChannelSend" DROP CONSTRAINT "ChannelSend_pkey";
ALTER TABLE "ChannelSend" ADD CONSTRAINT "ChannelSend_pkey" PRIMARY KEY ("deliveryKey", "channel", "recipient");
