// Sends every notification through each configured channel. One channel failing
// does not stop the others; the failure is raised afterwards so the activity retries.
import type { Notifier } from './port.js';

export function fanout(channels: Notifier[]): Notifier {
  const each = async (call: (n: Notifier) => Promise<void>) => {
    const results = await Promise.allSettled(channels.map(call));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length) throw new AggregateError(failed.map((f) => f.reason), `${failed.length} of ${channels.length} notification channel(s) failed`);
  };
  return {
    requestOpened: (r, a) => each((n) => n.requestOpened(r, a)),
    requestReminder: (r, a) => each((n) => n.requestReminder(r, a)),
    requestClosed: (r, a) => each((n) => n.requestClosed(r, a)),
    alert: (al, to) => each((n) => n.alert(al, to)),
    digest: (d, a) => each((n) => n.digest(d, a)),
  };
}
