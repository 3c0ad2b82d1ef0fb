// The Usage page's "Individual seat limits" table reads one page at a time from the
// database: every member exactly once across the pages, in spend (or name) order,
// each row the same as the seat-limits report's row for that member.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrg } from '../../../src/ledger/limits-state.js';
import { seatLimits } from '../../../src/ledger/reports/reports.js';
import { seatLimitsOf, seatLimitsPage, type MemberSort } from '../../../src/ledger/reports/seat-limits-page.js';
import { BACKENDS, migrated, type Scratch } from '../../support/databases.js';
import { enterpriseDoc, harness, HAIKU, usageOfCents, type Harness } from '../../support/fixtures.js';

const MEMBERS = 130;
const pad = (i: number) => String(i).padStart(3, '0');

describe.each(BACKENDS)('seat limits page on $kind', ({ open }) => {
  let scratch: Scratch;
  let h: Harness;
  let orgId: string;
  beforeAll(async () => {
    scratch = await migrated(open);
    h = await harness(scratch.db.prisma);
    // Names in mixed case, not in id order; caps on some; spend with ties.
    const members = Array.from({ length: MEMBERS }, (_, i) => ({
      externalId: `ext-${pad(i)}`,
      name: `${i % 2 ? 'person' : 'Person'} ${pad((i * 37) % MEMBERS)}`,
      role: i === 0 ? ('primary_owner' as const) : ('member' as const),
      seatTier: 'standard' as const,
      ...(i % 5 === 0 ? { extraUsageCap: '0.20' } : {}),
    }));
    ({ orgId } = await h.provision('paged', enterpriseDoc({ members })));
    const key = await h.issueKey('paged');
    // $1.00 is included per window: anything past it is extra (ties: every 4th member alike).
    for (let i = 0; i < MEMBERS; i += 2) {
      const res = await h.call('POST', '/v1/usage/record', { token: key, body: { requestId: `r-${i}`, member: `ext-${pad(i)}`, model: HAIKU, usage: usageOfCents(100 + (i % 4 === 0 ? 30 : i % 7)) } });
      expect(res.status).toBeLessThan(300);
    }
  });
  afterAll(async () => {
    await h?.close();
    await scratch?.dispose();
  });
  const db = () => scratch.db.prisma;
  const at = () => h.clock.now;

  async function allPages(sort: MemberSort, q?: string) {
    const org = await loadOrg(db(), orgId);
    const first = await seatLimitsPage(db(), org, { sort, page: 1, perPage: 25, q }, at());
    const rows = [...first.members];
    for (let p = 2; p <= first.pages; p++) {
      const page = await seatLimitsPage(db(), org, { sort, page: p, perPage: 25, q }, at());
      expect(page.total).toBe(first.total);
      rows.push(...page.members);
    }
    return { first, rows };
  }

  const nanos = (usd: string) => {
    const [whole, frac = ''] = usd.split('.');
    return BigInt(whole!) * 1_000_000_000n + BigInt(frac.padEnd(9, '0'));
  };

  it('pages every member once, highest spend first, each row equal to the report', async () => {
    const { first, rows } = await allPages('spend_desc');
    expect(first.total).toBe(MEMBERS);
    expect(first.pages).toBe(Math.ceil(MEMBERS / 25));
    expect(new Set(rows.map((r) => r.id)).size).toBe(MEMBERS);
    for (let i = 1; i < rows.length; i++) expect(nanos(rows[i]!.monthToDateExtra) <= nanos(rows[i - 1]!.monthToDateExtra)).toBe(true);
    expect(rows[0]!.monthToDateExtra).toBe('0.30');
    const report = await seatLimits(db(), await loadOrg(db(), orgId), at());
    const byId = new Map(report.members.map((m) => [m.id, m]));
    for (const row of rows) expect(row).toEqual(byId.get(row.id));
    // A capped member whose spend reached the cap shows paused, as in the report.
    expect(rows.some((r) => r.paused)).toBe(true);
  });

  it('sorts lowest spend first and by name, ignoring case, in a stable order', async () => {
    const asc = (await allPages('spend_asc')).rows;
    for (let i = 1; i < asc.length; i++) expect(nanos(asc[i]!.monthToDateExtra) >= nanos(asc[i - 1]!.monthToDateExtra)).toBe(true);
    const byName = (await allPages('name')).rows;
    expect(new Set(byName.map((r) => r.id)).size).toBe(MEMBERS);
    const lower = byName.map((r) => r.name.toLowerCase());
    expect(lower).toEqual([...lower].sort());
  });

  it('filters by part of a name or external id in any case, and clamps the page', async () => {
    const org = await loadOrg(db(), orgId);
    const page = await seatLimitsPage(db(), org, { q: 'PERSON 01', sort: 'name', page: 99 }, at());
    expect(page.total).toBe(10);
    expect(page.page).toBe(1);
    expect(page.members.map((r) => r.name.toLowerCase())).toEqual(Array.from({ length: 10 }, (_, i) => `person 01${i}`));
    expect((await seatLimitsPage(db(), org, { q: ' Ext-129 ', sort: 'spend_asc', page: 1 }, at())).members.map((r) => r.externalId)).toEqual(['ext-129']);
    // Characters that mean something in LIKE patterns are matched as themselves.
    expect(await seatLimitsPage(db(), org, { q: '%', sort: 'name', page: 3 }, at())).toMatchObject({ members: [], total: 0, page: 1, pages: 1 });
  });

  it('reads the rows of the members named, as the report has them', async () => {
    const org = await loadOrg(db(), orgId);
    const report = await seatLimits(db(), org, at());
    const some = [report.members[3]!, report.members[40]!, report.members[99]!];
    const rows = await seatLimitsOf(db(), org, [...some.map((m) => m.id), some[0]!.id, 'no-such-member'], at());
    expect(rows.sort((a, b) => (a.id < b.id ? -1 : 1))).toEqual([...some].sort((a, b) => (a.id < b.id ? -1 : 1)));
    expect(await seatLimitsOf(db(), org, [], at())).toEqual([]);
  });
});
