// Month-end on PGlite and on the PostgreSQL server: usage driven through the real
// record path (with `at`), then closed. Every expected amount is worked out by hand
// from the seeded price book (per token: haiku-4-5 input 1,000 / output 5,000 nanos;
// sonnet-4-5 output 15,000; opus-4-5 input 5,000). usageOfCents(c) costs c cents.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../../src/db/client.js';
import { creditBalance } from '../../../src/ledger/settings/balance.js';
import { capPausedMembers, closeMonth, getInvoice, invoiceView, listInvoices } from '../../../src/ledger/reports/invoices.js';
import { recordUsage } from '../../../src/ledger/metering/record.js';
import type { MessagesUsage } from '../../../src/domain/pricing.js';
import { BACKENDS, migrated, type Scratch } from '../../support/databases.js';
import { enterpriseDoc, HAIKU, teamDoc, usageOfCents } from '../../support/fixtures.js';
import { provision } from '../../support/ledger.js';

const SONNET = 'claude-sonnet-4-5';
const OPUS = 'claude-opus-4-5';

describe.each(BACKENDS)('month-end invoices on $kind', ({ open }) => {
  let scratch: Scratch;
  let db: Db;
  beforeAll(async () => {
    scratch = await migrated(open);
    db = scratch.db.prisma;
  });
  afterAll(async () => {
    await scratch?.dispose();
  });

  let n = 0;
  async function org(doc: unknown) {
    const o = await provision(db, `inv-${++n}-${randomUUID().slice(0, 8)}`, doc);
    const record = async (member: string, at: string, usage: MessagesUsage, model = HAIKU, product?: string) =>
      (await recordUsage(db, { orgId: o.orgId, requestId: randomUUID(), member, model, usage, at: new Date(at), product })).response;
    return { ...o, record };
  }
  const tokens = (input: number, output: number): MessagesUsage => ({ input_tokens: input, output_tokens: output });

  it('bills each member\'s extra usage per model, exact to the nano, with the total rounded once to the cent', async () => {
    const o = await org(enterpriseDoc()); // Europe/Paris
    const at = '2026-11-10T09:00:00Z';
    await o.record('alice', at, usageOfCents(100)); // alice's $1.00 allowance: included
    await o.record('alice', at, tokens(0, 2_469_137)); // 2,469,137 x 5,000 = $12.345685 extra
    await o.record('alice', at, tokens(5_000, 0)); // 5,000 x 1,000 = $0.005 extra
    await o.record('alice', at, tokens(0, 333_333), SONNET); // 333,333 x 15,000 = $4.999995 extra
    await o.record('bob', at, usageOfCents(250)); // bob's $3.00 allowance: included
    await o.record('bob', at, usageOfCents(100)); // $0.50 included, $0.50 extra
    await o.record('bob', at, tokens(1_000, 0), OPUS); // 1,000 x 5,000 = $0.005 extra

    const { invoice, created } = await closeMonth(db, o.orgId, '2026-11', new Date('2026-12-01T00:00:00Z'));
    expect(created).toBe(true);
    const alice = await o.member('alice');
    const bob = await o.member('bob');
    expect(invoice).toMatchObject({ kind: 'invoice', period: '2026-11', openingBalanceNanos: null, closingBalanceNanos: null });
    expect(invoice.lines.map((l) => [l.kind, l.memberId, l.model, l.usagePeriod, l.amountNanos, l.eventCount])).toEqual([
      ['usage', alice.id, HAIKU, '2026-11', 12_350_685_000n, 2],
      ['usage', alice.id, SONNET, '2026-11', 4_999_995_000n, 1],
      ['usage', bob.id, HAIKU, '2026-11', 500_000_000n, 1],
      ['usage', bob.id, OPUS, '2026-11', 5_000_000n, 1],
    ]);
    // 12.350685 + 4.999995 + 0.50 + 0.005 = 17.85568 -> 1,786 cents
    expect(invoice.subtotalNanos).toBe(17_855_680_000n);
    expect(invoice.totalCents).toBe(1786n);
    const view = invoiceView(invoice);
    expect(view).toMatchObject({ subtotal: '17.85568', total: '17.86' });
    expect(view.lines.map((l) => [l.description, l.amount])).toEqual([
      ['Alice · claude-haiku-4-5', '12.350685'],
      ['Alice · claude-sonnet-4-5', '4.999995'],
      ['Bob · claude-haiku-4-5', '0.50'],
      ['Bob · claude-opus-4-5', '0.005'],
    ]);
    // Every event of the month is marked billed, included-only ones too (none is left for the next invoice).
    expect(await db.usageEvent.count({ where: { orgId: o.orgId, invoiceId: invoice.id } })).toBe(7);
    expect(await db.usageEvent.count({ where: { orgId: o.orgId, invoiceId: null } })).toBe(0);
  });

  it('closing a month twice, or twice at once, gives one invoice and changes nothing', async () => {
    const o = await org(enterpriseDoc());
    await o.record('alice', '2026-11-10T09:00:00Z', usageOfCents(112)); // $0.12 extra
    const now = new Date('2026-12-01T06:00:00Z');
    const [a, b] = await Promise.all([closeMonth(db, o.orgId, '2026-11', now), closeMonth(db, o.orgId, '2026-11', now)]);
    expect(a.invoice.id).toBe(b.invoice.id);
    expect([a.created, b.created].sort()).toEqual([false, true]);
    const again = await closeMonth(db, o.orgId, '2026-11', new Date('2026-12-05T00:00:00Z'));
    expect(again.created).toBe(false);
    expect(again.invoice).toEqual(a.invoice);
    expect(await db.invoice.count({ where: { orgId: o.orgId } })).toBe(1);
    expect(await db.invoiceLine.count({ where: { invoiceId: a.invoice.id } })).toBe(1);
    expect(a.invoice).toMatchObject({ subtotalNanos: 120_000_000n, totalCents: 12n });
  });

  it('closes a Paris org\'s month at midnight in Paris: usage at 23:30 UTC on 30 November counts in December', async () => {
    const o = await org(enterpriseDoc());
    await o.record('bob', '2026-11-30T22:00:00Z', usageOfCents(300)); // bob's $3.00 allowance: included
    const nov = await o.record('bob', '2026-11-30T22:30:00Z', tokens(1_000, 0)); // 23:30 in Paris: $0.001 extra
    const dec = await o.record('bob', '2026-11-30T23:30:00Z', tokens(2_000, 0)); // 00:30 on 1 December in Paris: $0.002 extra
    expect([nov.period, dec.period]).toEqual(['2026-11', '2026-12']);

    // Not before midnight in Paris (23:00 UTC)...
    await expect(closeMonth(db, o.orgId, '2026-11', new Date('2026-11-30T22:59:59Z'))).rejects.toMatchObject({ status: 422, field: 'period' });
    // ...but from it.
    const november = (await closeMonth(db, o.orgId, '2026-11', new Date('2026-11-30T23:00:00Z'))).invoice;
    expect(november.lines.map((l) => [l.usagePeriod, l.amountNanos])).toEqual([['2026-11', 1_000_000n]]);
    expect(november.totalCents).toBe(0n); // $0.001 rounds to nothing
    const december = (await closeMonth(db, o.orgId, '2026-12', new Date('2026-12-31T23:00:00Z'))).invoice;
    expect(december.lines.map((l) => [l.kind, l.usagePeriod, l.amountNanos])).toEqual([['usage', '2026-12', 2_000_000n]]);
  });

  it('puts usage reported late for a closed month on the next invoice as an adjustment line of that month', async () => {
    const o = await org(enterpriseDoc());
    await o.record('alice', '2026-11-10T10:00:00Z', usageOfCents(107)); // $0.07 extra
    const november = (await closeMonth(db, o.orgId, '2026-11', new Date('2026-12-01T00:00:00Z'))).invoice;
    expect(november.subtotalNanos).toBe(70_000_000n);

    const late = await o.record('alice', '2026-11-20T10:00:00Z', usageOfCents(102)); // reported after November closed, fresh window: $0.02 extra
    expect(late).toMatchObject({ period: '2026-11', extra: '0.02' });
    await o.record('alice', '2026-12-05T10:00:00Z', usageOfCents(103)); // a fresh window: $0.03 extra

    const december = (await closeMonth(db, o.orgId, '2026-12', new Date('2027-01-01T00:00:00Z'))).invoice;
    const alice = await o.member('alice');
    expect(december.lines.map((l) => [l.kind, l.memberId, l.usagePeriod, l.description, l.amountNanos])).toEqual([
      ['usage', alice.id, '2026-12', 'Alice · claude-haiku-4-5', 30_000_000n],
      ['adjustment', alice.id, '2026-11', 'Alice · claude-haiku-4-5 · late usage for 2026-11', 20_000_000n],
    ]);
    expect(december).toMatchObject({ subtotalNanos: 50_000_000n, totalCents: 5n });
    // November's invoice is as it was.
    expect(await getInvoice(db, o.orgId, '2026-11')).toEqual(november);
    expect((await listInvoices(db, o.orgId)).map((i) => i.period)).toEqual(['2026-12', '2026-11']);
  });

  it('bills every request exactly once when late records race the close: what misses it lands on the next invoice', async () => {
    const o = await org(enterpriseDoc());
    await o.record('bob', '2026-11-10T09:00:00Z', usageOfCents(300)); // allowance: included
    const [, closed] = await Promise.all([
      Promise.all(Array.from({ length: 20 }, () => o.record('bob', '2026-11-10T09:00:00Z', usageOfCents(1)))), // $0.01 extra each
      closeMonth(db, o.orgId, '2026-11', new Date('2026-12-01T00:00:00Z')),
    ]);
    const december = (await closeMonth(db, o.orgId, '2026-12', new Date('2027-01-01T00:00:00Z'))).invoice;
    const lines = [...closed.invoice.lines, ...december.lines];
    expect(lines.every((l) => l.usagePeriod === '2026-11')).toBe(true);
    expect(lines.reduce((s, l) => s + l.amountNanos, 0n)).toBe(200_000_000n);
    expect(lines.reduce((s, l) => s + l.eventCount, 0)).toBe(20);
    expect(closed.invoice.subtotalNanos + december.subtotalNanos).toBe(200_000_000n);
    expect(await db.usageEvent.count({ where: { orgId: o.orgId, invoiceId: null } })).toBe(0);
  });

  it('refuses a month that is not a month, and a month earlier than one already closed', async () => {
    const o = await org(enterpriseDoc());
    await expect(closeMonth(db, o.orgId, '2026-13', new Date('2027-02-01T00:00:00Z'))).rejects.toMatchObject({ status: 422, field: 'period' });
    await closeMonth(db, o.orgId, '2026-11', new Date('2026-12-01T00:00:00Z'));
    await expect(closeMonth(db, o.orgId, '2026-10', new Date('2026-12-01T00:00:00Z'))).rejects.toMatchObject({ status: 409, field: 'period' });
    expect(await db.invoice.count({ where: { orgId: o.orgId } })).toBe(1);
  });

  it('a Team statement: opening balance, purchases and reloads of the month in the org timezone, consumption, closing balance', async () => {
    const o = await org(teamDoc({ timezone: 'America/Los_Angeles' }));
    const orgRow = await db.organization.findUniqueOrThrow({ where: { id: o.orgId } });
    const credit = async (kind: 'purchase' | 'reload', usd: bigint, at: string) => {
      const { entry } = await creditBalance(db, orgRow, { kind, amountNanos: usd * 1_000_000_000n, idempotencyKey: randomUUID(), actor: 'test' });
      await db.balanceEntry.update({ where: { id: entry.id }, data: { createdAt: new Date(at) } });
    };
    await credit('purchase', 25n, '2026-10-15T12:00:00Z'); // before the first statement: carried into its opening
    await credit('purchase', 100n, '2026-11-02T10:00:00Z');
    await credit('reload', 50n, '2026-12-01T05:00:00Z'); // 21:00 on 30 November in Los Angeles
    await credit('purchase', 10n, '2026-12-01T09:00:00Z'); // 01:00 on 1 December in Los Angeles

    await o.record('alice', '2026-11-10T18:00:00Z', usageOfCents(100)); // allowance: included
    await o.record('alice', '2026-11-10T18:00:00Z', usageOfCents(1_234)); // $12.34 extra
    await o.record('alice', '2026-11-10T18:00:00Z', tokens(1, 0)); // $0.000001 extra
    await o.record('alice', '2026-12-01T06:00:00Z', usageOfCents(150)); // 22:00 on 30 November in LA, fresh window: $0.50 extra

    const november = (await closeMonth(db, o.orgId, '2026-11', new Date('2026-12-01T08:00:00Z'))).invoice;
    // opening 25 + purchases 100 + reloads 50 - consumption 12.840001 = 162.159999
    expect(november).toMatchObject({
      kind: 'statement',
      openingBalanceNanos: 25_000_000_000n,
      subtotalNanos: 12_840_001_000n,
      totalCents: 1284n,
      closingBalanceNanos: 162_159_999_000n,
    });
    const view = invoiceView(november);
    expect(view).toMatchObject({ openingBalance: '25.00', purchases: '100.00', reloads: '50.00', consumption: '12.840001', closingBalance: '162.159999', total: '12.84' });
    expect(view.lines.map((l) => [l.kind, l.description, l.amount])).toEqual([
      ['purchase', 'Prepaid purchase, 2026-11-02T10:00:00.000Z', '100.00'],
      ['reload', 'Auto-reload, 2026-12-01T05:00:00.000Z', '50.00'],
      ['usage', 'Alice · claude-haiku-4-5', '12.840001'],
    ]);

    await o.record('alice', '2026-12-10T18:00:00Z', usageOfCents(105)); // $0.05 extra
    const december = (await closeMonth(db, o.orgId, '2026-12', new Date('2027-01-01T08:00:00Z'))).invoice;
    // opening 162.159999 + purchases 10 - consumption 0.05 = 172.109999
    expect(invoiceView(december)).toMatchObject({ openingBalance: '162.159999', purchases: '10.00', reloads: '0.00', consumption: '0.05', closingBalance: '172.109999' });
    // Every credit and every request is billed, so the closing balance is the balance.
    expect((await db.organization.findUniqueOrThrow({ where: { id: o.orgId } })).balanceNanos).toBe(december.closingBalanceNanos);
  });

  it('splits lines by product where more than one product was used: the same exact subtotal, rounded once', async () => {
    const at = '2026-11-10T09:00:00Z';
    // The same usage twice: once naming products, once naming none.
    const usage: [string, MessagesUsage, string | undefined][] = [
      ['alice', usageOfCents(100), 'claude'], // alice's $1.00 allowance: included
      ['alice', tokens(0, 2_469_137), 'claude_code'], // $12.345685 extra
      ['alice', tokens(0, 1_001), 'claude_code'], // $0.005005 extra
      ['alice', tokens(5_001, 0), 'api'], // $0.005001 extra
      ['alice', tokens(0, 3), undefined], // $0.000015 extra, unspecified
      ['bob', usageOfCents(300), 'claude_code'], // bob's $3.00 allowance: included
      ['bob', tokens(0, 999), 'claude_code'], // $0.004995 extra
    ];
    const split = await org(enterpriseDoc());
    const plain = await org(enterpriseDoc());
    for (const [member, u, product] of usage) {
      await split.record(member, at, u, HAIKU, product);
      await plain.record(member, at, u);
    }
    const closeAt = new Date('2026-12-01T00:00:00Z');
    const withProducts = (await closeMonth(db, split.orgId, '2026-11', closeAt)).invoice;
    const without = (await closeMonth(db, plain.orgId, '2026-11', closeAt)).invoice;
    const alice = await split.member('alice');
    const bob = await split.member('bob');
    expect(withProducts.lines.map((l) => [l.memberId, l.product, l.description, l.amountNanos, l.eventCount])).toEqual([
      [alice.id, 'api', `Alice · ${HAIKU} · api`, 5_001_000n, 1],
      [alice.id, 'claude_code', `Alice · ${HAIKU} · claude_code`, 12_350_690_000n, 2],
      [alice.id, null, `Alice · ${HAIKU} · unspecified`, 15_000n, 1],
      [bob.id, 'claude_code', `Bob · ${HAIKU} · claude_code`, 4_995_000n, 1],
    ]);
    // 12.360701 exact; $12.36 once rounded: the same as without products.
    expect(withProducts.subtotalNanos).toBe(12_360_701_000n);
    expect(withProducts.subtotalNanos).toBe(without.subtotalNanos);
    expect(withProducts.totalCents).toBe(1236n);
    expect(without.totalCents).toBe(1236n);
    // Without products: one line per member and model, as before.
    expect(without.lines.map((l) => [l.description, l.product, l.amountNanos])).toEqual([
      [`Alice · ${HAIKU}`, null, 12_355_706_000n],
      [`Bob · ${HAIKU}`, null, 4_995_000n],
    ]);
    expect(invoiceView(withProducts).lines.map((l) => [l.product, l.amount])).toEqual([['api', '0.005001'], ['claude_code', '12.35069'], [null, '0.000015'], ['claude_code', '0.004995']]);
  });

  it('finds the members their own cap paused in a month', async () => {
    const o = await org(enterpriseDoc()); // alice: $50 cap; bob: no cap
    await o.record('alice', '2026-11-10T09:00:00Z', usageOfCents(100));
    await o.record('alice', '2026-11-10T09:00:00Z', usageOfCents(5_000)); // $50.00 extra: at the cap
    await o.record('bob', '2026-11-10T09:00:00Z', usageOfCents(10_300)); // $100 extra, uncapped
    const paused = await capPausedMembers(db, o.orgId, '2026-11');
    expect(paused.map((p) => [p.member.externalId, p.capNanos, p.spentNanos])).toEqual([['alice', 50_000_000_000n, 50_000_000_000n]]);
    expect(await capPausedMembers(db, o.orgId, '2026-12')).toEqual([]);
  });
});
