// Team auto-reload, level-triggered, on a real Temporal dev server with the real
// worker and the real outbox relay: usage is recorded through the ledger, the balance
// watch writes auto_reload_wanted once per episode, and the org's one episode workflow
// (auto-reload/<org>) charges the payment port. Each stranded-balance case of issue 12
// ends with one reload or one owner notice.
import { WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeUsage } from '../../src/ledger/metering/authorize.js';
import { setBalanceWarning } from '../../src/ledger/settings/balance-warning.js';
import { creditBalance } from '../../src/ledger/settings/balance.js';
import { recordUsage } from '../../src/ledger/metering/record.js';
import { setAutoReload } from '../../src/ledger/settings/settings.js';
import { requestService } from '../../src/services/requests.js';
import { resumeAutoReloads, teamAutoReloadId, type AutoReloadOptions } from '../../src/temporal/auto-reload.js';
import { orgSlugOf } from '../../src/temporal/names.js';
import { startOutboxRelay, type OutboxRelay } from '../../src/temporal/outbox-relay.js';
import { outboxRoutes } from '../../src/temporal/outbox-routes.js';
import type { TeamAutoReloadResult } from '../../workflows/team-auto-reload.js';
import { BACKENDS, migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { HAIKU, teamDoc, usageOfCents } from '../support/fixtures.js';
import { provision } from '../support/ledger.js';
import { recordingNotifier } from '../support/recording-notifier.js';
import { devServerEnv, testWorker } from '../support/temporal.js';
import { flakyPayments } from '../support/payments.js';
import { PaymentDeclined, PaymentPending, type PaymentProvider } from '../../src/payments/port.js';

const USD = 1_000_000_000n;
const DAY = 24 * 3600_000;
/** Fast payment policy: a round is 2 charge attempts; 2 rounds per episode, 300 ms back-off. */
const FAST: AutoReloadOptions = { maximumAttempts: 2, initialIntervalMs: 50, rounds: 2, backoffMs: 300 };

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await devServerEnv();
});
afterAll(async () => {
  await env?.teardown();
});

