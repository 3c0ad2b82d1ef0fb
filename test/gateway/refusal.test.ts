// The gateway's one wording of a refusal: the shared `message` when authorize gives
// one, else a sentence from the reason and the reset time in the org's timezone.
import { describe, expect, it } from 'vitest';
import { refusalAnswer, refusalMessage } from '../../src/gateway/refusal.js';

const ctx = { timezone: 'America/New_York', consoleUrl: 'https://usage.example.com/', now: new Date('2026-11-15T12:00:00Z') };

describe('gateway refusals', () => {
  it('uses the authorize answer\'s own wording when it carries one', () => {
    expect(refusalMessage({ reason: 'member_cap_reached', resetsAt: '2026-12-01T05:00:00.000Z', message: 'The shared words.' }, ctx)).toBe('The shared words.');
  });

  it('otherwise says what stopped them, when it lifts in the org\'s timezone, and what to do, with the console link', () => {
    expect(refusalMessage({ reason: 'org_cap_reached', resetsAt: '2026-12-01T05:00:00.000Z' }, ctx))
      .toBe('Your organisation has reached its monthly extra-usage cap. It lifts on 1 Dec 2026, 00:00 (America/New_York). Ask an owner or admin to raise the limit; your usage is at https://usage.example.com/me.');
    expect(refusalMessage({ reason: 'seat_limit_reached', resetsAt: '2026-11-15T17:00:00.000Z', canRequestExtraUsage: true }, ctx))
      .toBe('You have used the usage included in your seat, and extra usage is not enabled for you. It lifts on 15 Nov 2026, 12:00 (America/New_York). To keep working now, ask for extra usage at https://usage.example.com/me.');
    expect(refusalMessage({ reason: 'balance_exhausted', resetsAt: null }, { ...ctx, consoleUrl: null }))
      .toBe('Your organisation\'s extra-usage balance is used up. It lifts when an owner adds balance. Ask an owner to add balance.');
  });

  it('is a 429 that clients will not retry, with retry-after where a reset time exists; a model without a price is a 400', () => {
    const at = refusalAnswer({ reason: 'member_cap_reached', resetsAt: new Date('2026-11-15T13:00:00Z') }, ctx);
    expect(at.status).toBe(429);
    expect(at.type).toBe('rate_limit_error');
    expect(at.headers).toEqual({ 'x-should-retry': 'false', 'retry-after': '3600' });
    const unpriced = refusalAnswer({ reason: 'model_unpriced', resetsAt: null }, ctx);
    expect([unpriced.status, unpriced.type, unpriced.headers]).toEqual([400, 'invalid_request_error', { 'x-should-retry': 'false' }]);
    expect(unpriced.message).toBe('This model has no price in your organisation\'s price book, so its usage cannot be capped. Choose another model, or ask an owner to add a price for it.');
  });
});
