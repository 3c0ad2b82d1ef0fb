// GET /metrics as an operator reads it: request rates and latencies per route pattern,
// group-commit batch sizes, outbox lag, failed notices per channel, failed activity
// attempts and workflows that closed badly. Each figure is checked against what the
// test did (counts it caused), never against timing.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities/index.js';
import { ledgerOnlyPayments } from '../../src/payments/port.js';
import { fanout } from '../../src/notify/fanout.js';
import { countingFailures } from '../../src/notify/failure-counting.js';
import type { Notifier } from '../../src/notify/port.js';
import { Metrics } from '../../src/observability/metrics.js';
import { findTemporalCli } from '../../src/temporal/cli.js';
import { workflowFailuresOf } from '../../src/temporal/workflow-failures.js';
import { startStatusServer } from '../../src/status-server.js';
import { installTemporalRuntime, startWorker } from '../../src/temporal/worker.js';

installTemporalRuntime('WARN');
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, harness, HAIKU, OPERATOR_TOKEN, usageOfCents, type Harness } from '../support/fixtures.js';
import { recordingNotifier } from '../support/recording-notifier.js';
import { suiteWorkflowBundle } from '../support/temporal.js';
import { until } from '../support/outage.js';

/** The value of one series in a Prometheus text exposition (undefined when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe('GET /metrics on an API process', () => {
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

  const scrape = async () => {
    const res = await h.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } });
    expect(res.statusCode).toBe(200);
    return res.body;
  };

  it('counts answers per route pattern and status, records per batch, and the outbox waiting', async () => {
    await h.provision('metrics-org', enterpriseDoc());
    const key = await h.issueKey('metrics-org', ['usage']);
    const record = (i: number) => h.call('POST', '/v1/usage/record', { token: key, body: { requestId: `m-${i}`, member: 'alice', model: HAIKU, usage: usageOfCents(150) } });
    const answers = await Promise.all([1, 2, 3, 4, 5].map(record));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect((await h.call('POST', '/v1/usage/record', { token: key, body: { requestId: 'm-bad', member: 'alice', model: HAIKU } })).status).toBe(400);
    await h.call('GET', '/nothing/here/4f9c2e');

    const text = await scrape();
    const records = { method: 'POST', route: '/v1/usage/record' };
    expect(sample(text, 'extra_usage_http_request_duration_seconds_count', { ...records, status: '200' })).toBe(5);
    expect(sample(text, 'extra_usage_http_request_duration_seconds_count', { ...records, status: '400' })).toBe(1);
    // Unknown paths are one series, never one per URL someone tried.
    expect(sample(text, 'extra_usage_http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(text).not.toContain('4f9c2e');
    // However the five records were batched, every one was in exactly one batch.
    expect(sample(text, 'extra_usage_record_batch_size_sum')).toBe(5);
    const pending = await scratch.db.prisma.outboxEvent.count({ where: { publishedAt: null } });
    expect(pending).toBeGreaterThan(0); // seat limit crossed: nobody relays in this test
    expect(sample(text, 'extra_usage_outbox_pending_events')).toBe(pending);
    expect(sample(text, 'extra_usage_outbox_lag_seconds')).toBeGreaterThanOrEqual(0);
  });

  it('reports how late the event loop ran, as p50, p99 and the maximum since the previous scrape', async () => {
    // The monitor samples every 10 ms: wait until a scrape has a window with samples in it.
    const text = await until('an event-loop delay sample', async () => {
      const t = await scrape();
      return sample(t, 'extra_usage_event_loop_delay_seconds', { quantile: '0.99' }) === undefined ? null : t;
    });
    const [p50, p99, max] = ['0.5', '0.99', '1'].map((quantile) => sample(text, 'extra_usage_event_loop_delay_seconds', { quantile })!);
    expect(p50).toBeGreaterThanOrEqual(0);
    expect(p99).toBeGreaterThanOrEqual(p50!);
    expect(max).toBeGreaterThanOrEqual(p99!);
  });
});

describe('notice delivery failures', () => {
  it('are counted per channel and notice, and still fail the send so the activity retries', async () => {
    const metrics = new Metrics();
    const down: Notifier = { ...recordingNotifier(), alert: async () => { throw new Error('SMTP 421'); } };
    const notifier = fanout([countingFailures({ name: 'email', notifier: down }, metrics), countingFailures({ name: 'slack', notifier: recordingNotifier() }, metrics)]);
    const alert = { kind: 'org_cap_threshold' as const, orgId: 'o', orgName: 'Acme', title: 'Org cap 80%', text: '…', facts: {} };
    await expect(notifier.alert(alert, [])).rejects.toThrow(/email/);
    const text = (await metrics.exposition()).body;
    expect(sample(text, 'extra_usage_notice_delivery_failures_total', { channel: 'email', notice: 'alert' })).toBe(1);
    expect(sample(text, 'extra_usage_notice_delivery_failures_total', { channel: 'slack', notice: 'alert' })).toBeUndefined();
  });
});

describe('a worker process', () => {
  let env: TestWorkflowEnvironment;
  let scratch: Scratch;
  beforeAll(async () => {
    scratch = await migrated(scratchPglite);
    env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: await findTemporalCli() }, ip: '127.0.0.1' } });
  }, 120_000);
  afterAll(async () => {
    await env?.teardown();
    await scratch?.dispose();
  });

  it('counts failed activity attempts and workflows closed badly, served on its status server with the operator token', async () => {
    const metrics = new Metrics();
    metrics.watchWorkflows(workflowFailuresOf(env.client));
    const db = scratch.db.prisma;
    let failuresLeft = 2;
    const activities = {
      ...createActivities({ db, notifier: recordingNotifier(), payments: ledgerOnlyPayments(db), now: () => new Date() }),
      // Chat down twice, then delivered: two failed attempts, one alert.
      deliverAlert: async () => {
        if (failuresLeft-- > 0) throw new Error('chat is down');
        return 'sent';
      },
    };
    const taskQueue = `metrics-${process.pid}`;
    const worker = await startWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, deps: { db, notifier: recordingNotifier(), payments: ledgerOnlyPayments(db), now: () => new Date() }, activities, metrics, workflowBundlePath: suiteWorkflowBundle() });
    const status = await startStatusServer({ port: 0, host: '127.0.0.1', role: 'worker', health: async () => ({}), metrics: { registry: metrics, operatorToken: OPERATOR_TOKEN } });
    try {
      const result = await env.client.workflow.execute('capAlert', { taskQueue, workflowId: `metrics-alert-${Date.now()}`, args: [{ orgId: 'o', eventId: '1', event: { type: 'org_cap_threshold' } }] });
      expect(result).toBe('sent');
      // A workflow nobody will run, terminated by the operator.
      const stuck = await env.client.workflow.start('dailyDigest', { taskQueue: 'nobody-polls-this', workflowId: `metrics-stuck-${Date.now()}`, args: [{ orgId: 'o' }] });
      await stuck.terminate('test');

      const scrape = () => fetch(`${status.url}/metrics`, { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } });
      expect((await fetch(`${status.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${status.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      const text = await (await scrape()).text();
      expect(sample(text, 'extra_usage_activity_failures_total', { activity: 'deliverAlert' })).toBe(2);
      // Visibility is eventually consistent: a later scrape sees the terminated workflow.
      let terminated: number | undefined;
      for (let i = 0; i < 100 && !terminated; i++) {
        const fresh = new Metrics();
        fresh.watchWorkflows(workflowFailuresOf(env.client));
        terminated = sample((await fresh.exposition()).body, 'extra_usage_workflows_closed_unsuccessfully', { status: 'Terminated' });
        if (!terminated) await new Promise((r) => setTimeout(r, 100));
      }
      expect(terminated).toBe(1);
    } finally {
      await status.close();
      await worker.stop();
    }
  }, 120_000);
});
