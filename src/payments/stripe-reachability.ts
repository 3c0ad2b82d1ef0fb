// Stripe going away while the service runs takes the same path as Stripe unreachable
// at start (src/service.ts): a purchase that fails for the network marks `stripe` down
// on GET /health (one log line) and the start's check is retried with back-off until
// Stripe answers (one line when it is back); nothing is charged meanwhile, and the
// buyer's retry with the same idempotency key counts once. A purchase that reaches
// Stripe marks it up.
import type { Dependencies } from '../observability/dependencies.js';
import { isNetworkFailure } from '../observability/network-failure.js';
import type { Purchases } from './purchases.js';

export function trackingStripe(purchases: Purchases, dependencies: Dependencies, check: () => Promise<unknown>, onRefused: (err: unknown) => void): Purchases {
  const tracked = <A extends unknown[], R>(call: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    const startedAt = new Date();
    try {
      const result = await call(...args);
      dependencies.ok('stripe');
      return result;
    } catch (err) {
      if (isNetworkFailure(err) && dependencies.failed('stripe', err, startedAt)) void dependencies.keepTrying('stripe', check, { onRefused });
      throw err;
    }
  };
  return {
    provider: purchases.provider,
    buy: tracked(purchases.buy.bind(purchases)),
    ...(purchases.paymentLink ? { paymentLink: tracked(purchases.paymentLink.bind(purchases)) } : {}),
  };
}
