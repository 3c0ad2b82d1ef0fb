// The request workflow on a real Temporal dev server with the real worker: one
// open request per member, admins decide through an Update authorised from their
// stored role, the decision is applied once even if the worker dies mid-way.
import { Context } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerOnlyPayments } from '../../src/payments/port.js';
import { requestService, type RequestService } from '../../src/services/requests.js';
import { startOutboxRelay } from '../../src/temporal/outbox-relay.js';
import { outboxRoutes } from '../../src/temporal/outbox-routes.js';
import { createActivities } from '../../src/activities/index.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc } from '../support/fixtures.js';
import { exhaustSeat, provision } from '../support/ledger.js';
import { recordingNotifier, type RecordingNotifier } from '../support/recording-notifier.js';
import { devServerEnv, testWorker } from '../support/temporal.js';

const DAY = 24 * 3600_000;

let scratch: Scratch;
let env: TestWorkflowEnvironment;
let notifier: RecordingNotifier;
let worker: Awaited<ReturnType<typeof testWorker>>;
let requests: RequestService;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  env = await devServerEnv();
  notifier = recordingNotifier();
  const deps = { db: scratch.db.prisma, notifier, payments: ledgerOnlyPayments(scratch.db.prisma), now: () => new Date() };
  worker = await testWorker(env, deps);
  requests = requestService({ db: scratch.db.prisma, client: env.client, taskQueue: worker.taskQueue, timings: { remindAfterMs: DAY, expireAfterMs: 7 * DAY }, now: () => new Date() });
});
afterAll(async () => {
  await worker?.stop();
  await env?.teardown();
  await scratch?.dispose();
});

let n = 0;
async function org() {
  const o = await provision(scratch.db.prisma, `req-${++n}`, enterpriseDoc({ extraUsage: { enabled: true, scope: 'selected_members' } }));
  // Members not selected for extra usage, at their seat limit: they may ask.
  for (const m of ['alice', 'bob']) await exhaustSeat(scratch.db.prisma, o.orgId, m);
  return o;
}

const pendingRow = async (requestId: string) => scratch.db.prisma.extraUsageRequest.findUniqueOrThrow({ where: { id: requestId } });
async function opened(orgId: string, memberRef: string) {
  // ask answers once the ledger row exists: its id can be decided on at once.
  const asked = await requests.ask(orgId, memberRef);
  return { ...asked, requestId: asked.request.requestId, handle: env.client.workflow.getHandle(asked.workflowId) };
}

