// Readable workflow ids and what operators filter by: a request is `request/<org slug>/<member>`
// and carries OrgSlug, Member, RequestStatus (kept current), a memo and a summary; an
// upgrade from the earlier ids (org and member uuids) neither doubles a running request
// or reload episode nor leaves a second pair of Schedules firing.
import { WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerOnlyPayments } from '../../src/payments/port.js';
import { requestService, type RequestService } from '../../src/services/requests.js';
import { requestAutoReload } from '../../src/temporal/auto-reload.js';
import { digestScheduleId, ensureOrgSchedules, monthEndScheduleId, orgScheduleOptions } from '../../src/temporal/schedules.js';
import { enableSearchAttributes, MEMBER, ORG_SLUG, REQUEST_STATUS } from '../../src/temporal/search-attributes.js';
import type { ExtraUsageRequestInput } from '../../workflows/extra-usage-request.js';
import { openedUpdate } from '../../workflows/messages.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc } from '../support/fixtures.js';
import { exhaustSeat, provision } from '../support/ledger.js';
import { recordingNotifier } from '../support/recording-notifier.js';
import { devServerEnv, testWorker } from '../support/temporal.js';

const DAY = 24 * 3600_000;
let scratch: Scratch;
let env: TestWorkflowEnvironment;
let worker: Awaited<ReturnType<typeof testWorker>>;
let requests: RequestService;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  env = await devServerEnv();
  await enableSearchAttributes(env.client, env.connection, env.namespace ?? 'default');
  const db = scratch.db.prisma;
  worker = await testWorker(env, { db, notifier: recordingNotifier(), payments: ledgerOnlyPayments(db), now: () => new Date() });
  requests = requestService({ db, client: env.client, taskQueue: worker.taskQueue, timings: { remindAfterMs: DAY, expireAfterMs: 7 * DAY }, now: () => new Date() });
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await env?.teardown();
  await scratch?.dispose();
});

let n = 0;
async function org() {
  const slug = `ids-${++n}`;
  const o = await provision(scratch.db.prisma, slug, enterpriseDoc({ extraUsage: { enabled: true, scope: 'selected_members' } }));
  for (const m of ['alice', 'bob']) await exhaustSeat(scratch.db.prisma, o.orgId, m);
  return { ...o, slug };
}

async function until<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  let v = await get();
  for (let i = 0; i < 200 && !ok(v); i++) {
    await new Promise((r) => setTimeout(r, 50));
    v = await get();
  }
  if (!ok(v)) throw new Error(`timed out waiting for ${what}`);
  return v;
}

