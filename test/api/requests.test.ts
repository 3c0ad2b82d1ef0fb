// A member asks for more usage over HTTP, an admin approves it over HTTP, and the
// gateway sees the member allowed: API → Temporal workflow → ledger, end to end.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerOnlyPayments } from '../../src/payments/port.js';
import { requestService } from '../../src/services/requests.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, harness, HAIKU, usageOfCents, type Harness } from '../support/fixtures.js';
import { recordingNotifier } from '../support/recording-notifier.js';
import { devServerEnv, testWorker } from '../support/temporal.js';

let scratch: Scratch;
let env: TestWorkflowEnvironment;
let worker: Awaited<ReturnType<typeof testWorker>>;
let h: Harness;
let key: string;
const notifier = recordingNotifier();

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  env = await devServerEnv();
  const db = scratch.db.prisma;
  worker = await testWorker(env, { db, notifier, payments: ledgerOnlyPayments(db), now: () => new Date() });
  const requests = requestService({ db, client: env.client, taskQueue: worker.taskQueue, timings: { remindAfterMs: 86_400_000, expireAfterMs: 7 * 86_400_000 }, now: () => new Date() });
  h = await harness(db, new Date(), { requests });
  await h.provision('acme', enterpriseDoc({ extraUsage: { enabled: true, scope: 'selected_members' } }));
  key = await h.issueKey('acme');
});
afterAll(async () => {
  await h?.close();
  await worker?.stop();
  await env?.teardown();
  await scratch?.dispose();
});

const as = (actor: string) => ({
  get: (url: string) => h.call('GET', url, { token: key, actor }),
  post: (url: string, body: unknown) => h.call('POST', url, { token: key, actor, body }),
});

describe('requests over the API', () => {
  it('takes a member from refused to allowed through an admin\'s approval', async () => {
    await h.call('POST', '/v1/usage/record', { token: key, body: { requestId: 'r1', member: 'alice', model: HAIKU, usage: usageOfCents(100) } });
    const refused = await h.call('POST', '/v1/usage/authorize', { token: key, body: { member: 'alice', model: HAIKU } });
    expect(refused.body).toMatchObject({ allowed: false, reason: 'seat_limit_reached', canRequestExtraUsage: true });

    const asked = await as('alice').post('/v1/requests', { note: 'Quarter-end report' });
    expect(asked.status).toBe(202);
    expect(asked.body).toMatchObject({ alreadyOpen: false, status: 'pending' });
    const again = await as('alice').post('/v1/requests', {});
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ alreadyOpen: true, workflowId: asked.body.workflowId });

    await notifier.waitFor('requestOpened');
    const pending = await as('admin-1').get('/v1/requests?status=pending');
    expect(pending.body.requests).toHaveLength(1);
    const request = pending.body.requests[0];
    expect(request).toMatchObject({ status: 'pending', note: 'Quarter-end report', seatTier: 'standard', requester: { externalId: 'alice' } });
    expect((await as('bob').get('/v1/requests')).body.requests).toEqual([]);

    const byMember = await as('bob').post(`/v1/requests/${request.requestId}/decision`, { decision: 'enable_extra_usage' });
    expect(byMember.status).toBe(403);
    const bad = await as('admin-1').post(`/v1/requests/${request.requestId}/decision`, { decision: 'enable_extra_usage', cap: '20.001' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('cap');

    const approved = await as('admin-1').post(`/v1/requests/${request.requestId}/decision`, { decision: 'enable_extra_usage', cap: '20.00' });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'approved', decision: 'enable_extra_usage', decisionCap: '20.00', decidedBy: { externalId: 'admin-1' } });
    const allowed = await h.call('POST', '/v1/usage/authorize', { token: key, body: { member: 'alice', model: HAIKU } });
    expect(allowed.body).toMatchObject({ allowed: true, mode: 'extra' });
    const twice = await as('owner-1').post(`/v1/requests/${request.requestId}/decision`, { decision: 'deny' });
    expect(twice.status).toBe(409);
  }, 60_000);
});
