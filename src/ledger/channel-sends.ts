// The record of which channel delivered which notice (ChannelSend), for the notifier
// fan-out: a retried notice goes out only through the channels still missing.
import type { Db } from '../db/client.js';
import type { ChannelSends } from '../notify/fanout.js';

export function channelSendsIn(db: Db): ChannelSends {
  return {
    async delivered(deliveryKey) {
      const rows = await db.channelSend.findMany({ where: { deliveryKey }, select: { channel: true } });
      return new Set(rows.map((r) => r.channel));
    },
    async record(deliveryKey, channel) {
      await db.channelSend.createMany({ data: [{ deliveryKey, channel }], skipDuplicates: true });
    },
  };
}
