// Reminders and expiry of a request, on the time-skipping test server: days pass
// in seconds.
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerOnlyPayments } from '../../src/payments/port.js';
import { requestService, type RequestService } from '../../src/services/requests.js';
import type { RequestState } from '../../workflows/messages.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc } from '../support/fixtures.js';
import { exhaustSeat, provision } from '../support/ledger.js';
import { recordingNotifier } from '../support/recording-notifier.js';
import { testWorker, timeSkippingEnv } from '../support/temporal.js';

const DAY = 86_400_000;
let scratch: Scratch;
let env: TestWorkflowEnvironment;
let worker: Awaited<ReturnType<typeof testWorker>>;
let requests: RequestService;
const notifier = recordingNotifier();

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  env = await timeSkippingEnv();
  const db = scratch.db.prisma;
  worker = await testWorker(env, { db, notifier, payments: ledgerOnlyPayments(db), now: () => new Date() });
  requests = requestService({ db, client: env.client, taskQueue: worker.taskQueue, timings: { remindAfterMs: DAY, expireAfterMs: 3 * DAY }, now: () => new Date() });
});
afterAll(async () => {
  await worker?.stop();
  await env?.teardown();
  await scratch?.dispose();
});

describe('a request nobody decides', () => {
  it('reminds the admins after a day, expires after three, and tells the requester', async () => {
    const o = await provision(scratch.db.prisma, 'quiet', enterpriseDoc({ extraUsage: { enabled: true, scope: 'selected_members' } }));
    await exhaustSeat(scratch.db.prisma, o.orgId, 'alice');
    const asked = await requests.ask(o.orgId, 'alice');
    const result = await env.client.workflow.getHandle(asked.workflowId).result() as RequestState;
    expect(result.status).toBe('expired');
    const reminders = notifier.of('requestReminder').filter((r) => r.request.orgId === o.orgId);
    expect(reminders).toHaveLength(1);
    expect(reminders[0]!.to.map((p) => p.externalId).sort()).toEqual(['admin-1', 'owner-1']);
    const closed = notifier.of('requestClosed').filter((r) => r.request.orgId === o.orgId);
    expect(closed.map((c) => [c.request.status, c.request.requester.externalId])).toEqual([['expired', 'alice']]);
    const row = await scratch.db.prisma.extraUsageRequest.findUniqueOrThrow({ where: { id: result.requestId! } });
    expect(row).toMatchObject({ status: 'expired', openForMember: null });
    expect(await scratch.db.prisma.auditEntry.findMany({ where: { orgId: o.orgId, action: 'request.closed' } })).toEqual([expect.objectContaining({ actor: 'system', subject: `request:${row.id}`, after: expect.objectContaining({ status: 'expired' }) })]);
    await expect(requests.decide(o.orgId, row.id, 'admin-1', { decision: 'deny' })).rejects.toMatchObject({ status: 409 });
    // The member can ask again afterwards.
    const again = await requests.ask(o.orgId, 'alice');
    expect(again.alreadyOpen).toBe(false);
  }, 60_000);

  it('stops waiting when an admin decides after the reminder', async () => {
    const o = await provision(scratch.db.prisma, 'late', enterpriseDoc({ extraUsage: { enabled: true, scope: 'selected_members' } }));
    await exhaustSeat(scratch.db.prisma, o.orgId, 'alice');
    const asked = await requests.ask(o.orgId, 'alice');
    const handle = env.client.workflow.getHandle(asked.workflowId);
    await env.sleep(DAY + 3_600_000);
    expect(notifier.of('requestReminder').filter((r) => r.request.orgId === o.orgId)).toHaveLength(1);
    const state = await handle.query('state') as RequestState;
    const view = await requests.decide(o.orgId, state.requestId!, 'owner-1', { decision: 'upgrade_seat' });
    expect(view.status).toBe('approved');
    expect(((await handle.result()) as RequestState).status).toBe('approved');
  }, 60_000);
});

describe('a request whose messages cannot be delivered', () => {
  it('stays open and decidable, and ends once they are given up', async () => {
    const db = scratch.db.prisma;
    const down = recordingNotifier();
    // Failing for good at once (as after a day of retries), so the log holds two failures, not hundreds.
    const gone = async () => { throw ApplicationFailure.nonRetryable('chat and email down'); };
    const failing = { ...down, requestOpened: gone, requestReminder: gone, requestClosed: gone };
    const w = await testWorker(env, { db, notifier: failing, payments: ledgerOnlyPayments(db), now: () => new Date() });
    try {
      const service = requestService({ db, client: env.client, taskQueue: w.taskQueue, timings: { remindAfterMs: DAY, expireAfterMs: 3 * DAY }, now: () => new Date() });
      const o = await provision(db, 'undeliverable', enterpriseDoc({ extraUsage: { enabled: true, scope: 'selected_members' } }));
      await exhaustSeat(db, o.orgId, 'alice');
      const asked = await service.ask(o.orgId, 'alice');
      const handle = env.client.workflow.getHandle(asked.workflowId);
      // Nobody was told, but the request is open (the console and App Home list it) and an admin decides it.
      const view = await service.decide(o.orgId, asked.request.requestId, 'owner-1', { decision: 'upgrade_seat' });
      expect(view.status).toBe('approved');
      const result = (await handle.result()) as RequestState;
      expect(result.status).toBe('approved');
      expect((await db.member.findFirstOrThrow({ where: { orgId: o.orgId, externalId: 'alice' } })).seatTier).toBe('premium');
    } finally {
      await w.stop();
    }
  }, 180_000);
});