/** Polls `check` until it holds (bounded): waiting on a condition, never a fixed sleep. */
async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Everything one database needs: a worker, a relay with a fast payment policy. */
async function rig(open: () => Promise<Scratch>) {
  const scratch = await migrated(open);
  const db = scratch.db.prisma;
  const notifier = recordingNotifier();
  const payments = flakyPayments(db);
  // Errors the processor answers an org's next charges with, before flakyPayments' rules apply.
  const scripted = new Map<string, Error[]>();
  const keysCharged: string[] = [];
  const provider: PaymentProvider = {
    async charge(req) {
      keysCharged.push(req.idempotencyKey);
      const next = scripted.get(req.orgId)?.shift();
      if (next) throw next;
      return payments.provider.charge(req);
    },
  };
  const worker = await testWorker(env, { db, notifier, payments: provider, now: () => new Date() });
  const requests = requestService({ db, client: env.client, taskQueue: worker.taskQueue, timings: { remindAfterMs: DAY, expireAfterMs: 7 * DAY }, now: () => new Date() });
  const ctx = { db, client: env.client, taskQueue: worker.taskQueue, requests };
  const relay: OutboxRelay = startOutboxRelay(ctx, outboxRoutes({ autoReload: FAST }), { intervalMs: 3_600_000, log: () => {} });
  let n = 0;

  /** A team org (threshold $10, reload $50 unless told) with `bought` dollars and Alice's included $1 used up. */
  async function teamOrg(autoReload: object = {}, bought = 20n) {
    const o = await provision(db, `team-${++n}-${Date.now()}`, teamDoc({ autoReload: { enabled: true, threshold: '10.00', amount: '50.00', ...autoReload } as never }));
    if (bought > 0n) await buy(o.orgId, bought, 'seed');
    await spend(o.orgId, 100);
    return o;
  }
  async function buy(orgId: string, dollars: bigint, key: string) {
    const org = await db.organization.findUniqueOrThrow({ where: { id: orgId } });
    await creditBalance(db, org, { kind: 'purchase', amountNanos: dollars * USD, idempotencyKey: key, actor: 'test' });
  }
  let r = 0;
  const spend = (orgId: string, cents: number) => recordUsage(db, { orgId, requestId: `r-${++r}`, member: 'alice', model: HAIKU, usage: usageOfCents(cents) });

  const episode = async (orgId: string) => env.client.workflow.getHandle(teamAutoReloadId(await orgSlugOf(db, orgId)));
  const latestRun = async (orgId: string) => {
    try {
      return await (await episode(orgId)).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
  };
  const running = async (orgId: string) => (await latestRun(orgId))?.status.name === 'RUNNING';
  const awaited = new Set<string>();
  /**
   * Delivers the outbox and waits for each episode run it started (even one that
   * ended at once), until nothing is left to deliver; returns their results.
   */
  async function settle(orgId: string): Promise<TeamAutoReloadResult[]> {
    const results: TeamAutoReloadResult[] = [];
    for (let i = 0; i < 20; i++) {
      const published = await relay.drain();
      const run = await latestRun(orgId);
      if (run && !awaited.has(run.runId)) {
        awaited.add(run.runId);
        results.push(await env.client.workflow.getHandle(run.workflowId, run.runId).result());
        continue;
      }
      if (published === 0 && run?.status.name !== 'RUNNING') return results;
    }
    throw new Error('the org never settled');
  }

  const balanceOf = async (orgId: string) => (await db.organization.findUniqueOrThrow({ where: { id: orgId } })).balanceNanos;
  const alerts = (orgId: string, kind: string) => notifier.of('alert').filter((a) => a.alert.orgId === orgId && a.alert.kind === kind);
  /** Waits until the org has `count` alerts of a kind (they are sent by workflows of their own). */
  const told = async (orgId: string, kind: string, count = 1) => {
    await until(`${count} ${kind} alert(s)`, () => alerts(orgId, kind).length >= count);
    return alerts(orgId, kind);
  };
  const counts = async (orgId: string) => ({
    charges: await db.paymentCharge.count({ where: { orgId } }),
    reloads: await db.balanceEntry.count({ where: { orgId, kind: 'reload' } }),
  });
  /** Charges go through from now on. */
  const cardFixed = (orgId: string) => payments.failures.set(orgId, payments.calls.get(orgId) ?? 0);

  return {
    db, notifier, payments, scripted, keysCharged, relay, teamOrg, buy, spend, settle, running, balanceOf, alerts, told, counts, cardFixed, taskQueue: worker.taskQueue,
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

  it('makes exactly one charge when 100 concurrent records take the balance below the threshold', async () => {
    const o = await t.teamOrg();
    // 100 x $0.15 = $15 of extra usage: $20 -> $5; most of them record below the threshold.
    await Promise.all(Array.from({ length: 100 }, () => t.spend(o.orgId, 15)));
    expect(await t.db.outboxEvent.count({ where: { orgId: o.orgId, type: 'auto_reload_wanted' } })).toBe(1);

    const [episode, ...more] = await t.settle(o.orgId);
    expect(more).toEqual([]);
    expect(episode).toEqual({ outcome: 'above_threshold', reloads: 1, failedRounds: 0, lastError: null });
    expect(await t.counts(o.orgId)).toEqual({ charges: 1, reloads: 1 });
    expect(await t.balanceOf(o.orgId)).toBe(55n * USD);
    const charge = await t.db.paymentCharge.findFirstOrThrow({ where: { orgId: o.orgId } });
    expect(charge.amountNanos).toBe(50n * USD);
    expect(charge.idempotencyKey).toMatch(new RegExp(`^auto-reload/${o.orgId}/[^/]+/1$`));

    // Delivering every event again charges nothing more.
    await t.db.outboxEvent.updateMany({ where: { orgId: o.orgId }, data: { publishedAt: null } });
    for (const again of await t.settle(o.orgId)) expect(again).toMatchObject({ outcome: 'above_threshold', reloads: 0 });
    expect(await t.counts(o.orgId)).toEqual({ charges: 1, reloads: 1 });
    const succeeded = await t.told(o.orgId, 'reload_succeeded');
    expect(succeeded).toHaveLength(1);
    expect(succeeded[0]!.to.map((p) => p.externalId)).toEqual(['owner-1']);
    expect(succeeded[0]!.alert.facts).toMatchObject({ Amount: '$50.00', Balance: '$55.00' });
    expect(await t.told(o.orgId, 'balance_low')).toHaveLength(1); // the crossing
  }, 120_000);
});

describe('stranded balances each end with one reload or one notice', () => {
  let t: Awaited<ReturnType<typeof rig>>;
  beforeAll(async () => {
    t = await rig(scratchPglite);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('(a) reloads when auto-reload is turned on while the balance is already below the threshold', async () => {
    const o = await t.teamOrg({ enabled: false, threshold: null, amount: null }, 8n); // $8 (Alice's $1 was included)
    expect(await t.settle(o.orgId)).toEqual([]);
    const org = await t.db.organization.findUniqueOrThrow({ where: { id: o.orgId } });
    await setAutoReload(t.db, org, await o.member('owner-1'), { enabled: true, thresholdNanos: 10n * USD, amountNanos: 50n * USD });
    expect((await t.settle(o.orgId)).map((e) => e.outcome)).toEqual(['above_threshold']);
    expect(await t.counts(o.orgId)).toEqual({ charges: 1, reloads: 1 });
    expect(await t.balanceOf(o.orgId)).toBe(58n * USD);
  }, 60_000);

  it('(c) retries a failed payment after its back-off in the same episode, and tells owners once', async () => {
    const o = await t.teamOrg();
    t.payments.failures.set(o.orgId, 2); // the whole first round (2 attempts) is declined
    await t.spend(o.orgId, 1500); // $20 -> $5
    const [episode] = await t.settle(o.orgId);
    expect(episode).toEqual({ outcome: 'above_threshold', reloads: 1, failedRounds: 1, lastError: 'card declined' });
    expect(t.payments.calls.get(o.orgId)).toBe(3);
    expect(await t.counts(o.orgId)).toEqual({ charges: 1, reloads: 1 });
    expect(await t.balanceOf(o.orgId)).toBe(55n * USD);
    const failed = await t.told(o.orgId, 'reload_failed');
    await t.told(o.orgId, 'reload_succeeded');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.alert.facts).toMatchObject({ Amount: '$50.00', Balance: '$5.00', Error: 'card declined' });
  }, 60_000);

  it('tries a charge that is sent but not confirmed again under the same key: one charge, nobody told of a failure', async () => {
    const o = await t.teamOrg();
    const pending = () => new PaymentPending('payment pi_1 is not confirmed by the webhook yet');
    // More than a round's attempts: still the same reload, never a new key.
    t.scripted.set(o.orgId, [pending(), pending(), pending(), pending(), pending()]);
    await t.spend(o.orgId, 1500); // $20 -> $5
    const [episode] = await t.settle(o.orgId);
    expect(episode).toEqual({ outcome: 'above_threshold', reloads: 1, failedRounds: 0, lastError: null });
    const keys = t.keysCharged.filter((k) => k.startsWith(`auto-reload/${o.orgId}/`));
    expect(keys).toHaveLength(6);
    expect(new Set(keys).size).toBe(1);
    expect(await t.counts(o.orgId)).toEqual({ charges: 1, reloads: 1 });
    await t.told(o.orgId, 'reload_succeeded');
    expect(t.alerts(o.orgId, 'reload_failed')).toEqual([]);
  }, 60_000);

  it('takes a decline as final for its key: one try per round, owners told the processor\'s reason once', async () => {
    const o = await t.teamOrg();
    t.scripted.set(o.orgId, [new PaymentDeclined('your card has insufficient funds'), new PaymentDeclined('your card has insufficient funds')]);
    await t.spend(o.orgId, 1500); // $20 -> $5
    const [episode] = await t.settle(o.orgId);
    expect(episode).toMatchObject({ outcome: 'failed', reloads: 0, failedRounds: 2, lastError: 'your card has insufficient funds' });
    const keys = t.keysCharged.filter((k) => k.startsWith(`auto-reload/${o.orgId}/`));
    expect(keys).toHaveLength(2); // one per round, each under its own key
    expect(new Set(keys).size).toBe(2);
    const failed = await t.told(o.orgId, 'reload_failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.alert.facts).toMatchObject({ Error: 'your card has insufficient funds' });
  }, 60_000);

  it('(c) after an episode that gave up, tells owners once for all its rounds, and the next record reloads', async () => {
    const o = await t.teamOrg();
    t.payments.failures.set(o.orgId, Infinity);
    await t.spend(o.orgId, 1500); // $20 -> $5
    const [gaveUp] = await t.settle(o.orgId);
    expect(gaveUp).toEqual({ outcome: 'failed', reloads: 0, failedRounds: 2, lastError: 'card declined' });
    expect(t.payments.calls.get(o.orgId)).toBe(4); // 2 rounds x 2 attempts
    expect(await t.counts(o.orgId)).toEqual({ charges: 0, reloads: 0 });
    const failed = await t.told(o.orgId, 'reload_failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.to.map((p) => p.externalId)).toEqual(['owner-1']);
    expect(failed[0]!.alert.text).toContain('card declined');
    // Still allowed while money is left.
    expect(await authorizeUsage(t.db, { orgId: o.orgId, member: 'alice', model: HAIKU, at: new Date() })).toMatchObject({ allowed: true, mode: 'extra' });

    // The card works again; the next record below the threshold opens a new episode.
    t.cardFixed(o.orgId);
    await t.spend(o.orgId, 10);
    expect((await t.settle(o.orgId)).map((e) => e.outcome)).toEqual(['above_threshold']);
    expect(await t.counts(o.orgId)).toEqual({ charges: 1, reloads: 1 });
    expect(await t.balanceOf(o.orgId)).toBe(5n * USD - 100_000_000n + 50n * USD);
    expect(t.alerts(o.orgId, 'reload_failed')).toHaveLength(1);
  }, 60_000);

  it('(b) reloads after a small purchase that leaves the balance below the threshold', async () => {
    const o = await t.teamOrg();
    t.payments.failures.set(o.orgId, Infinity);
    await t.spend(o.orgId, 1500); // $5
    expect((await t.settle(o.orgId)).map((e) => e.outcome)).toEqual(['failed']);
    await t.spend(o.orgId, 600); // -$1: the last request takes it past zero, and nothing reloads
    expect(await authorizeUsage(t.db, { orgId: o.orgId, member: 'alice', model: HAIKU, at: new Date() })).toMatchObject({ allowed: false, reason: 'balance_exhausted' });
    await t.settle(o.orgId); // the record after giving up opened an episode, which gave up too
    const callsBefore = t.payments.calls.get(o.orgId)!;

    t.cardFixed(o.orgId);
    await t.buy(o.orgId, 3n, 'small'); // $2: still below
    expect((await t.settle(o.orgId)).map((e) => e.outcome)).toEqual(['above_threshold']);
    expect(t.payments.calls.get(o.orgId)).toBe(callsBefore + 1);
    expect(await t.counts(o.orgId)).toEqual({ charges: 1, reloads: 1 });
    expect(await t.balanceOf(o.orgId)).toBe(52n * USD);
  }, 60_000);

  it('waits at the monthly reload limit (told once) and reloads as soon as an owner raises it', async () => {
    const o = await t.teamOrg({ monthlyLimit: 1 });
    await t.spend(o.orgId, 1500); // $20 -> $5: reloaded to $55
    expect((await t.settle(o.orgId)).map((e) => e.outcome)).toEqual(['above_threshold']);
    await t.spend(o.orgId, 4600); // $55 -> $9: the limit is reached
    await t.relay.drain();
    const limit = await t.told(o.orgId, 'reload_limit_reached');
    // The older count form (1 reload of $50) is kept as money: $50.00 a month.
    expect(limit[0]!.alert.facts).toMatchObject({ 'Monthly limit': '$50.00' });
    expect(await t.running(o.orgId)).toBe(true); // waiting for next month
    await t.buy(o.orgId, 1n, 'top-up'); // $10: still at the threshold; the episode looks again, still limited
    await t.relay.drain();
    expect(await t.counts(o.orgId)).toEqual({ charges: 1, reloads: 1 });

    const org = await t.db.organization.findUniqueOrThrow({ where: { id: o.orgId } });
    await setAutoReload(t.db, org, await o.member('owner-1'), { enabled: true, thresholdNanos: 10n * USD, amountNanos: 50n * USD, monthlyLimit: 2 });
    expect((await t.settle(o.orgId)).map((e) => e.outcome)).toEqual(['above_threshold']);
    expect(await t.counts(o.orgId)).toEqual({ charges: 2, reloads: 2 });
    expect(await t.balanceOf(o.orgId)).toBe(60n * USD);
    expect(t.alerts(o.orgId, 'reload_limit_reached')).toHaveLength(1);
  }, 60_000);

  it('at service start, reloads an org left below its threshold with no episode running', async () => {
    const o = await t.teamOrg();
    await t.spend(o.orgId, 1500); // $5
    // As if the service had stopped before the relay delivered the event.
    await t.db.outboxEvent.updateMany({ where: { orgId: o.orgId }, data: { publishedAt: new Date() } });
    expect(await t.running(o.orgId)).toBe(false);
    const resumed = await resumeAutoReloads(env.client, t.db, t.taskQueue, FAST);
    expect(resumed.requested).toContain(o.orgId);
    expect(resumed.failed).toEqual([]);
    expect((await t.settle(o.orgId)).map((e) => e.outcome)).toEqual(['above_threshold']);
    expect(await t.counts(o.orgId)).toEqual({ charges: 1, reloads: 1 });
  }, 60_000);

  it('(d) auto-reload off: owners are told once below their warning level and once when it is exhausted', async () => {
    const o = await t.teamOrg({ enabled: false, threshold: null, amount: null });
    const org = await t.db.organization.findUniqueOrThrow({ where: { id: o.orgId } });
    await setBalanceWarning(t.db, org, await o.member('owner-1'), 5n * USD);
    for (const cents of [1000, 600, 100, 100]) await t.spend(o.orgId, cents); // $20 -> $10 -> $4 -> $3 -> $2
    await t.relay.drain();
    const warned = await t.told(o.orgId, 'balance_low');
    expect(warned).toHaveLength(1);
    expect(warned[0]!.alert.title).toContain('below $5.00');
    expect(warned[0]!.alert.facts).toMatchObject({ Balance: '$4.00', 'Warning level': '$5.00' });
    expect(warned[0]!.to.map((p) => p.externalId)).toEqual(['owner-1']);

    await t.spend(o.orgId, 200); // $0
    await t.spend(o.orgId, 50); // refused from here on; a record still counts
    await t.relay.drain();
    const both = await t.told(o.orgId, 'balance_low', 2);
    expect(both[1]!.alert.title).toContain('used up');
    await t.settle(o.orgId);
    expect(t.alerts(o.orgId, 'balance_low')).toHaveLength(2);
    expect(await t.running(o.orgId)).toBe(false);
    expect(await t.counts(o.orgId)).toEqual({ charges: 0, reloads: 0 });
  }, 60_000);
});
