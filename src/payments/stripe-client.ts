// The official Stripe SDK, pointed at api.stripe.com or (STRIPE_API_BASE) at a local
// stand-in or proxy. Every call we make passes its own idempotency key.
import Stripe from 'stripe';

export type StripeClient = Stripe;

export interface StripeSettings {
  secretKey: string;
  webhookSecret: string;
  /** protocol://host:port of the API; unset = Stripe's own. */
  apiBase?: string;
}

export function createStripeClient(settings: Pick<StripeSettings, 'secretKey' | 'apiBase'>): StripeClient {
  const base = settings.apiBase ? new URL(settings.apiBase) : null;
  return new Stripe(settings.secretKey, {
    ...(base ? {
      protocol: base.protocol === 'http:' ? 'http' : 'https',
      host: base.hostname,
      port: base.port || (base.protocol === 'http:' ? 80 : 443),
    } : {}),
    // A network retry reuses our idempotency key, so it cannot charge twice.
    maxNetworkRetries: 2,
    timeout: 20_000,
  });
}
