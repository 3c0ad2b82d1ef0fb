// Sends every notification through each configured channel. One channel failing
// does not stop the others; the failure is raised afterwards so the activity retries.
// A notice that carries a delivery key is sent at most once per channel: the retry
// after (say) the SMTP server was down goes out by email only, not again to Slack
// and Teams.
import type { Notifier, SendOptions } from './port.js';

export interface Channel {
  /** slack | teams | email | log: how the channel's sends are recorded. */
  name: string;
  notifier: Notifier;
}

/** Which channels have delivered which notice (a table in production, a Set in tests). */
export interface ChannelSends {
  delivered(deliveryKey: string): Promise<Set<string>>;
  record(deliveryKey: string, channel: string): Promise<void>;
}

export function fanout(channels: Channel[], sends?: ChannelSends): Notifier {
  const each = async (opts: SendOptions | undefined, call: (n: Notifier) => Promise<void>) => {
    const key = sends && opts?.deliveryKey;
    const done = key ? await sends.delivered(key) : new Set<string>();
    const pending = channels.filter((c) => !done.has(c.name));
    const results = await Promise.allSettled(pending.map(async (c) => {
      await call(c.notifier);
      if (key) await sends.record(key, c.name);
    }));
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ channel: pending[i]!.name, reason: r.reason as unknown }] : []));
    if (failed.length) {
      throw new AggregateError(failed.map((f) => f.reason), `${failed.length} of ${channels.length} notification channel(s) failed (${failed.map((f) => f.channel).join(', ')}); a retry sends through those only`);
    }
  };
  return {
    requestOpened: (r, a, o) => each(o, (n) => n.requestOpened(r, a, o)),
    requestReminder: (r, a, o) => each(o, (n) => n.requestReminder(r, a, o)),
    requestClosed: (r, a, o) => each(o, (n) => n.requestClosed(r, a, o)),
    alert: (al, to, o) => each(o, (n) => n.alert(al, to, o)),
    digest: (d, a, o) => each(o, (n) => n.digest(d, a, o)),
  };
}
