// Payment settings are checked at start-up: bad or missing values stop the service
// with a message naming the variable; the ledger-only provider is the default.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { paymentsFromConfig } from '../../src/payments/from-config.js';

describe('payment settings', () => {
  it('defaults to the ledger-only provider (nobody charged)', () => {
    const config = loadConfig({});
    expect(config.PAYMENTS_PROVIDER).toBe('ledger');
    expect(paymentsFromConfig(config)).toBeTypeOf('function');
  });

  it('names each setting Stripe needs and is missing', () => {
    let message = '';
    try {
      paymentsFromConfig(loadConfig({ PAYMENTS_PROVIDER: 'stripe' }));
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toMatch(/STRIPE_SECRET_KEY: required/);
    expect(message).toMatch(/STRIPE_WEBHOOK_SECRET: required/);
    expect(message).toMatch(/PUBLIC_URL: required/);
  });

  it('refuses values that are not Stripe keys or URLs', () => {
    expect(() => loadConfig({ STRIPE_SECRET_KEY: 'pk_test_123' })).toThrow(/STRIPE_SECRET_KEY: must be a Stripe secret key/);
    expect(() => loadConfig({ STRIPE_WEBHOOK_SECRET: 'secret' })).toThrow(/STRIPE_WEBHOOK_SECRET: must be a webhook signing secret/);
    expect(() => loadConfig({ STRIPE_API_BASE: 'localhost' })).toThrow(/STRIPE_API_BASE: must be a URL/);
    expect(() => loadConfig({ PAYMENTS_PROVIDER: 'paypal' })).toThrow(/PAYMENTS_PROVIDER/);
  });

  it('builds the Stripe providers when everything is set', () => {
    const config = loadConfig({ PAYMENTS_PROVIDER: 'stripe', STRIPE_SECRET_KEY: 'sk_test_abc', STRIPE_WEBHOOK_SECRET: 'whsec_abc', PUBLIC_URL: 'https://usage.example.com', STRIPE_API_BASE: 'http://127.0.0.1:12111' });
    const payments = paymentsFromConfig(config)({} as never, () => {});
    expect(payments.purchases.provider).toBe('stripe');
    expect(payments.stripeWebhook).toBeDefined();
  });
});
