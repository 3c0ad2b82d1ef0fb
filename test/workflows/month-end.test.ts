// The month-end workflow with the real worker: on the Temporal dev server it closes
// the month before the one it started in (org timezone), the invoice is read back
// through the API, running it twice changes nothing and members paused by their cap
// are told once. On the time-skipping server the same workflow runs, and a notifier
// that keeps failing does not hold the month open.
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities/index.js';
import type { ActivityDeps } from '../../src/activities/deps.js';
import { previousPeriod } from '../../src/domain/invoices.js';
import { periodOf, periodStart } from '../../src/domain/periods.js';
import { recordUsage } from '../../src/ledger/metering/record.js';
import { ledgerOnlyPayments } from '../../src/payments/port.js';
import { workflowBundle } from '../../src/temporal/worker.js';
import { monthEndWorkflowId, type MonthEndInput, type MonthEndResult } from '../../workflows/month-end.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, harness, HAIKU, usageOfCents, type Harness } from '../support/fixtures.js';
import { recordingNotifier, type RecordingNotifier } from '../support/recording-notifier.js';
import { devServerEnv, suiteWorkflowBundle, testWorker, timeSkippingEnv } from '../support/temporal.js';

const TZ = 'Europe/Paris';

let scratch: Scratch;
let h: Harness;
beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  h = await harness(scratch.db.prisma);
});
afterAll(async () => {
  await h?.close();
  await scratch?.dispose();
});

let n = 0;
/** An enterprise org in Paris whose last month has Alice at her $50 cap and Bob (uncapped) a cent over his allowance. */
async function orgWithLastMonth() {
  const slug = `month-end-${++n}-${randomUUID().slice(0, 8)}`;
  const { orgId } = await h.provision(slug, enterpriseDoc());
  const key = await h.issueKey(slug);
  // The month before the one the workflow will start in (now), in Paris.
  const period = previousPeriod(periodOf(new Date(), TZ));
  const at = new Date(periodStart(period, TZ).getTime() + 10 * 24 * 3600_000);
  const record = (member: string, cents: number) => recordUsage(scratch.db.prisma, { orgId, requestId: randomUUID(), member, model: HAIKU, usage: usageOfCents(cents), at });
  await record('alice', 100); // allowance
  await record('alice', 5_000); // $50.00 extra: her cap, so she is paused
  await record('bob', 300); // allowance
  await record('bob', 1); // $0.01 extra
  const alice = await scratch.db.prisma.member.findUniqueOrThrow({ where: { orgId_externalId: { orgId, externalId: 'alice' } } });
  return { orgId, key, period, alice };
}

function depsWith(notifier: RecordingNotifier | ActivityDeps['notifier']): ActivityDeps {
  return { db: scratch.db.prisma, notifier, payments: ledgerOnlyPayments(scratch.db.prisma), now: () => new Date() };
}

const reactivations = (notifier: RecordingNotifier, memberId: string) =>
  notifier.of('alert').filter((a) => a.alert.kind === 'member_reactivated' && a.alert.member?.memberId === memberId);

