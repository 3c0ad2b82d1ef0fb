// Tells the process's Dependencies whether a channel's server answers: a send that
// fails for the network marks the channel's part (slack, teams, smtp) down, a send that
// gets through marks it back. The failure is passed on: the fan-out still records it
// and the activity still retries with back-off, which is what delivers the notice once
// the server is back (each channel's own deliveries are remembered, so none twice).
import type { Dependencies } from '../observability/dependencies.js';
import { isNetworkFailure } from '../observability/network-failure.js';
import type { Channel } from './fanout.js';
import type { Notifier } from './port.js';

export function trackingReachability(channel: Channel, dependencies: Dependencies, part: string = channel.name): Channel {
  const n = channel.notifier;
  const tracked = <A extends unknown[]>(send: (...args: A) => Promise<void>) => async (...args: A) => {
    const startedAt = new Date();
    try {
      await send(...args);
    } catch (err) {
      if (isNetworkFailure(err)) dependencies.failed(part, err, startedAt);
      throw err;
    }
    dependencies.ok(part);
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
