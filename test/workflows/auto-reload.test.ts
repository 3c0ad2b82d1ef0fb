// Team auto-reload on a real Temporal dev server with the real worker and the real
// outbox relay: usage is recorded through the ledger, its balance_below_threshold
// event starts the reload, and the payment port is charged once per crossing.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeUsage } from '../../src/ledger/authorize.js';
import { creditBalance } from '../../src/ledger/balance.js';
import { recordUsage } from '../../src/ledger/record.js';
import { requestService } from '../../src/services/requests.js';
import { startOutboxRelay, type OutboxRelay } from '../../src/temporal/outbox-relay.js';
import { outboxRoutes } from '../../src/temporal/outbox-routes.js';
import type { AutoReloadResult } from '../../workflows/auto-reload.js';
import { BACKENDS, migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { HAIKU, teamDoc, usageOfCents } from '../support/fixtures.js';
import { provision } from '../support/ledger.js';
import { recordingNotifier, type RecordingNotifier } from '../support/recording-notifier.js';
import { devServerEnv, testWorker } from '../support/temporal.js';
import { flakyPayments } from '../support/payments.js';

const USD = 1_000_000_000n;
const DAY = 24 * 3600_000;

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await devServerEnv();
});
afterAll(async () => {
  await env?.teardown();
});

/** Everything one database needs: a worker, a relay with a fast payment retry policy. */
async function rig(open: () => Promise<Scratch>) {
  const scratch = await migrated(open);
  const db = scratch.db.prisma;
  const notifier = recordingNotifier();
  const payments = flakyPayments(db);
  const worker = await testWorker(env, { db, notifier, payments: payments.provider, now: () => new Date() });
  const requests = requestService({ db, client: env.client, taskQueue: worker.taskQueue, timings: { remindAfterMs: DAY, expireAfterMs: 7 * DAY }, now: () => new Date() });
  const routes = outboxRoutes({ autoReload: { maximumAttempts: 3, initialIntervalMs: 100 } });
  const ctx = { db, client: env.client, taskQueue: worker.taskQueue, requests };
  const relay: OutboxRelay = startOutboxRelay(ctx, routes, { intervalMs: 3_600_000, log: () => {} });
  let n = 0;

  /** A team org (threshold $10, reload $50) with $20 bought and Alice's included $1 used up. */
  async function teamOrg(autoReload: { monthlyLimit?: number | null } = {}) {
    const o = await provision(db, `team-${++n}-${Date.now()}`, teamDoc({ autoReload: { enabled: true, threshold: '10.00', amount: '50.00', ...autoReload } }));
    const org = await db.organization.findUniqueOrThrow({ where: { id: o.orgId } });
    await creditBalance(db, org, { kind: 'purchase', amountNanos: 20n * USD, idempotencyKey: 'seed', actor: 'test' });
    await spend(o.orgId, 100);
    return o;
  }
  let r = 0;
  const spend = (orgId: string, cents: number) => recordUsage(db, { orgId, requestId: `r-${++r}`, member: 'alice', model: HAIKU, usage: usageOfCents(cents) });

  /** Delivers the outbox and waits for every reload and alert workflow of the org. */
  async function settle(orgId: string): Promise<AutoReloadResult[]> {
    await relay.drain();
    const events = await db.outboxEvent.findMany({ where: { orgId, type: { in: ['balance_below_threshold', 'seat_limit_reached'] } }, orderBy: { id: 'asc' } });
    const reloads: AutoReloadResult[] = [];
    for (const e of events) {
      if (e.type === 'balance_below_threshold') reloads.push(await env.client.workflow.getHandle(`auto-reload/${orgId}/${e.id}`).result());
      await env.client.workflow.getHandle(`alert/${orgId}/${e.id}`).result();
    }
    return reloads;
  }

  const balanceOf = async (orgId: string) => (await db.organization.findUniqueOrThrow({ where: { id: orgId } })).balanceNanos;
  const alerts = (orgId: string, kind: string) => notifier.of('alert').filter((a) => a.alert.orgId === orgId && a.alert.kind === kind);
  const counts = async (orgId: string) => ({
    charges: await db.paymentCharge.count({ where: { orgId } }),
    reloads: await db.balanceEntry.count({ where: { orgId, kind: 'reload' } }),
  });

  return {
    db, notifier, payments, relay, teamOrg, spend, settle, balanceOf, alerts, counts,
    async dispose() {
      await relay.stop();
      await worker.stop();
      await scratch.dispose();
    },
  };
}

