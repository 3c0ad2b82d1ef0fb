// The one rule for asking admins for more usage, shared by the API, Slack, Teams and
// authorize's canRequestExtraUsage.
import { describe, expect, it } from 'vitest';
import { askRefusal, type AskFacts } from '../../src/domain/requests.js';

const NOW = new Date('2026-12-01T12:00:00Z');
const HOUR = 3600_000;
const stopped: AskFacts = { plan: 'enterprise', atSeatLimit: true, hasExtraUsage: false, lastDeniedAt: null, cooldownMs: 24 * HOUR, now: NOW };

describe('askRefusal', () => {
  it('lets an enterprise member at the seat limit without extra usage ask', () => {
    expect(askRefusal(stopped)).toBeNull();
  });

  it.each([
    ['a team org', { plan: 'team' as const }, 'not_enterprise'],
    ['a member who already has extra usage', { hasExtraUsage: true }, 'has_extra_usage'],
    ['a member with allowance left', { atSeatLimit: false }, 'not_at_seat_limit'],
    ['a member denied an hour ago', { lastDeniedAt: new Date(NOW.getTime() - HOUR) }, 'recently_denied'],
  ])('refuses %s', (_name, over, code) => {
    expect(askRefusal({ ...stopped, ...over })).toMatchObject({ code, message: expect.any(String) });
  });

  it('says when a denied member may ask again, and lets them once the cool-down is over', () => {
    const deniedAt = new Date(NOW.getTime() - 23 * HOUR);
    expect(askRefusal({ ...stopped, lastDeniedAt: deniedAt })).toMatchObject({ code: 'recently_denied', retryAt: new Date(deniedAt.getTime() + 24 * HOUR) });
    expect(askRefusal({ ...stopped, lastDeniedAt: new Date(NOW.getTime() - 24 * HOUR) })).toBeNull();
    expect(askRefusal({ ...stopped, lastDeniedAt: deniedAt, cooldownMs: 0 })).toBeNull();
  });
});
