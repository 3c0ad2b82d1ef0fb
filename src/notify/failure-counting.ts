// Counts what a channel failed to deliver (extra_usage_notice_delivery_failures_total),
// passing the failure on: the fan-out still reports it and the activity still retries.
import type { Metrics } from '../observability/metrics.js';
import type { Channel } from './fanout.js';
import type { Notifier } from './port.js';

export function countingFailures(channel: Channel, metrics: Metrics): Channel {
  const n = channel.notifier;
  const counted = <A extends unknown[]>(notice: keyof Notifier, send: (...args: A) => Promise<void>) => async (...args: A) => {
    try {
      await send(...args);
    } catch (err) {
      metrics.noticeFailed(channel.name, notice);
      throw err;
    }
  };
  return {
    name: channel.name,
    notifier: {
      requestOpened: counted('requestOpened', n.requestOpened.bind(n)),
      requestReminder: counted('requestReminder', n.requestReminder.bind(n)),
      requestClosed: counted('requestClosed', n.requestClosed.bind(n)),
      alert: counted('alert', n.alert.bind(n)),
      digest: counted('digest', n.digest.bind(n)),
    },
  };
}
