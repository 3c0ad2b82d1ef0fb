// Which payment provider runs, from the configuration: the ledger-only one by default
// (development: nobody is charged), Stripe with PAYMENTS_PROVIDER=stripe.
import { z } from 'zod';
import type { Config } from '../config.js';
import { ConfigError } from '../config.js';
import type { Db } from '../db/client.js';
import { ledgerOnlyPayments, type PaymentProvider } from './port.js';
import { ledgerPurchases, stripePurchases, type Purchases } from './purchases.js';
import { createStripeClient } from './stripe-client.js';
import { stripePayments } from './stripe.js';
import { stripeWebhook, type StripeWebhook } from './stripe-webhook.js';

export interface Payments {
  /** Auto-reload's charges. */
  provider: PaymentProvider;
  /** Owners buying balance (API, Slack, Teams). */
  purchases: Purchases;
  /** Set with Stripe: POST /v1/payments/stripe/webhook. */
  stripeWebhook?: StripeWebhook;
  /** Set with Stripe: reads the balance (changes nothing), so a wrong STRIPE_SECRET_KEY is refused at start. */
  check?: () => Promise<unknown>;
}

// What Stripe needs besides each variable's own check in src/config.ts.
const stripeNeeds = z.object({
  STRIPE_SECRET_KEY: z.string({ error: 'required when PAYMENTS_PROVIDER=stripe' }),
  STRIPE_WEBHOOK_SECRET: z.string({ error: 'required when PAYMENTS_PROVIDER=stripe (the signing secret of the webhook endpoint)' }),
  PUBLIC_URL: z.string({ error: 'required when PAYMENTS_PROVIDER=stripe (Checkout sends the buyer back there)' }),
});

/**
 * Checks the payment settings (a ConfigError names what is missing) and returns how
 * to build the providers once the database is open.
 */
export function paymentsFromConfig(config: Config): (db: Db, log: (msg: string) => void) => Payments {
  if (config.PAYMENTS_PROVIDER === 'ledger') return (db) => ({ provider: ledgerOnlyPayments(db), purchases: ledgerPurchases(db) });
  const parsed = stripeNeeds.safeParse(config);
  if (!parsed.success) {
    throw new ConfigError(`Invalid configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  }
  const s = parsed.data;
  return (db, log) => {
    const stripe = createStripeClient({ secretKey: s.STRIPE_SECRET_KEY, apiBase: config.STRIPE_API_BASE });
    const line = (level: string) => (obj: object, msg: string) => log(`payments ${level}: ${msg} ${JSON.stringify(obj)}`);
    return {
      provider: stripePayments(db, stripe),
      purchases: stripePurchases(db, stripe, { publicUrl: s.PUBLIC_URL }),
      check: () => stripe.balance.retrieve(),
      stripeWebhook: stripeWebhook({ db, stripe, webhookSecret: s.STRIPE_WEBHOOK_SECRET, log: { warn: line('warning'), error: line('error') } }),
    };
  };
}
