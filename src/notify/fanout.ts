// Sends every notification through each configured channel. One channel failing
// does not stop the others; the failure is raised afterwards so the activity retries.
// A notice that carries a delivery key is sent at most once per (recipient, channel):
// the retry after (say) the SMTP server was down goes out by email only, and the
// retry after one owner's Slack DM failed goes to that owner on Slack only. A channel
// reports each recipient it reached (SendOptions.delivered); when it returns without
// error, everyone it was given counts as reached (nothing to do for someone it
// cannot address). A request's closing (copies updated in place, the requester told)
// is recorded per channel: Slack and Teams keep their own per-person records of it.
import type { Notifier, Person, SendOptions } from './port.js';

export interface Channel {
  /** slack | teams | email | log: how the channel's sends are recorded. */
  name: string;
  notifier: Notifier;
}

/** The recipient of a ChannelSend row that stands for the whole channel. */
export const WHOLE_CHANNEL = '*';

/** Who has had which notice on which channel (a table in production, a Map in tests). */
export interface ChannelSends {
  /** channel → member ids reached (WHOLE_CHANNEL: all of them). */
  delivered(deliveryKey: string): Promise<Map<string, Set<string>>>;
  /** An empty list records the whole channel. */
  record(deliveryKey: string, channel: string, recipients: string[]): Promise<void>;
}

/** Told of every channel attempt, to spot a channel that keeps failing (src/notify/channel-health.ts). */
export interface ChannelOutcomes {
  succeeded(orgId: string, channel: string): Promise<void>;
  failed(orgId: string, channel: string, error: unknown): Promise<void>;
}

type Send = (n: Notifier, to: Person[], opts: SendOptions | undefined) => Promise<void>;

export function fanout(channels: Channel[], sends?: ChannelSends, outcomes?: ChannelOutcomes): Notifier {
  /** `to` null: the notice has no recipient list of its own and is recorded per channel. */
  const each = async (orgId: string, opts: SendOptions | undefined, to: Person[] | null, call: Send) => {
    const key = sends && opts?.deliveryKey;
    const done = key ? await sends.delivered(key) : new Map<string, Set<string>>();
    const attempts = channels.flatMap((c) => {
      const got = done.get(c.name) ?? new Set<string>();
      if (got.has(WHOLE_CHANNEL)) return [];
      const pending = to ? to.filter((p) => !got.has(p.memberId)) : [];
      if (to && to.length > 0 && pending.length === 0) return [];
      return [{ channel: c, pending }];
    });
    const results = await Promise.allSettled(attempts.map(async ({ channel: c, pending }) => {
      const reached = key ? async (memberId: string) => sends.record(key, c.name, [memberId]) : undefined;
      await call(c.notifier, to ? pending : [], { ...opts, ...(reached ? { delivered: reached } : {}) });
      if (key) await sends.record(key, c.name, pending.map((p) => p.memberId));
    }));
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ channel: attempts[i]!.channel.name, reason: r.reason as unknown }] : []));
    if (outcomes) {
      // Bookkeeping of channel health must never turn a delivered notice into a failure.
      await Promise.allSettled(results.map((r, i) => {
        const name = attempts[i]!.channel.name;
        return r.status === 'rejected' ? outcomes.failed(orgId, name, r.reason) : outcomes.succeeded(orgId, name);
      }));
    }
    if (failed.length) {
      throw new AggregateError(failed.map((f) => f.reason), `${failed.length} of ${channels.length} notification channel(s) failed (${failed.map((f) => f.channel).join(', ')}); a retry sends through those only, to the recipients still missing`);
    }
  };
  return {
    requestOpened: (r, a, o) => each(r.orgId, o, a, (n, to, opts) => n.requestOpened(r, to, opts)),
    requestReminder: (r, a, o) => each(r.orgId, o, a, (n, to, opts) => n.requestReminder(r, to, opts)),
    requestClosed: (r, a, o) => each(r.orgId, o, null, (n, _to, opts) => n.requestClosed(r, a, opts)),
    alert: (al, to, o) => each(al.orgId, o, to, (n, pending, opts) => n.alert(al, pending, opts)),
    digest: (d, a, o) => each(d.orgId, o, a, (n, to, opts) => n.digest(d, to, opts)),
  };
}
