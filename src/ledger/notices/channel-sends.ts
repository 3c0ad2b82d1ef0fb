// The record of which channel delivered which notice to whom (ChannelSend), for the
// notifier fan-out: a retried notice goes out only to the (recipient, channel) pairs
// still missing.
import type { Db } from '../../db/client.js';
import { WHOLE_CHANNEL, type ChannelSends } from '../../notify/fanout.js';

export function channelSendsIn(db: Db): ChannelSends {
  return {
    async delivered(deliveryKey) {
      const rows = await db.channelSend.findMany({ where: { deliveryKey }, select: { channel: true, recipient: true } });
      const out = new Map<string, Set<string>>();
      for (const r of rows) {
        let set = out.get(r.channel);
        if (!set) out.set(r.channel, (set = new Set()));
        set.add(r.recipient);
      }
      return out;
    },
    async record(deliveryKey, channel, recipients) {
      const list = recipients.length ? recipients : [WHOLE_CHANNEL];
      await db.channelSend.createMany({ data: list.map((recipient) => ({ deliveryKey, channel, recipient })), skipDuplicates: true });
    },
  };
}
