// The App Home builders stay within Block Kit limits however large the org is:
// seat limits and requests are paged, long names are cut, the tabs follow the role.
import { describe, expect, it } from 'vitest';
import type { RequestView } from '../../../../src/notify/port.js';
import { homeView, HOME_REQUESTS_PAGE_SIZE, type HomeModel } from '../../../../bot/slack/views/home.js';
import { SEAT_LIMITS_PAGE_SIZE, type SeatLimits, type UsageOverview } from '../../../../bot/slack/views/owner-settings.js';
import { blockKitProblems } from '../../../support/slack-block-kit-limits.js';
import { actionIdsOf } from '../../../support/slack-harness.js';

const long = (s: string) => `${s} ${'é'.repeat(5000)}`;

const overview = (plan: 'team' | 'enterprise'): UsageOverview => ({
  org: { id: 'o', slug: 'acme', name: long('Acme'), plan, timezone: 'UTC', digestHour: 9 },
  period: '2026-11',
  resetsAt: '2026-12-01T00:00:00.000Z',
  extraUsage: { enabled: true, scope: 'selected_members' },
  orgCap: { cap: '1000.00', monthToDateExtra: '12.34', monthToDateIncluded: '1.00' },
  seatTiers: [
    { tier: 'standard', includedAllowance: '1.00', windowMinutes: 300, cap: plan === 'enterprise' ? '500.00' : undefined, monthToDateExtra: '1.00' },
    { tier: 'premium', includedAllowance: '3.00', windowMinutes: 300, cap: plan === 'enterprise' ? null : undefined, monthToDateExtra: '0.00' },
  ],
  ...(plan === 'team' ? { prepaid: { balance: '42.00', autoReload: { enabled: true, threshold: '10.00', amount: '50.00', monthlyMax: '150.00', monthlyLimit: 3 } } } : {}),
}) as UsageOverview;

const seats = (count: number): SeatLimits => ({
  period: '2026-11',
  members: Array.from({ length: count }, (_, i) => ({
    id: `m-${i}`, externalId: `e${i}`, name: long(`Member ${i}`), role: 'member' as const, seatTier: 'standard' as const, extraUsageEnabled: i % 2 === 0,
    cap: i % 3 ? '50.00' : null, monthToDateExtra: '1.00', monthToDateIncluded: '0.00', paused: i % 5 === 0,
  })),
});

const request = (i: number): RequestView => ({
  requestId: `r-${i}`, workflowId: 'w', orgId: 'o', orgName: 'Acme', seatTier: 'standard', requestedAt: '2026-11-15T10:00:00.000Z', note: long('note'), status: 'pending',
  decision: null, decisionCap: null, reason: null, decidedBy: null, decidedAt: null, previousDenial: null,
  requester: { memberId: `m-${i}`, externalId: `e${i}`, name: long(`Requester ${i}`), role: 'member', seatTier: 'standard', email: null, slackUserId: null, teamsUserId: null },
});

const model = (over: Partial<HomeModel>): HomeModel => ({ orgName: 'Acme', tabs: ['me', 'requests', 'settings'], tab: 'settings', page: 0, ...over });

describe('App Home views', () => {
  for (const plan of ['enterprise', 'team'] as const) {
    it(`pages 300 members of a ${plan} org within 100 blocks, with working Previous/Next`, () => {
      const settings = { overview: overview(plan), seats: seats(300), alertChannelId: 'C_ALERTS' };
      const pages = Math.ceil(300 / SEAT_LIMITS_PAGE_SIZE);
      const seen = new Set<string>();
      for (let page = 0; page < pages; page++) {
        const view = homeView(model({ page, settings, requests: [] }));
        expect(blockKitProblems('home', view)).toEqual([]);
        for (const b of view.blocks as any[]) if (b.block_id?.startsWith('seat_m-')) seen.add(b.block_id);
        const nav = actionIdsOf(view.blocks as any[]).filter((a) => a.startsWith('home_page_'));
        expect(nav).toEqual([...(page > 0 ? ['home_page_prev'] : []), ...(page < pages - 1 ? ['home_page_next'] : [])]);
      }
      expect(seen.size).toBe(300);
      const ids = actionIdsOf(homeView(model({ settings, requests: [] })).blocks as any[]);
      expect(ids.includes('settings_edit_auto_reload')).toBe(plan === 'team');
      expect(ids.filter((a) => a === 'settings_adjust_limit')).toHaveLength(plan === 'enterprise' ? 3 + SEAT_LIMITS_PAGE_SIZE : 1 + SEAT_LIMITS_PAGE_SIZE);
    });
  }

  it('pages 100 pending requests on the Requests tab within 100 blocks', () => {
    const requests = Array.from({ length: 100 }, (_, i) => request(i));
    for (let page = 0; page < Math.ceil(100 / HOME_REQUESTS_PAGE_SIZE); page++) {
      const view = homeView(model({ tab: 'requests', page, requests }));
      expect(blockKitProblems('home', view)).toEqual([]);
    }
  });

  it('clamps a page past the end to the last page', () => {
    const view = homeView(model({ page: 999, settings: { overview: overview('enterprise'), seats: seats(30), alertChannelId: null }, requests: [] }));
    expect(JSON.stringify(view.blocks)).toContain('Members 26–30 of 30');
  });
});
