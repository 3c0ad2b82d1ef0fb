// A request that fails because something it needs did not answer (Temporal, the
// database, a provider) is a 503 with Retry-After, not a 500 (issue 25); a bug stays a 500.
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { errorHandler } from '../../src/api/errors.js';
import { isNetworkFailure } from '../../src/observability/network-failure.js';

const app = Fastify();
app.setErrorHandler(errorHandler);
app.get('/temporal-away', async () => {
  throw Object.assign(new Error('14 UNAVAILABLE: Connection refused'), { code: 14 });
});
app.get('/refused', async () => {
  throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }) });
});
app.get('/bug', async () => {
  throw new Error('undefined is not a function');
});
afterAll(() => app.close());

describe('errors from a service that cannot be reached', () => {
  it('answer 503 with Retry-After; other errors stay 500', async () => {
    for (const url of ['/temporal-away', '/refused']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(503);
      expect(res.headers['retry-after']).toBe('30');
      expect(res.json().error.code).toBe('unavailable');
    }
    expect((await app.inject({ method: 'GET', url: '/bug' })).statusCode).toBe(500);
  });

  it('tell a network failure from a refusal', () => {
    expect(isNetworkFailure(Object.assign(new Error('An API error occurred: invalid_auth'), { code: 'slack_webapi_platform_error' }))).toBe(false);
    expect(isNetworkFailure(Object.assign(new Error('A request error occurred: connect ECONNREFUSED'), { code: 'slack_webapi_request_error' }))).toBe(true);
    expect(isNetworkFailure(Object.assign(new Error('Invalid API Key provided'), { type: 'StripeAuthenticationError', statusCode: 401 }))).toBe(false);
    expect(isNetworkFailure(Object.assign(new Error('An error occurred with our connection to Stripe'), { type: 'StripeConnectionError' }))).toBe(true);
    expect(isNetworkFailure(Object.assign(new Error('Invalid login: 535 Authentication failed'), { code: 'EAUTH', responseCode: 535 }))).toBe(false);
    expect(isNetworkFailure(Object.assign(new Error('Connection refused'), { code: 'ESOCKET' }))).toBe(true);
  });
});
