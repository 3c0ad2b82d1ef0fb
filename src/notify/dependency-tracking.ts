// Tells the process's Dependencies whether a channel's server answers: a send that
// fails for the network marks the channel's part (slack, teams, smtp) down, a send that
// reached someone marks it back (a send to nobody, e.g. no one with an email address,
// says nothing either way). The failure is passed on: the fan-out still records it and
// the activity still retries with back-off, which is what delivers the notice once the
// server is back (each channel's own deliveries are remembered, so none twice).
import type { Dependencies } from '../observability/dependencies.js';
import { isNetworkFailure } from '../observability/network-failure.js';
import type { Channel } from './fanout.js';
import type { Notifier, Person, SendOptions } from './port.js';

export interface TrackingOptions {
  part?: string;
  /** A send that returned reached its server (email: someone had an address). Default: only a recipient reported delivered counts. */
  reachedIfSent?: (people: Person[]) => boolean;
}

export function trackingReachability(channel: Channel, dependencies: Dependencies, opts: TrackingOptions = {}): Channel {
  const n = channel.notifier;
  const part = opts.part ?? channel.name;
  const tracked = <V>(send: (view: V, people: Person[], sendOpts?: SendOptions) => Promise<void>) => async (view: V, people: Person[], sendOpts?: SendOptions) => {
    const startedAt = new Date();
    let reached = false;
    const delivered = async (memberId: string) => {
      reached = true;
      await sendOpts?.delivered?.(memberId);
    };
    try {
      await send(view, people, { ...sendOpts, delivered });
    } catch (err) {
      if (isNetworkFailure(err)) dependencies.failed(part, err, startedAt);
      else if (reached) dependencies.ok(part);
      throw err;
    }
    if (reached || opts.reachedIfSent?.(people)) dependencies.ok(part);
  };
  const notifier: Notifier = {
    requestOpened: tracked(n.requestOpened.bind(n)),
    requestReminder: tracked(n.requestReminder.bind(n)),
    requestClosed: tracked(n.requestClosed.bind(n)),
    alert: tracked(n.alert.bind(n)),
    digest: tracked(n.digest.bind(n)),
  };
  return { name: channel.name, notifier };
}