describe('month-end workflow on the dev server', () => {
  let env: TestWorkflowEnvironment;
  let notifier: RecordingNotifier;
  let worker: Awaited<ReturnType<typeof testWorker>>;
  beforeAll(async () => {
    env = await devServerEnv();
    notifier = recordingNotifier();
    worker = await testWorker(env, depsWith(notifier));
  });
  afterAll(async () => {
    await worker?.stop();
    await env?.teardown();
  });

  const run = (input: MonthEndInput, workflowId: string) =>
    env.client.workflow.execute('monthEnd', { taskQueue: worker.taskQueue, workflowId, args: [input] }) as Promise<MonthEndResult>;

  it('closes last month into an invoice readable from the API, and tells the member her cap paused that she is active again', async () => {
    const o = await orgWithLastMonth();
    const result = await run({ orgId: o.orgId }, monthEndWorkflowId(o.orgId, o.period));
    expect(result).toMatchObject({ period: o.period, invoice: { kind: 'invoice', period: o.period, subtotal: '50.01', total: '50.01', created: true }, notifyFailed: [] });
    expect(result.reactivated).toEqual([{ memberId: o.alice.id, outcome: 'sent' }]);

    const res = await h.call('GET', `/v1/invoices/${o.period}`, { token: o.key, actor: 'admin-1' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ period: o.period, kind: 'invoice', subtotal: '50.01', total: '50.01' });
    expect(res.body.lines.map((l: { description: string; amount: string; eventCount: number }) => [l.description, l.amount, l.eventCount])).toEqual([
      ['Alice · claude-haiku-4-5', '50.00', 1],
      ['Bob · claude-haiku-4-5', '0.01', 1],
    ]);
    expect((await h.call('GET', '/v1/invoices', { token: o.key, actor: 'owner-1' })).body.invoices.map((i: { period: string }) => i.period)).toEqual([o.period]);
    // Members cannot read invoices; a month not closed is a 404; a bad month a 400.
    expect((await h.call('GET', `/v1/invoices/${o.period}`, { token: o.key, actor: 'alice' })).status).toBe(403);
    expect((await h.call('GET', '/v1/invoices/2020-01', { token: o.key, actor: 'admin-1' })).status).toBe(404);
    expect((await h.call('GET', '/v1/invoices/2020-13', { token: o.key, actor: 'admin-1' })).status).toBe(400);

    const told = reactivations(notifier, o.alice.id);
    expect(told).toHaveLength(1);
    expect(told[0]!.to.map((p) => p.externalId)).toEqual(['alice']);
    expect(told[0]!.alert).toMatchObject({ orgId: o.orgId, title: 'Your extra usage is active again', facts: { Month: o.period, 'Your cap': '$50.00' } });

    // The recorded history replays against today's workflow code (a determinism guard).
    const history = await env.client.workflow.getHandle(monthEndWorkflowId(o.orgId, o.period)).fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle(suiteWorkflowBundle()) }, history);
  });

  it('run twice for the same month (same workflow id again, and another id) gives one invoice and tells the member once', async () => {
    const o = await orgWithLastMonth();
    const first = await run({ orgId: o.orgId }, monthEndWorkflowId(o.orgId, o.period));
    const again = await run({ orgId: o.orgId }, monthEndWorkflowId(o.orgId, o.period));
    const explicit = await run({ orgId: o.orgId, period: o.period }, `${monthEndWorkflowId(o.orgId, o.period)}/manual`);
    expect(first.invoice.created).toBe(true);
    expect([again.invoice.created, explicit.invoice.created]).toEqual([false, false]);
    expect(new Set([first, again, explicit].map((r) => r.invoice.id)).size).toBe(1);
    expect(again.reactivated).toEqual([{ memberId: o.alice.id, outcome: 'already_sent' }]);
    expect(await scratch.db.prisma.invoice.count({ where: { orgId: o.orgId } })).toBe(1);
    expect(reactivations(notifier, o.alice.id)).toHaveLength(1);
    const delivery = await scratch.db.prisma.alertDelivery.findUniqueOrThrow({ where: { orgId_dedupeKey: { orgId: o.orgId, dedupeKey: `reactivated:${o.alice.id}:${o.period}` } } });
    expect(delivery.sentAt).not.toBeNull();
  });

  it('fails without retrying when asked to close a month that has not ended, and stores nothing', async () => {
    const o = await orgWithLastMonth();
    const current = periodOf(new Date(), TZ);
    await expect(run({ orgId: o.orgId, period: current }, monthEndWorkflowId(o.orgId, current))).rejects.toThrow();
    expect(await scratch.db.prisma.invoice.count({ where: { orgId: o.orgId } })).toBe(0);
  });

  it('a run a Schedule starts late (a backfill of 1 October, run today) closes the month before the scheduled time, not before today', async () => {
    const o = await orgWithLastMonth();
    await recordUsage(scratch.db.prisma, { orgId: o.orgId, requestId: randomUUID(), member: 'admin-1', model: HAIKU, usage: usageOfCents(107), at: new Date('2026-09-10T10:00:00Z') }); // $1.00 allowance, $0.07 extra
    const scheduleId = `month-end-test/${o.orgId}`;
    const schedule = await env.client.schedule.create({
      scheduleId,
      spec: { calendars: [{ dayOfMonth: 1, hour: 0, minute: 5 }], timezone: TZ },
      action: { type: 'startWorkflow', workflowType: 'monthEnd', taskQueue: worker.taskQueue, workflowId: scheduleId, args: [{ orgId: o.orgId }] },
      state: { paused: true },
    });
    try {
      // 00:05 on 1 October in Paris is 22:05 UTC on 30 September.
      await schedule.backfill({ start: new Date('2026-09-30T22:00:00Z'), end: new Date('2026-09-30T22:10:00Z'), overlap: 'ALLOW_ALL' });
      let runs: Awaited<ReturnType<typeof schedule.describe>>['info']['recentActions'] = [];
      for (let i = 0; i < 200 && runs.length === 0; i++) {
        runs = (await schedule.describe()).info.recentActions;
        if (runs.length === 0) await new Promise((r) => setTimeout(r, 100));
      }
      expect(runs).toHaveLength(1);
      const result = await env.client.workflow.getHandle(runs[0]!.action.workflow.workflowId).result() as MonthEndResult;
      expect(result).toMatchObject({ period: '2026-09', invoice: { subtotal: '0.07', total: '0.07', created: true } });
      // Last month's usage stays for its own close.
      expect(await scratch.db.prisma.usageEvent.count({ where: { orgId: o.orgId, period: o.period, invoiceId: null } })).toBe(4);
    } finally {
      await schedule.delete();
    }
  });

  it('resolves the month from the start time in the org timezone: 23:30 UTC on 30 November is December in Paris', async () => {
    const o = await orgWithLastMonth();
    const acts = createActivities(depsWith(notifier));
    expect(await acts.monthToClose({ orgId: o.orgId, at: '2026-11-30T22:30:00Z' })).toBe('2026-10');
    expect(await acts.monthToClose({ orgId: o.orgId, at: '2026-11-30T23:30:00Z' })).toBe('2026-11');
  });
});

