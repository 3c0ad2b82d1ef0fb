// The operators' alert for usage kept unpriced, on a real Temporal dev server with the
// real worker and outbox relay: a burst of unpriced records (group commit, as the API
// records them) gives ONE alert per model per day, to the operators only, naming the
// model, the orgs and counts, and the API call that prices it.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordBatcherOf } from '../../src/ledger/metering/record-batch.js';
import { ledgerOnlyPayments } from '../../src/payments/port.js';
import { requestService } from '../../src/services/requests.js';
import { startOutboxRelay, type OutboxRelay, type RelayContext } from '../../src/temporal/outbox-relay.js';
import { outboxRoutes } from '../../src/temporal/outbox-routes.js';
import { operatorChannel } from '../../src/notify/operators.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, teamDoc } from '../support/fixtures.js';
import { provision } from '../support/ledger.js';
import { recordingNotifier, type RecordingNotifier } from '../support/recording-notifier.js';
import { devServerEnv, testWorker } from '../support/temporal.js';

const DAY = 24 * 3600_000;
const NOW = new Date();

let scratch: Scratch;
let env: TestWorkflowEnvironment;
let operators: RecordingNotifier;
let orgPeople: RecordingNotifier;
let worker: Awaited<ReturnType<typeof testWorker>>;
let relay: OutboxRelay;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  env = await devServerEnv();
  operators = recordingNotifier();
  orgPeople = recordingNotifier();
  const db = scratch.db.prisma;
  worker = await testWorker(env, { db, notifier: orgPeople, payments: ledgerOnlyPayments(db), now: () => new Date(), operators: { emails: ['ops@example.com'], notifier: operators } });
  const requests = requestService({ db, client: env.client, taskQueue: worker.taskQueue, timings: { remindAfterMs: DAY, expireAfterMs: 7 * DAY }, now: () => new Date() });
  const ctx: RelayContext = { db, client: env.client, taskQueue: worker.taskQueue, requests };
  relay = startOutboxRelay(ctx, outboxRoutes(), { intervalMs: 3_600_000, log: () => {} });
}, 120_000);
afterAll(async () => {
  await relay?.stop();
  await worker?.stop();
  await env?.teardown();
  await scratch?.dispose();
});

const db = () => scratch.db.prisma;
let r = 0;
/** `count` unpriced records at once, through group commit (as the API records them). */
async function burst(orgId: string, member: string, model: string, count: number, now = NOW, usage: object = { input_tokens: 10, output_tokens: 20 }) {
  const batcher = recordBatcherOf(db());
  const results = await Promise.all(Array.from({ length: count }, () => batcher.submit({ orgId, requestId: `u-${++r}`, member, model, usage: usage as never }, now)));
  for (const res of results) expect(res.response.priced).toBe(false);
}

/** Delivers the outbox and waits for every unpriced-alert workflow to finish. */
async function settle(): Promise<string[]> {
  await relay.drain();
  const ids: string[] = [];
  for await (const wf of env.client.workflow.list({ query: `WorkflowType = 'unpricedAlert'` })) {
    await env.client.workflow.getHandle(wf.workflowId).result();
    ids.push(wf.workflowId);
  }
  return ids.sort();
}

describe('operators are told of usage kept unpriced', () => {
  it('once per model per day for a burst of 1,000 records, naming the model, the orgs, the count and the call that prices it', async () => {
    const acme = await provision(db(), 'acme-unpriced', enterpriseDoc());
    const small = await provision(db(), 'small-unpriced', teamDoc());
    const model = 'claude-next-20270101';
    await burst(acme.orgId, 'alice', model, 1_000);
    await burst(small.orgId, 'alice', model, 3);
    expect(await db().outboxEvent.count({ where: { type: 'usage_unpriced' } })).toBe(1_003);

    const day = NOW.toISOString().slice(0, 10);
    // The relay starts its workflow once; a visibility listing may lag, so wait for the alert itself.
    await relay.drain();
    const [alert] = await operators.waitFor('alert', 1);
    await settle();
    expect(operators.of('alert')).toHaveLength(1);
    expect(alert!.to.map((p) => p.email)).toEqual(['ops@example.com']);
    expect(alert!.alert).toMatchObject({ kind: 'usage_unpriced' });
    expect(alert!.alert.title).toContain(`model ${model} has no price`);
    expect(alert!.alert.facts).toMatchObject({
      Model: model,
      Organisations: 'Acme (acme-unpriced): 1000, Small Team (small-unpriced): 3',
      'Price it with': expect.stringContaining(`POST /v1/operator/prices {"model": "${model}"`),
    });
    // The count is of what is still unpriced when it is sent: at most the burst, at least the first record.
    const total = Number(alert!.alert.facts['Unpriced records']);
    expect(total).toBeGreaterThanOrEqual(1);
    expect(total).toBeLessThanOrEqual(1_003);
    expect(alert!.alert.text).toContain('GET /v1/operator/usage/unpriced?family=');
    // Never to the org's people or chat.
    expect(orgPeople.sent).toEqual([]);
    const deliveries = await db().alertDelivery.findMany({ where: { kind: 'usage_unpriced' } });
    expect(deliveries.map((d) => d.dedupeKey)).toEqual([`usage_unpriced/${day}/model/${model}`]);

    // More of it the same day: nothing new.
    await burst(acme.orgId, 'bob', model, 50);
    await settle();
    expect(operators.of('alert')).toHaveLength(1);
  }, 180_000);

  it('tells again for another model, for a fee without a price, and for the same model the next day', async () => {
    const o = await provision(db(), 'other-unpriced', enterpriseDoc());
    const before = operators.of('alert').length;
    await burst(o.orgId, 'alice', 'claude-other-20270202', 20);
    // A tier without a multiplier row: the fee's own alert, naming the price-modifier call.
    await burst(o.orgId, 'alice', 'claude-haiku-4-5', 20, NOW, { input_tokens: 10, output_tokens: 20, service_tier: 'priority' });
    await burst(o.orgId, 'alice', 'claude-next-20270101', 20, new Date(NOW.getTime() + DAY));
    await relay.drain();
    await operators.waitFor('alert', before + 3);
    await settle();
    const fresh = operators.of('alert').slice(before);
    expect(fresh).toHaveLength(3);
    const fee = fresh.find((a) => a.alert.title.includes('service_tier=priority'))!;
    expect(fee.alert.facts['Price it with']).toContain('POST /v1/operator/price-modifiers {"family": "claude-haiku-4-5" or "*", "dimension": "service_tier", "value": "priority"');
    expect(fresh.filter((a) => a.alert.title.includes('claude-next-20270101'))).toHaveLength(1);
  }, 180_000);

  it('writes everything to the log line when no email is set up', async () => {
    const lines: string[] = [];
    const channel = operatorChannel({ OPERATOR_EMAIL: undefined, SMTP_URL: undefined, EMAIL_FROM: 'x <x@localhost>', PUBLIC_URL: undefined }, db(), (l) => lines.push(l));
    const view = operators.of('alert')[0]!.alert;
    await channel.notifier.alert(view, []);
    expect(channel.emails).toEqual([]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[operators\] Usage kept unpriced: model claude-next-20270101 has no price .*Organisations: Acme \(acme-unpriced\).*Price it with: POST \/v1\/operator\/prices/);
  });
});