describe.each(BACKENDS)('auto-reload under a burst of records ($kind)', ({ open }) => {
  let t: Awaited<ReturnType<typeof rig>>;
  beforeAll(async () => {
    t = await rig(open);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('gives exactly one charge and one reload when 100 concurrent records cross the threshold', async () => {
    const o = await t.teamOrg();
    // 100 x $0.15 = $15 of extra usage: $20 -> $5, crossing the $10 threshold once.
    await Promise.all(Array.from({ length: 100 }, () => t.spend(o.orgId, 15)));
    expect(await t.db.outboxEvent.count({ where: { orgId: o.orgId, type: 'balance_below_threshold' } })).toBe(1);

    const [reload] = await t.settle(o.orgId);
    expect(reload).toEqual({ outcome: 'reloaded', amountNanos: String(50n * USD), balanceAfterNanos: String(55n * USD) });
    expect(await t.counts(o.orgId)).toEqual({ charges: 1, reloads: 1 });
    expect(await t.balanceOf(o.orgId)).toBe(55n * USD);
    const charge = await t.db.paymentCharge.findFirstOrThrow({ where: { orgId: o.orgId } });
    expect(charge).toMatchObject({ amountNanos: 50n * USD, idempotencyKey: `auto-reload/${o.orgId}/${(await t.db.outboxEvent.findFirstOrThrow({ where: { orgId: o.orgId, type: 'balance_below_threshold' } })).id}` });

    // Delivering the same events again changes nothing.
    await t.db.outboxEvent.updateMany({ where: { orgId: o.orgId }, data: { publishedAt: null } });
    await t.settle(o.orgId);
    expect(await t.counts(o.orgId)).toEqual({ charges: 1, reloads: 1 });
    expect(await t.balanceOf(o.orgId)).toBe(55n * USD);
    const told = t.alerts(o.orgId, 'reload_succeeded');
    expect(told).toHaveLength(1);
    expect(told[0]!.to.map((p) => p.externalId)).toEqual(['owner-1']);
    expect(told[0]!.alert.facts).toMatchObject({ Amount: '$50.00', Balance: '$55.00' });
    expect(t.alerts(o.orgId, 'balance_low')).toHaveLength(1);
  }, 120_000);
});

describe('auto-reload payments and limits', () => {
  let t: Awaited<ReturnType<typeof rig>>;
  beforeAll(async () => {
    t = await rig(scratchPglite);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('retries a payment that fails twice and charges once', async () => {
    const o = await t.teamOrg();
    t.payments.failures.set(o.orgId, 2);
    await t.spend(o.orgId, 1500);
    const [reload] = await t.settle(o.orgId);
    expect(reload!.outcome).toBe('reloaded');
    expect(t.payments.calls.get(o.orgId)).toBe(3);
    expect(await t.counts(o.orgId)).toEqual({ charges: 1, reloads: 1 });
    expect(await t.balanceOf(o.orgId)).toBe(55n * USD);
    expect(t.alerts(o.orgId, 'reload_succeeded')).toHaveLength(1);
    expect(t.alerts(o.orgId, 'reload_failed')).toHaveLength(0);
  }, 60_000);

  it('alerts owners once when the payment keeps failing, and extra usage stops at zero balance', async () => {
    const o = await t.teamOrg();
    t.payments.failures.set(o.orgId, Infinity);
    await t.spend(o.orgId, 1500); // $20 -> $5
    const [reload] = await t.settle(o.orgId);
    expect(reload).toEqual({ outcome: 'failed', amountNanos: String(50n * USD), error: 'card declined' });
    expect(t.payments.calls.get(o.orgId)).toBe(3);
    expect(await t.counts(o.orgId)).toEqual({ charges: 0, reloads: 0 });

    await t.db.outboxEvent.updateMany({ where: { orgId: o.orgId }, data: { publishedAt: null } });
    await t.settle(o.orgId);
    const failed = t.alerts(o.orgId, 'reload_failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.to.map((p) => p.externalId)).toEqual(['owner-1']);
    expect(failed[0]!.alert.facts).toMatchObject({ Amount: '$50.00', Balance: '$5.00', Error: 'card declined' });

    // Still allowed while money is left; the request that takes it past zero is the last.
    expect(await authorizeUsage(t.db, { orgId: o.orgId, member: 'alice', model: HAIKU, at: new Date() })).toMatchObject({ allowed: true, mode: 'extra' });
    await t.spend(o.orgId, 600); // $5 -> -$1
    expect(await t.balanceOf(o.orgId)).toBe(-1n * USD);
    expect(await authorizeUsage(t.db, { orgId: o.orgId, member: 'alice', model: HAIKU, at: new Date() })).toMatchObject({ allowed: false, reason: 'balance_exhausted', resetsAt: null });
  }, 60_000);

  it('stops at the monthly reload limit and tells owners once that month', async () => {
    const o = await t.teamOrg({ monthlyLimit: 1 });
    const org = await t.db.organization.findUniqueOrThrow({ where: { id: o.orgId } });
    // One crossing at a time: each reload settles before the next crossing.
    await t.spend(o.orgId, 1500); // $20 -> $5: reloaded to $55
    await t.settle(o.orgId);
    await t.spend(o.orgId, 4600); // $55 -> $9: over the limit
    await t.settle(o.orgId);
    await creditBalance(t.db, org, { kind: 'purchase', amountNanos: 10n * USD, idempotencyKey: 'top-up', actor: 'test' }); // $19
    await t.spend(o.orgId, 1000); // $19 -> $9: over the limit again
    const reloads = await t.settle(o.orgId);
    expect(reloads.map((r) => r.outcome)).toEqual(['reloaded', 'limit_reached', 'limit_reached']);
    expect(await t.counts(o.orgId)).toEqual({ charges: 1, reloads: 1 });
    expect(await t.balanceOf(o.orgId)).toBe(9n * USD);
    const limit = t.alerts(o.orgId, 'reload_limit_reached');
    expect(limit).toHaveLength(1);
    expect(limit[0]!.to.map((p) => p.externalId)).toEqual(['owner-1']);
    expect(limit[0]!.alert.facts).toMatchObject({ 'Monthly limit': '1' });
  }, 60_000);

  it('skips the reload when the balance was topped up before it ran', async () => {
    const o = await t.teamOrg();
    const org = await t.db.organization.findUniqueOrThrow({ where: { id: o.orgId } });
    await t.spend(o.orgId, 1500); // $20 -> $5
    await creditBalance(t.db, org, { kind: 'purchase', amountNanos: 100n * USD, idempotencyKey: 'top-up', actor: 'test' });
    const [reload] = await t.settle(o.orgId);
    expect(reload).toEqual({ outcome: 'skipped', reason: 'above_threshold' });
    expect(await t.counts(o.orgId)).toEqual({ charges: 0, reloads: 0 });
    expect(t.alerts(o.orgId, 'reload_succeeded')).toHaveLength(0);
  }, 60_000);
});