describe('month-end workflow on the time-skipping server', () => {
  let env: TestWorkflowEnvironment;
  let notifier: RecordingNotifier;
  beforeAll(async () => {
    env = await timeSkippingEnv();
    notifier = recordingNotifier();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('closes the month and, when the notifier keeps failing, gives up on the notice after its retries without undoing the invoice', async () => {
    const o = await orgWithLastMonth();
    const failing = { ...notifier, alert: async () => { throw new Error('chat is down'); } };
    const worker = await testWorker(env, depsWith(failing));
    try {
      const result = await env.client.workflow.execute('monthEnd', {
        taskQueue: worker.taskQueue,
        workflowId: monthEndWorkflowId(o.orgId, o.period),
        args: [{ orgId: o.orgId, period: o.period } satisfies MonthEndInput],
      }) as MonthEndResult;
      expect(result).toMatchObject({ period: o.period, invoice: { total: '50.01', created: true }, reactivated: [], notifyFailed: [o.alice.id] });
    } finally {
      await worker.stop();
    }
    const delivery = await scratch.db.prisma.alertDelivery.findUniqueOrThrow({ where: { orgId_dedupeKey: { orgId: o.orgId, dedupeKey: `reactivated:${o.alice.id}:${o.period}` } } });
    expect(delivery.sentAt).toBeNull();

    // Once chat is back, running month-end again sends the notice it could not send, once. (The month is
    // given: this server's clock runs ahead after skipping, so the start time no longer says which month.)
    const worker2 = await testWorker(env, depsWith(notifier));
    try {
      const again = await env.client.workflow.execute('monthEnd', { taskQueue: worker2.taskQueue, workflowId: `${monthEndWorkflowId(o.orgId, o.period)}/again`, args: [{ orgId: o.orgId, period: o.period }] }) as MonthEndResult;
      expect(again).toMatchObject({ period: o.period, invoice: { created: false }, reactivated: [{ memberId: o.alice.id, outcome: 'sent' }] });
    } finally {
      await worker2.stop();
    }
    expect(reactivations(notifier, o.alice.id)).toHaveLength(1);
    expect(await scratch.db.prisma.invoice.count({ where: { orgId: o.orgId } })).toBe(1);
  });
});
