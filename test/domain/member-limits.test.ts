// What chat tells owners about a connected org's member limits (Slack App Home's Usage
// settings, Teams' settings card): a line per period in cents, where it comes from, and
// where it is changed; and the console link that edits a member's own limit.
import { describe, expect, it } from 'vitest';
import { usdCents } from '../../src/domain/display.js';
import { consoleLimitLink, ownerClaudeLimitLines, type LimitLine } from '../../src/domain/member-limits.js';

const line = (over: Partial<LimitLine>): LimitLine => ({ period: 'monthly', limitNanos: 75_000_000_000n, spentNanos: 0n, source: 'user', sourceRef: null, editableHere: true, ...over });

describe('owners\' words for a member\'s limits in Claude', () => {
  it('says each period\'s spend of its limit in cents, its source, "reached", and "change this in claude.ai" only for limits not their own', () => {
    expect(ownerClaudeLimitLines([
      line({ spentNanos: 12_345_000_000n }),
      line({ period: 'weekly', limitNanos: 20_000_000_000n, spentNanos: 20_000_000_000n, source: 'seat_tier', sourceRef: 'premium', editableHere: false }),
      line({ period: 'daily', limitNanos: null, spentNanos: 1n, source: 'rbac_group', sourceRef: 'grp_eng', editableHere: false }),
    ], usdCents)).toEqual([
      'Monthly limit: $12.35 of $75.00 spent this month (from their own limit)',
      'Weekly limit: $20.00 of $20.00 spent this week, reached (from their seat tier (premium); change this in claude.ai)',
      'Daily limit: no limit, $0.00 spent today (from a group (grp_eng); change this in claude.ai)',
    ]);
    expect(ownerClaudeLimitLines([], usdCents)).toEqual(['No limit reported by Claude yet']);
  });

  it('links to the console\'s Usage page (filtered to the member when named), or to nothing without PUBLIC_URL', () => {
    expect(consoleLimitLink('https://usage.example.com/', 'Zoë & Co|x>')).toBe('https://usage.example.com/usage?q=Zo%C3%AB%20%26%20Co%7Cx%3E');
    expect(consoleLimitLink('https://usage.example.com')).toBe('https://usage.example.com/usage');
    expect(consoleLimitLink(undefined, 'Alice')).toBeNull();
    expect(consoleLimitLink('https://u.example', 'a'.repeat(300))).toBe(`https://u.example/usage?q=${'a'.repeat(100)}`);
  });
});
