// The spend report behind the Spend page, on a fixed clock (15 Nov 2026 12:00Z) for an
// org in Europe/Paris: usage lands on its local day (not the UTC one), the month's
// total is the ledger's month-to-date, and the forecast day is the hand-worked one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, harness, HAIKU, usageOfCents, type Harness } from '../support/fixtures.js';

let scratch: Scratch;
let h: Harness;
let owner: string;
const NOW = new Date('2026-11-15T12:00:00Z');

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  h = await harness(scratch.db.prisma, NOW);
  await h.provision('acme', enterpriseDoc({
    extraUsage: { enabled: true, scope: 'all_members', orgMonthlyCap: '15.00', tierCaps: { standard: null, premium: null } },
  }));
  const key = await h.issueKey('acme', ['usage']);
  // Alice (standard seat: $1 per 5 hours), each a window of its own:
  //  $3 at 2026-10-31T23:30Z = 1 Nov 00:30 in Paris (November, its 1st): $2 extra
  //  $2 at 2026-11-02T12:00Z = 2 Nov 13:00 in Paris: $1 extra
  //  $5 at 2026-11-02T23:30Z = 3 Nov 00:30 in Paris (the 2nd in UTC): $4 extra
  //  $4 at 2026-11-15T11:00Z: $3 extra. Month to date: $10 extra, $4 included.
  for (const [i, at, cents] of [[0, '2026-10-31T23:30:00Z', 300], [1, '2026-11-02T12:00:00Z', 200], [2, '2026-11-02T23:30:00Z', 500], [3, '2026-11-15T11:00:00Z', 400]] as const) {
    const res = await h.call('POST', '/v1/usage/record', { token: key, body: { requestId: `r-${i}`, member: 'alice', model: HAIKU, at, usage: usageOfCents(cents) } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }
  const link = await h.call('POST', '/v1/operator/orgs/acme/sign-in-links', { token: 'test-operator-token-0123456789', body: { member: 'owner-1' } });
  owner = (await h.call('POST', '/v1/sign-in', { body: { token: link.body.token } })).body.session;
}, 60_000);
afterAll(async () => {
  await h?.close();
  await scratch?.dispose();
});

describe('GET /v1/reports/spend', () => {
  it('puts usage on its local day and forecasts the cap day by the stated rule', async () => {
    const r = (await h.call('GET', '/v1/reports/spend', { token: owner })).body;
    expect(r.period).toBe('2026-11');
    expect(r.days).toHaveLength(30);
    const day = (d: string) => r.days.find((x: { date: string }) => x.date === d);
    expect(day('2026-11-01')).toMatchObject({ extra: '2.00', included: '1.00', cumulativeExtra: '2.00', requests: 1, future: false });
    expect(day('2026-11-02')).toMatchObject({ extra: '1.00', included: '1.00', cumulativeExtra: '3.00', requests: 1 });
    expect(day('2026-11-03')).toMatchObject({ extra: '4.00', included: '1.00', cumulativeExtra: '7.00', requests: 1 });
    expect(day('2026-11-15')).toMatchObject({ extra: '3.00', cumulativeExtra: '10.00', future: false });
    expect(day('2026-11-16')).toMatchObject({ extra: '0.00', cumulativeExtra: '10.00', future: true });
    expect(r.monthToDate).toEqual({ cost: '14.00', included: '4.00', extra: '10.00' });
    const usage = (await h.call('GET', '/v1/settings/usage', { token: owner })).body;
    expect(usage.orgCap.monthToDateExtra).toBe('10.00');
    // $10 in 14 days 13 hours (since 1 Nov 00:00 Paris = 31 Oct 23:00Z); the $5 left of the
    // $15 cap takes half that: 7 days 6 hours 30 minutes → 22 Nov 18:30Z = 19:30 in Paris.
    expect(r.forecast).toEqual({ kind: 'on', at: '2026-11-22T18:30:00.000Z', day: '2026-11-22' });
    expect(r.topMembers).toEqual([expect.objectContaining({ externalId: 'alice', extra: '10.00', included: '4.00', cost: '14.00', requests: 4 })]);
    expect(r.products).toEqual([{ product: 'unspecified', cost: '14.00', included: '4.00', extra: '10.00', requests: 4 }]);
  });

  it('a past month is what it was (October has no usage here: 1 Nov 00:30 Paris is November)', async () => {
    const r = (await h.call('GET', '/v1/reports/spend?period=2026-10', { token: owner })).body;
    expect(r.monthToDate.extra).toBe('0.00');
    expect(r.days).toHaveLength(31);
    expect(r.forecast).toEqual({ kind: 'past_month' });
  });

  it('refuses a bad month naming the field, and admins and owners only', async () => {
    const bad = await h.call('GET', '/v1/reports/spend?period=2026-13', { token: owner });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('period');
    const member = await h.call('GET', '/v1/reports/spend/members/nobody', { token: owner });
    expect(member.status).toBe(404);
    const alice = await h.call('GET', '/v1/reports/spend/members/alice', { token: owner });
    expect(alice.body.monthToDate).toEqual({ cost: '14.00', included: '4.00', extra: '10.00' });
    expect(alice.body.member).toMatchObject({ externalId: 'alice', cap: '50.00' });
  });
});