describe('extra usage request workflow', () => {
  it('notifies admins, applies an admin\'s seat upgrade once, and tells everyone the outcome', async () => {
    const o = await org();
    const alice = await o.member('alice');
    const before = notifier.of('requestOpened').length;
    const { requestId, handle } = await opened(o.orgId, 'alice');
    const notices = await notifier.waitFor('requestOpened', before + 1);
    const notice = notices.at(-1)!;
    expect(notice.request).toMatchObject({ requestId, status: 'pending', seatTier: 'standard', requester: { externalId: 'alice', name: 'Alice' } });
    expect(notice.to.map((p) => p.externalId).sort()).toEqual(['admin-1', 'owner-1']);

    const view = await requests.decide(o.orgId, requestId, 'admin-1', { decision: 'upgrade_seat' });
    expect(view).toMatchObject({ status: 'approved', decision: 'upgrade_seat', decidedBy: { externalId: 'admin-1' } });
    expect((await scratch.db.prisma.member.findUniqueOrThrow({ where: { id: alice.id } })).seatTier).toBe('premium');
    const result = await handle.result();
    expect(result.status).toBe('approved');
    const closed = notifier.of('requestClosed').filter((c) => c.request.requestId === requestId);
    expect(closed).toHaveLength(1);
    expect(closed[0]!.request.requester.externalId).toBe('alice');
    const audit = await scratch.db.prisma.auditEntry.findMany({ where: { orgId: o.orgId, action: 'member.seat_tier.set' } });
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor).toContain('(admin-1)');
  });

  it('gives one workflow and one request to a member who asks ten times at once', async () => {
    const o = await org();
    const asks = await Promise.all(Array.from({ length: 10 }, () => requests.ask(o.orgId, 'bob')));
    expect(new Set(asks.map((a) => a.workflowId)).size).toBe(1);
    expect(asks.filter((a) => !a.alreadyOpen)).toHaveLength(1);
    const bob = await o.member('bob');
    await opened(o.orgId, 'bob');
    expect(await scratch.db.prisma.extraUsageRequest.count({ where: { memberId: bob.id } })).toBe(1);
  });

  it('refuses a member deciding, whatever they send, and changes nothing', async () => {
    const o = await org();
    const { requestId } = await opened(o.orgId, 'alice');
    await expect(requests.decide(o.orgId, requestId, 'bob', { decision: 'enable_extra_usage', cap: null })).rejects.toMatchObject({ status: 403 });
    await expect(requests.decide(o.orgId, requestId, 'nobody', { decision: 'deny' })).rejects.toMatchObject({ status: 403 });
    const alice = await o.member('alice');
    expect(alice).toMatchObject({ extraUsageEnabled: false, seatTier: 'standard' });
    expect((await pendingRow(requestId)).status).toBe('pending');
    // An owner still can.
    const view = await requests.decide(o.orgId, requestId, 'owner-1', { decision: 'enable_extra_usage', cap: '25.00' });
    expect(view).toMatchObject({ status: 'approved', decisionCap: '25.00' });
    expect(await o.member('alice')).toMatchObject({ extraUsageEnabled: true, extraUsageCapNanos: 25_000_000_000n });
    // Decided requests cannot be decided again.
    await expect(requests.decide(o.orgId, requestId, 'admin-1', { decision: 'deny' })).rejects.toMatchObject({ status: 409 });
  });

  it('refuses a seat upgrade for a premium seat and records a denial with its reason', async () => {
    const o = await org();
    const { requestId, handle } = await opened(o.orgId, 'bob');
    await expect(requests.decide(o.orgId, requestId, 'admin-1', { decision: 'upgrade_seat' })).rejects.toMatchObject({ status: 422 });
    const view = await requests.decide(o.orgId, requestId, 'admin-1', { decision: 'deny', reason: 'Budget is spent this quarter' });
    expect(view).toMatchObject({ status: 'denied', reason: 'Budget is spent this quarter' });
    expect((await handle.result()).status).toBe('denied');
    expect(await o.member('bob')).toMatchObject({ seatTier: 'premium', extraUsageEnabled: false });
  });

  it('is cancelled when the member leaves or gets extra usage another way, and the requester is told', async () => {
    const o = await org();
    const relay = startOutboxRelay({ db: scratch.db.prisma, client: env.client, taskQueue: worker.taskQueue, requests }, outboxRoutes(), { intervalMs: 100_000 });
    try {
      const bob = await opened(o.orgId, 'bob');
      const alice = await opened(o.orgId, 'alice');
      // Bob leaves the org.
      const doc = enterpriseDoc({ extraUsage: { enabled: true, scope: 'selected_members' } });
      await provision(scratch.db.prisma, `req-${n}`, { ...doc, members: doc.members.filter((m) => m.externalId !== 'bob') });
      // An owner gives Alice extra usage from the settings page.
      const { setMemberExtraUsage } = await import('../../src/ledger/settings/settings.js');
      const orgRow = await scratch.db.prisma.organization.findUniqueOrThrow({ where: { id: o.orgId } });
      await setMemberExtraUsage(scratch.db.prisma, orgRow, await o.member('owner-1'), 'alice', true);
      await relay.drain();
      expect(await bob.handle.result()).toMatchObject({ status: 'cancelled' });
      expect(await alice.handle.result()).toMatchObject({ status: 'cancelled' });
      expect((await pendingRow(bob.requestId)).reason).toBe('member_left');
      expect((await pendingRow(alice.requestId)).reason).toBe('extra_usage_enabled');
      const told = notifier.of('requestClosed').filter((c) => [bob.requestId, alice.requestId].includes(c.request.requestId));
      expect(told.map((c) => c.request.status)).toEqual(['cancelled', 'cancelled']);
    } finally {
      await relay.stop();
    }
  });

  it('applies a decision exactly once when the worker dies in the middle of applying it', async () => {
    const o = await org();
    const { requestId } = await opened(o.orgId, 'alice');
    const deps = { db: scratch.db.prisma, notifier, payments: ledgerOnlyPayments(scratch.db.prisma), now: () => new Date() };
    const real = createActivities(deps);
    let committed!: () => void;
    const commit = new Promise<void>((r) => (committed = r));
    // This worker's decide activity commits its transaction, then never reports back:
    // it only ends when the worker is shut down under it.
    const fragile = {
      ...real,
      decideRequest: async (input: Parameters<typeof real.decideRequest>[0]) => {
        await real.decideRequest(input);
        committed();
        await Context.current().cancelled;
        throw new Error('unreachable');
      },
    };
    const taskQueue = worker.taskQueue;
    await worker.stop();
    const doomed = await testWorker(env, deps, { activities: fragile, taskQueue });
    const deciding = requests.decide(o.orgId, requestId, 'admin-1', { decision: 'enable_extra_usage', cap: '10.00' });
    await commit;
    await doomed.stop();
    worker = await testWorker(env, deps, { taskQueue });
    const view = await deciding;
    expect(view).toMatchObject({ status: 'approved', decision: 'enable_extra_usage', decisionCap: '10.00' });
    const alice = await o.member('alice');
    expect(alice).toMatchObject({ extraUsageEnabled: true, extraUsageCapNanos: 10_000_000_000n });
    const applied = await scratch.db.prisma.auditEntry.findMany({ where: { orgId: o.orgId, subject: `member:${alice.id}`, action: 'extra_usage.member.set' } });
    expect(applied).toHaveLength(1);
  }, 60_000);
});
