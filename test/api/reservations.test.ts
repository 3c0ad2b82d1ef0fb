// Reservation mode: authorize holds an upper-bound estimate against every cap, so
// however many requests run at once, no cap is ever exceeded; the record settles the
// hold and an abandoned hold is released when it expires.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerError } from '../../src/ledger/errors.js';
import { recordUsage } from '../../src/ledger/metering/record.js';
import { releaseExpiredReservations } from '../../src/ledger/metering/reservations.js';
import { BACKENDS, migrated, type Scratch } from '../support/databases.js';
import { enterpriseDoc, harness, HAIKU, OPERATOR_TOKEN, teamDoc, type Harness } from '../support/fixtures.js';

// claude-haiku-4-5: prompt tokens are held at the 1-hour cache write rate ($2/MTok),
// output at $5/MTok. 10,000 prompt + 10,000 max output tokens hold exactly $0.07.
const ESTIMATE = { input_tokens: 10_000, max_tokens: 10_000 };
// A request that used all of it: 10,000 input ($0.01) + 10,000 output ($0.05) = $0.06.
const ACTUAL = { input_tokens: 10_000, output_tokens: 10_000 };

describe.each(BACKENDS)('reservations on $kind', ({ open }) => {
  let scratch: Scratch;
  let h: Harness;
  beforeAll(async () => {
    scratch = await migrated(open);
    h = await harness(scratch.db.prisma);
  });
  afterAll(async () => {
    await h?.close();
    await scratch?.dispose();
  });

  let n = 0;
  async function org(doc: unknown) {
    const slug = `res-${++n}`;
    await h.provision(slug, doc);
    const key = await h.issueKey(slug);
    const authorize = (member: string, requestId: string, estimate: unknown = ESTIMATE) =>
      h.call('POST', '/v1/usage/authorize', { token: key, body: { member, model: HAIKU, requestId, estimate } });
    const record = (member: string, requestId: string, usage: unknown = ACTUAL) =>
      h.call('POST', '/v1/usage/record', { token: key, body: { requestId, member, model: HAIKU, usage } });
    const orgRow = () => scratch.db.prisma.organization.findUniqueOrThrow({ where: { slug } });
    return { slug, key, authorize, record, orgRow };
  }

  // No allowance, so everything is extra usage; caps are what is tested.
  const noAllowance = { standard: { includedAllowance: '0.00', windowMinutes: 300 }, premium: { includedAllowance: '0.00', windowMinutes: 300 } };

  it('holds the estimate, answers a repeated authorize the same way, and settles on record', async () => {
    const o = await org(enterpriseDoc({ seatTiers: noAllowance }));
    const first = await o.authorize('alice', 'r1');
    expect(first.body).toMatchObject({ allowed: true, mode: 'extra', reservation: { requestId: 'r1', held: '0.07', includedHeld: '0.00', extraHeld: '0.07' } });
    expect((await o.authorize('alice', 'r1')).body).toEqual(first.body);
    const spend = () => scratch.db.prisma.monthlySpend.findMany({ where: { scope: 'member', subject: first.body.memberId } });
    expect((await spend())[0]).toMatchObject({ reservedNanos: 70_000_000n, extraNanos: 0n });
    const rec = await o.record('alice', 'r1');
    expect(rec.body).toMatchObject({ cost: '0.06', extra: '0.06' });
    expect(rec.body.overHold).toBeUndefined();
    expect((await spend())[0]).toMatchObject({ reservedNanos: 0n, extraNanos: 60_000_000n });
  });

  it('never lets concurrent requests take a member past their cap', async () => {
    // Alice's cap: $1.00. Each request holds $0.07 and costs $0.06.
    const doc = enterpriseDoc({ seatTiers: noAllowance });
    const o = await org({ ...doc, members: doc.members.map((m) => (m.externalId === 'alice' ? { ...m, extraUsageCap: '1.00' } : m)) });
    const clients = 64;
    let allowed = 0;
    await Promise.all(Array.from({ length: clients }, async () => {
      for (;;) {
        const id = randomUUID();
        const a = await o.authorize('alice', id);
        if (!a.body.allowed) {
          expect(a.body.reason).toBe('member_cap_reached');
          return;
        }
        allowed++;
        expect((await o.record('alice', id)).status).toBe(200);
      }
    }));
    const db = scratch.db.prisma;
    const orgRow = await o.orgRow();
    const events = await db.usageEvent.aggregate({ where: { orgId: orgRow.id }, _sum: { extraNanos: true }, _count: true });
    const rows = await db.monthlySpend.findMany({ where: { orgId: orgRow.id } });
    // 14 holds of $0.07 fit in $1.00 while each is open; as records settle at $0.06
    // more fit. Whatever the interleaving, spend stays within the cap.
    expect(events._sum.extraNanos!).toBeLessThanOrEqual(1_000_000_000n);
    expect(events._count).toBe(allowed);
    for (const r of rows) {
      expect(r.extraNanos).toBe(events._sum.extraNanos);
      expect(r.reservedNanos).toBe(0n);
    }
    // Nothing more fits: the next $0.07 hold would pass the cap.
    expect(1_000_000_000n - events._sum.extraNanos!).toBeLessThan(70_000_000n);
  });

  it('holds a Team balance, so it never goes below zero', async () => {
    const o = await org(teamDoc({ seatTiers: noAllowance, autoReload: { enabled: false } }));
    await h.call('POST', '/v1/settings/balance/purchases', { token: o.key, actor: 'owner-1', body: { amount: '0.50', idempotencyKey: 'buy' } });
    const results = await Promise.all(Array.from({ length: 20 }, async () => {
      const id = randomUUID();
      const a = await o.authorize('alice', id);
      if (a.body.allowed) await o.record('alice', id);
      return a.body;
    }));
    // Holds are $0.07 and settle at $0.06: 7 holds always fit in $0.50, and an 8th fits
    // when enough records settled before it arrived (how they interleave is the machine's).
    const allowed = results.filter((r) => r.allowed).length;
    expect(allowed).toBeGreaterThanOrEqual(7);
    expect(allowed).toBeLessThanOrEqual(8);
    expect(results.filter((r) => !r.allowed).every((r) => r.reason === 'balance_exhausted')).toBe(true);
    const orgRow = await o.orgRow();
    expect(orgRow.balanceNanos).toBe(500_000_000n - BigInt(allowed) * 60_000_000n);
    expect(orgRow.balanceNanos).toBeGreaterThanOrEqual(0n);
    expect(orgRow.heldBalanceNanos).toBe(0n);
  });

  it('releases a hold whose request never reported back, once it expires', async () => {
    const doc = enterpriseDoc({ seatTiers: noAllowance });
    const o = await org({ ...doc, members: doc.members.map((m) => (m.externalId === 'alice' ? { ...m, extraUsageCap: '0.10' } : m)) });
    expect((await o.authorize('alice', 'lost')).body.allowed).toBe(true);
    expect((await o.authorize('alice', 'next')).body).toMatchObject({ allowed: false, reason: 'member_cap_reached' });
    expect(await releaseExpiredReservations(scratch.db.prisma, new Date(h.clock.now.getTime() + 60_000))).toBe(0);
    expect(await releaseExpiredReservations(scratch.db.prisma, new Date(h.clock.now.getTime() + 11 * 60_000))).toBeGreaterThanOrEqual(1);
    expect((await o.authorize('alice', 'after')).body).toMatchObject({ allowed: true });
  });

  it('holds included allowance first and refuses in a reservation org without an estimate', async () => {
    const o = await org(enterpriseDoc({ extraUsage: { enabled: true, enforcement: 'reserve' } }));
    const plain = await h.call('POST', '/v1/usage/authorize', { token: o.key, body: { member: 'alice', model: HAIKU } });
    expect(plain.status).toBe(422);
    expect(plain.body.error.field).toBe('estimate');
    const noId = await h.call('POST', '/v1/usage/authorize', { token: o.key, body: { member: 'alice', model: HAIKU, estimate: ESTIMATE } });
    expect(noId.body.error.field).toBe('requestId');
    // Alice's standard seat includes $1.00: a $0.07 hold is all included.
    expect((await o.authorize('alice', 'inc')).body).toMatchObject({ allowed: true, mode: 'included', reservation: { includedHeld: '0.07', extraHeld: '0.00' } });
    expect((await o.record('alice', 'inc')).body).toMatchObject({ included: '0.06', extra: '0.00' });
  });

  // Claude Haiku output is $5/MTok: 180,000 max_tokens hold $0.90, and so on.
  const holdOf = (dollars: number) => ({ input_tokens: 0, max_tokens: Math.round(dollars * 200_000) });
  const usageOf = (dollars: number) => ({ input_tokens: 0, output_tokens: Math.round(dollars * 200_000) });
  const capped = (cap: string) => {
    const doc = enterpriseDoc({ seatTiers: noAllowance, extraUsage: { enabled: true, enforcement: 'reserve' } });
    return { ...doc, members: doc.members.map((m) => (m.externalId === 'alice' || m.externalId === 'bob' ? { ...m, extraUsageCap: cap } : m)) };
  };

  /** Everything a record or authorize could change, to show a refused one changed nothing. */
  async function ledgerOf(orgId: string) {
    const db = scratch.db.prisma;
    const [usage, outbox, audit, holds, spend, org] = await Promise.all([
      db.usageEvent.count({ where: { orgId } }),
      db.outboxEvent.count({ where: { orgId } }),
      db.auditEntry.count({ where: { orgId } }),
      db.reservation.findMany({ where: { orgId }, orderBy: { requestId: 'asc' } }),
      db.monthlySpend.findMany({ where: { orgId }, orderBy: [{ scope: 'asc' }, { subject: 'asc' }] }),
      db.organization.findUniqueOrThrow({ where: { id: orgId }, select: { balanceNanos: true, heldBalanceNanos: true } }),
    ]);
    const members = await db.member.findMany({ where: { orgId }, orderBy: { id: 'asc' }, select: { id: true, windowUsedNanos: true, windowHeldNanos: true } });
    return { usage, outbox, audit, holds, spend, org, members };
  }

  it("never settles another member's hold: the filed scenario answers 409 naming member and changes nothing", async () => {
    const o = await org(capped('1.00'));
    const orgId = (await o.orgRow()).id;
    const spendOf = async (memberId: string) =>
      (await scratch.db.prisma.monthlySpend.findFirst({ where: { orgId, scope: 'member', subject: memberId } })) ?? { extraNanos: 0n, reservedNanos: 0n };

    // Alice holds $0.90 under request X.
    const heldX = await o.authorize('alice', 'X', holdOf(0.9));
    expect(heldX.body).toMatchObject({ allowed: true, mode: 'extra', reservation: { requestId: 'X', held: '0.90', extraHeld: '0.90' } });
    const alice = heldX.body.memberId as string;
    const before = await ledgerOf(orgId);

    // Bob's record names X: refused, alice's hold untouched, nothing counted.
    const stolen = await o.record('bob', 'X', usageOf(0.0045));
    expect(stolen.status).toBe(409);
    expect(stolen.body.error).toMatchObject({ code: 'conflict', field: 'member' });
    expect(stolen.body.error.message).toContain("another member's request");
    // Bob's authorize with X does not get alice's answer.
    const replayed = await o.authorize('bob', 'X', holdOf(0.9));
    expect(replayed.status).toBe(409);
    expect(replayed.body.error).toMatchObject({ code: 'conflict', field: 'member' });
    // The single-record path (used when a batch falls back) refuses the same way.
    const direct = await recordUsage(scratch.db.prisma, { orgId, requestId: 'X', member: 'bob', model: HAIKU, usage: usageOf(0.0045), at: h.clock.now }, h.clock.now).catch((e) => e);
    expect(direct).toBeInstanceOf(LedgerError);
    expect(direct).toMatchObject({ status: 409, field: 'member' });
    expect(await ledgerOf(orgId)).toEqual(before);
    expect(await spendOf(alice)).toMatchObject({ extraNanos: 0n, reservedNanos: 900_000_000n });

    // Bob's own cap is whole: a $1.80 hold does not fit in $1.00, a $0.90 one does.
    expect((await o.authorize('bob', 'Y', holdOf(1.8))).body).toMatchObject({ allowed: false, reason: 'member_cap_reached' });
    const heldY = await o.authorize('bob', 'Y2', holdOf(0.9));
    expect(heldY.body).toMatchObject({ allowed: true, reservation: { held: '0.90' } });
    const bob = heldY.body.memberId as string;
    expect((await o.record('bob', 'Y2', usageOf(0.85))).body).toMatchObject({ cost: '0.85', extra: '0.85', memberMonthToDateExtra: '0.85' });
    expect(await spendOf(bob)).toMatchObject({ extraNanos: 850_000_000n, reservedNanos: 0n });

    // Alice's record settles her own hold; she is not refused for bob's usage.
    expect((await o.record('alice', 'X', usageOf(0.0045))).body).toMatchObject({ memberId: alice, cost: '0.0045', memberMonthToDateExtra: '0.0045' });
    expect(await spendOf(alice)).toMatchObject({ extraNanos: 4_500_000n, reservedNanos: 0n });
    expect((await o.authorize('alice', 'Z', holdOf(0.9))).body).toMatchObject({ allowed: true, memberId: alice });
    expect(await spendOf(alice)).toMatchObject({ extraNanos: 4_500_000n, reservedNanos: 900_000_000n });
    // Bob retrying alice's settled record is still a 409 naming member (not a replay of hers).
    const late = await o.record('bob', 'X', usageOf(0.0045));
    expect(late.status).toBe(409);
    expect(late.body.error.field).toBe('member');
    // Alice's own retry is her answer again; bob's authorize with her recorded id is refused.
    expect((await o.record('alice', 'X', usageOf(0.0045))).headers['idempotent-replayed']).toBe('true');
    expect((await o.authorize('bob', 'X', holdOf(0.9))).body.error).toMatchObject({ field: 'member' });

    const db = scratch.db.prisma;
    const holds = await db.reservation.findMany({ where: { orgId }, orderBy: { requestId: 'asc' } });
    expect(holds.map((r) => [r.requestId, r.memberId, r.settledAt !== null])).toEqual([['X', alice, true], ['Y2', bob, true], ['Z', alice, false]]);
    const events = await db.usageEvent.findMany({ where: { orgId }, orderBy: { requestId: 'asc' } });
    expect(events.map((e) => [e.requestId, e.memberId, e.costNanos])).toEqual([['X', alice, 4_500_000n], ['Y2', bob, 850_000_000n]]);
  });

  it("settles a hold once when its member and another member record its requestId at the same time", async () => {
    const o = await org(capped('1.00'));
    const orgId = (await o.orgRow()).id;
    const held = await o.authorize('alice', 'race', holdOf(0.5));
    const [mine, theirs] = await Promise.all([o.record('alice', 'race', usageOf(0.25)), o.record('bob', 'race', usageOf(0.3))]);
    // Whichever arrives first, in one batch or two: alice's settles, bob's is refused.
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ memberId: held.body.memberId, cost: '0.25' });
    expect(theirs.status).toBe(409);
    expect(theirs.body.error.field).toBe('member');
    const spend = await scratch.db.prisma.monthlySpend.findMany({ where: { orgId } });
    expect(spend.map((r) => [r.scope, r.extraNanos, r.reservedNanos]).sort()).toEqual([['member', 250_000_000n, 0n], ['org', 250_000_000n, 0n], ['tier', 250_000_000n, 0n]]);
  });

  it('counts a record that ran past its hold in full and reports the excess (response, outbox, /metrics)', async () => {
    const o = await org(capped('1.00'));
    const orgId = (await o.orgRow()).id;
    // 100 prompt + 100 max output tokens on Haiku hold $0.0007; the request then ran on Opus for $3.00.
    expect((await o.authorize('alice', 'low', { input_tokens: 100, max_tokens: 100 })).body).toMatchObject({ allowed: true, reservation: { held: '0.0007' } });
    const opus = { input_tokens: 0, output_tokens: 120_000 }; // claude-opus-4-5 output at $25/MTok
    const body = { requestId: 'low', member: 'alice', model: 'claude-opus-4-5', usage: opus };
    const rec = await h.call('POST', '/v1/usage/record', { token: o.key, body });
    expect(rec.status).toBe(200);
    expect(rec.body).toMatchObject({ cost: '3.00', extra: '3.00', memberMonthToDateExtra: '3.00', overHold: { held: '0.0007', excess: '2.9993' } });
    const db = scratch.db.prisma;
    const exceeded = await db.outboxEvent.findMany({ where: { orgId, type: 'reservation_exceeded' } });
    expect(exceeded.map((e) => e.payload)).toEqual([
      { memberId: rec.body.memberId, requestId: 'low', period: '2026-11', heldNanos: '700000', costNanos: '3000000000', excessNanos: '2999300000' },
    ]);
    // Usage that happened is never refused: counted in full, the hold settled.
    const spend = await db.monthlySpend.findMany({ where: { orgId } });
    for (const r of spend) expect(r).toMatchObject({ extraNanos: 3_000_000_000n, reservedNanos: 0n });
    // The same answer on a retry, counted once.
    const again = await h.call('POST', '/v1/usage/record', { token: o.key, body });
    expect(again.body).toEqual(rec.body);
    expect(await db.outboxEvent.count({ where: { orgId, type: 'reservation_exceeded' } })).toBe(1);

    // The single-record path reports it too.
    expect((await o.authorize('bob', 'low-2', { input_tokens: 100, max_tokens: 100 })).body.allowed).toBe(true);
    const direct = await recordUsage(db, { orgId, requestId: 'low-2', member: 'bob', model: 'claude-opus-4-5', usage: opus, at: h.clock.now }, h.clock.now);
    expect(direct.overHold).toEqual({ heldNanos: 700_000n, costNanos: 3_000_000_000n, excessNanos: 2_999_300_000n });
    expect(direct.response.overHold).toEqual({ held: '0.0007', excess: '2.9993' });
    expect(await db.outboxEvent.count({ where: { orgId, type: 'reservation_exceeded' } })).toBe(2);

    // The operator sees the API's count (the direct ledger call did not go through it).
    expect((await h.call('GET', '/metrics')).status).toBe(401);
    const metrics = await h.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(metrics.body).toContain(`extra_usage_reservation_excess_total{org="${o.slug}"} 1\n`);
    expect(metrics.body).toContain(`extra_usage_reservation_excess_nanos_total{org="${o.slug}"} 2999300000\n`);
  });
});