describe('top members of a large org', () => {
  it('are the ten highest by extra, then cost, then id, as every member\'s own numbers rank them', async () => {
    // 14 members, ties on extra across the tenth place; a premium seat ($3 included) ties
    // a standard one on extra with a higher cost.
    const extras = [5, 5, 5, 4, 4, 3, 3, 3, 2, 2, 2, 2, 1, 1];
    const members = extras.map((_, i) => ({ externalId: `e${String(i).padStart(2, '0')}`, name: `E ${i}`, role: i === 0 ? ('primary_owner' as const) : ('member' as const), seatTier: i === 9 ? ('premium' as const) : ('standard' as const) }));
    await h.provision('many', enterpriseDoc({ members, extraUsage: { enabled: true, scope: 'all_members', orgMonthlyCap: null, tierCaps: { standard: null, premium: null } } }));
    const key = await h.issueKey('many', ['usage']);
    for (const [i, dollars] of extras.entries()) {
      const included = i === 9 ? 3 : 1;
      const res = await h.call('POST', '/v1/usage/record', { token: key, body: { requestId: `m-${i}`, member: members[i]!.externalId, model: HAIKU, at: '2026-11-10T10:00:00Z', usage: usageOfCents((included + dollars) * 100) } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
    const link = await h.call('POST', '/v1/operator/orgs/many/sign-in-links', { token: 'test-operator-token-0123456789', body: { member: 'e00' } });
    const session = (await h.call('POST', '/v1/sign-in', { body: { token: link.body.token } })).body.session;
    const r = (await h.call('GET', '/v1/reports/spend', { token: session })).body;
    const each = (await h.call('GET', '/v1/reports/products', { token: session })).body.members as { memberId: string; products: { cost: string; extra: string }[] }[];
    const cents = (usd: string) => Math.round(Number(usd) * 100);
    const ranked = each
      .map((m) => ({ memberId: m.memberId, extra: cents(m.products[0]!.extra), cost: cents(m.products[0]!.cost) }))
      .sort((a, b) => b.extra - a.extra || b.cost - a.cost || (a.memberId < b.memberId ? -1 : 1));
    expect(ranked).toHaveLength(14);
    expect(r.topMembers.map((m: { memberId: string }) => m.memberId)).toEqual(ranked.slice(0, 10).map((m) => m.memberId));
    // The premium seat's higher cost puts it first among the $2 ties.
    expect(r.topMembers[8]).toMatchObject({ externalId: 'e09', extra: '2.00', cost: '5.00' });
  });
});
