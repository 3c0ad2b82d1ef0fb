// The one wording of refusals: every reason authorize can answer with has words, and
// each says what stopped the member, when it lifts in the org's time, and where to act.
import { describe, expect, it } from 'vitest';
import { CAP_ORDER, type RefusalReason } from '../../src/domain/caps.js';
import { MODEL_UNPRICED } from '../../src/ledger/metering/authorize.js';
import { REFUSAL_REASONS, refusalWords, type RefusalFacts } from '../../src/domain/refusal-words.js';

const USD = 1_000_000_000n;
const base = (reason: RefusalReason, extra: Partial<RefusalFacts> = {}): RefusalFacts => ({
  reason, resetsAt: null, timezone: 'Europe/Paris', plan: 'enterprise', canRequestExtraUsage: false, consoleUrl: 'https://usage.example.com/', ...extra,
});

describe('refusal words', () => {
  it('has words for every reason authorize can refuse with (the cap order and model_unpriced)', () => {
    const authorizeCan = new Set<string>([...CAP_ORDER, MODEL_UNPRICED.reason]);
    expect(new Set(REFUSAL_REASONS)).toEqual(authorizeCan);
    for (const reason of REFUSAL_REASONS) {
      for (const plan of ['enterprise', 'team'] as const) {
        const w = refusalWords(base(reason, { plan, resetsAt: '2026-12-31T23:00:00.000Z' }));
        // No code, no UTC instant: words, the local time with its zone, and a link last.
        expect(w.message).not.toContain(reason);
        expect(w.message).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
        expect(w.message).toContain('1 Jan 2027, 00:00 (Europe/Paris)');
        expect(w.message).toMatch(/: https:\/\/usage\.example\.com\/(me|usage)$/);
        expect(w.message.split(/\.\s/).length).toBeLessThanOrEqual(2);
      }
    }
  });

  it('says the member\'s own cap in cents, when it lifts, and to ask to raise it', () => {
    const w = refusalWords(base('member_cap_reached', { resetsAt: new Date('2026-12-31T23:00:00Z'), limit: { capNanos: 75n * USD, spentNanos: 77_184_000_000n } }));
    expect(w.message).toBe('You reached your monthly extra usage limit ($77.18 of $75.00); it lifts 1 Jan 2027, 00:00 (Europe/Paris). To go on sooner, ask to raise your limit: https://usage.example.com/me');
    expect(w.link).toBe('https://usage.example.com/me');
    expect(w.liftsAt).toBe('1 Jan 2027, 00:00 (Europe/Paris)');
  });

  it('in reservation mode, says the request does not fit in what is left, not that the limit is reached', () => {
    // $40 of $75 spent and held, a request that may cost $36: refused, with $35 left.
    const w = refusalWords(base('member_cap_reached', { resetsAt: '2026-12-31T23:00:00.000Z', limit: { capNanos: 75n * USD, spentNanos: 40n * USD, requestNanos: 36n * USD } }));
    expect(w.message).toBe('This request (up to $36.00) does not fit in what is left of your monthly extra usage limit ($35.00 of $75.00, counting requests still running); it lifts 1 Jan 2027, 00:00 (Europe/Paris). A smaller request (a lower max_tokens) may still fit. To go on sooner, ask to raise your limit: https://usage.example.com/me');
    const balance = refusalWords(base('balance_exhausted', { plan: 'team', limit: { capNanos: 5n * USD, spentNanos: 0n, requestNanos: 6n * USD } }));
    expect(balance.message).toContain("This request (up to $6.00) does not fit in what is left of your organisation's prepaid balance ($5.00 of $5.00");
    // Reached for real: the usual words, also in reservation mode.
    expect(refusalWords(base('member_cap_reached', { limit: { capNanos: 75n * USD, spentNanos: 75n * USD, requestNanos: USD } })).message).toMatch(/^You reached your monthly extra usage limit \(\$75\.00 of \$75\.00\)/);
  });

  it('offers "Request extra usage" at the seat limit on Enterprise, and "ask an owner" on Team', () => {
    const resetsAt = '2026-12-07T17:00:00.000Z';
    expect(refusalWords(base('seat_limit_reached', { resetsAt, canRequestExtraUsage: true })).message)
      .toBe('You have used the usage included in your seat, and extra usage is not on for you; it lifts 7 Dec 2026, 18:00 (Europe/Paris). To go on sooner, request extra usage from your admins: https://usage.example.com/me');
    expect(refusalWords(base('seat_limit_reached', { resetsAt, plan: 'team' })).message)
      .toContain('To go on sooner, ask an owner to turn extra usage on for you: https://usage.example.com/me');
    // Recently denied: no offer to ask, but where to see when they may.
    expect(refusalWords(base('seat_limit_reached', { resetsAt })).next).toBe('Your last request was declined recently; see when you may ask again');
  });

  it('names who can raise a tier or org cap, and sends a used-up balance to the owners\' page', () => {
    expect(refusalWords(base('seat_tier_cap_reached', { seatTier: 'premium', limit: { capNanos: 500n * USD, spentNanos: 500n * USD } })).message)
      .toMatch(/^Premium seats reached their monthly extra usage limit \(\$500\.00 of \$500\.00\); .*Only an owner can raise a seat tier's limit/);
    expect(refusalWords(base('org_cap_reached')).message).toContain('Only an owner can raise the organisation\'s limit; ask the owners to raise it: https://usage.example.com/me');
    // The member's page is where they ask (POST /me/raise-limit).
    expect(refusalWords(base('seat_tier_cap_reached')).link).toBe('https://usage.example.com/me');
    const balance = refusalWords(base('balance_exhausted', { plan: 'team', limit: { capNanos: -3n * USD, spentNanos: 0n } }));
    expect(balance.message).toBe('Your organisation\'s prepaid extra usage balance is used up ($0.00 left); it lifts when an owner adds funds. An owner can add funds: https://usage.example.com/usage');
  });

  it('names the model without a price and the product whose limit is reached', () => {
    expect(refusalWords(base('model_unpriced', { model: 'claude-new-9' })).message)
      .toBe('The model claude-new-9 has no price here yet, so its usage could not be counted; it lifts once a price is added for it (or a fallback model family is set for your organisation). Use another model, or ask whoever runs Extra usage for your organisation to add a price for it: https://usage.example.com/me');
    expect(refusalWords(base('product_cap_reached', { product: 'claude_code', limit: { capNanos: 20n * USD, spentNanos: 20n * USD } })).message)
      .toMatch(/^You reached your monthly extra usage limit on claude_code \(\$20\.00 of \$20\.00\);/);
  });

  it('without a public address, points at the page on this service', () => {
    expect(refusalWords(base('org_cap_reached', { consoleUrl: null })).message).toMatch(/in the web console at \/me$/);
  });
});