describe('workflow ids and search attributes', () => {
  it('a request is request/<org slug>/<member>, shows who and what, and its RequestStatus follows the decision', async () => {
    const o = await org();
    const asked = await requests.ask(o.orgId, 'alice');
    expect(asked.workflowId).toBe(`request/${o.slug}/alice`);
    const handle = env.client.workflow.getHandle(asked.workflowId);
    const d = await handle.describe();
    expect([d.typedSearchAttributes.get(ORG_SLUG), d.typedSearchAttributes.get(MEMBER), d.typedSearchAttributes.get(REQUEST_STATUS)]).toEqual([o.slug, 'alice', 'pending']);
    expect(d.memo).toEqual({ org: 'Acme', member: 'Alice' });
    expect(await d.staticSummary()).toBe(`Extra usage request: Alice (alice), ${o.slug}`);
    await requests.decide(o.orgId, asked.request.requestId, 'admin-1', { decision: 'deny' });
    await handle.result();
    expect((await handle.describe()).typedSearchAttributes.get(REQUEST_STATUS)).toBe('denied');
  });

  it('a request opened under the earlier id is the member\'s open request: asking again joins it, cancelling reaches it', async () => {
    const o = await org();
    const bob = await o.member('bob');
    const legacyId = `extra-usage-request/${o.orgId}/${bob.id}`;
    const input: ExtraUsageRequestInput = { orgId: o.orgId, memberId: bob.id, requestedAt: new Date().toISOString(), note: null, remindAfterMs: DAY, expireAfterMs: 7 * DAY };
    // As an earlier release started it: no search attributes.
    const legacy = await env.client.workflow.start('extraUsageRequest', { taskQueue: worker.taskQueue, workflowId: legacyId, args: [input] });
    const requestId = await legacy.executeUpdate(openedUpdate);

    const again = await requests.ask(o.orgId, 'bob');
    expect(again).toMatchObject({ workflowId: legacyId, alreadyOpen: true, request: { requestId, status: 'pending' } });
    await expect(env.client.workflow.getHandle(`request/${o.slug}/bob`).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(await scratch.db.prisma.extraUsageRequest.count({ where: { memberId: bob.id } })).toBe(1);

    expect(await requests.cancel(o.orgId, bob.id, 'member_left')).toBe(true);
    expect((await legacy.result()).status).toBe('cancelled');
  });

  it('a reload trigger signals an episode still running under the earlier id instead of starting a second one', async () => {
    const o = await org();
    // Running (nobody polls its queue), as an episode left by the earlier release.
    const legacy = await env.client.workflow.start('teamAutoReload', { taskQueue: `nobody-${o.slug}`, workflowId: `auto-reload/${o.orgId}`, args: [{ orgId: o.orgId }] });
    await requestAutoReload(env.client, worker.taskQueue, { id: o.orgId, slug: o.slug });
    await expect(env.client.workflow.getHandle(`auto-reload/${o.slug}`).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    const signals = (await legacy.fetchHistory()).events?.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'reloadWanted') ?? [];
    expect(signals).toHaveLength(1);
    await legacy.terminate('test over');
    // Once it has ended, the next trigger starts the episode under the org's slug.
    await requestAutoReload(env.client, worker.taskQueue, { id: o.orgId, slug: o.slug });
    const episode = await env.client.workflow.getHandle(`auto-reload/${o.slug}`).describe();
    expect(episode.typedSearchAttributes.get(ORG_SLUG)).toBe(o.slug);
  });

  it('Schedules are named by the slug, their runs carry OrgSlug, and the earlier pair is removed so nothing fires twice', async () => {
    const o = await org();
    const row = await scratch.db.prisma.organization.findUniqueOrThrow({ where: { id: o.orgId } });
    for (const { scheduleId, ...options } of orgScheduleOptions(row, worker.taskQueue)) {
      await env.client.schedule.create({ scheduleId: scheduleId.replace(o.slug, o.orgId), ...options });
    }
    await ensureOrgSchedules(env.client, row, worker.taskQueue);
    for (const id of [`digest/${o.orgId}`, `month-end/${o.orgId}`]) await expect(env.client.schedule.getHandle(id).describe()).rejects.toThrow();
    const digest = await env.client.schedule.getHandle(digestScheduleId(o.slug)).describe();
    expect(digest.scheduleId).toBe(`digest/${o.slug}`);
    expect(digest.action).toMatchObject({ workflowId: `digest/${o.slug}` });
    expect((digest.action as { typedSearchAttributes?: { get(k: typeof ORG_SLUG): unknown } }).typedSearchAttributes?.get(ORG_SLUG)).toBe(o.slug);
    await expect(env.client.schedule.getHandle(monthEndScheduleId(o.slug)).describe()).resolves.toBeTruthy();
    // A run started by the Schedule: `digest/<slug>-<time>`, with the org's slug to filter by.
    await env.client.schedule.getHandle(digestScheduleId(o.slug)).trigger();
    const run = await until('the triggered digest run', async () => (await env.client.schedule.getHandle(digestScheduleId(o.slug)).describe()).info.recentActions, (a) => a.length > 0);
    const started = await env.client.workflow.getHandle(run[0]!.action.workflow.workflowId).describe();
    expect(started.workflowId).toMatch(new RegExp(`^digest/${o.slug}-\\d{4}-\\d\\d-\\d\\dT`));
    expect(started.typedSearchAttributes.get(ORG_SLUG)).toBe(o.slug);
  });
});
