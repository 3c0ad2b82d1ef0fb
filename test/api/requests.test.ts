// Requests for more usage over HTTP, end to end (API → Temporal workflow → ledger),
// on PGlite and on the PostgreSQL server: a member asks and is answered with the
// request's id, an admin approves, the gateway sees the member allowed. And every
// request or decision that makes no sense is refused with a clear 4xx and changes
// nothing: no ledger row, no audit entry, no workflow, nobody pinged.
import { WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerOnlyPayments } from '../../src/payments/port.js';
import { requestService, requestWorkflowId } from '../../src/services/requests.js';
import { BACKENDS, migrated, type Scratch } from '../support/databases.js';
import { enterpriseDoc, harness, HAIKU, teamDoc, usageOfCents, type Harness } from '../support/fixtures.js';
import { recordingNotifier } from '../support/recording-notifier.js';
import { devServerEnv, testWorker } from '../support/temporal.js';

const HOUR = 3_600_000;
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await devServerEnv();
});
afterAll(async () => {
  await env?.teardown();
});

describe.each(BACKENDS)('requests over the API on $kind', ({ kind, open }) => {
  let scratch: Scratch;
  let worker: Awaited<ReturnType<typeof testWorker>>;
  let h: Harness;
  let key: string;
  let teamKey: string;
  const notifier = recordingNotifier();
  let n = 0;

  beforeAll(async () => {
    scratch = await migrated(open);
    const db = scratch.db.prisma;
    worker = await testWorker(env, { db, notifier, payments: ledgerOnlyPayments(db), now: () => new Date() });
    // One clock for the API and the request service, so a test can let a day pass.
    const requests = requestService({ db, client: env.client, taskQueue: worker.taskQueue, timings: { remindAfterMs: 24 * HOUR, expireAfterMs: 7 * 24 * HOUR, cooldownAfterDenialMs: 24 * HOUR }, now: () => h.clock.now });
    h = await harness(db, new Date(), { requests });
    await h.provision('team', teamDoc());
    teamKey = await h.issueKey('team');
  });
  afterAll(async () => {
    await h?.close();
    await worker?.stop();
    await scratch?.dispose();
  });

  /** A fresh enterprise org where extra usage is for selected members (nobody selected yet). */
  async function org() {
    // Workflow ids are named by slug, and both backends share one Temporal server: a slug per backend.
    const slug = `acme-${kind}-${++n}`;
    await h.provision(slug, enterpriseDoc({ extraUsage: { enabled: true, scope: 'selected_members' } }));
    const k = await h.issueKey(slug);
    const as = (actor: string) => ({
      get: (url: string) => h.call('GET', url, { token: k, actor }),
      post: (url: string, body: unknown) => h.call('POST', url, { token: k, actor, body }),
      put: (url: string, body: unknown) => h.call('PUT', url, { token: k, actor, body }),
    });
    const orgId = (await scratch.db.prisma.organization.findUniqueOrThrow({ where: { slug } })).id;
    const memberId = async (ref: string) => (await scratch.db.prisma.member.findFirstOrThrow({ where: { orgId, externalId: ref } })).id;
    /** Uses up the member's included allowance ($1.00 standard, $3.00 premium) at the clock's now. */
    const useSeat = async (ref: string) => {
      const seat = (await scratch.db.prisma.member.findFirstOrThrow({ where: { orgId, externalId: ref } })).seatTier;
      const res = await h.call('POST', '/v1/usage/record', { token: k, body: { requestId: `seat-${ref}-${h.clock.now.getTime()}`, member: ref, model: HAIKU, usage: usageOfCents(seat === 'premium' ? 300 : 100) } });
      expect(res.status).toBe(200);
    };
    return { slug, key: k, as, orgId, memberId, useSeat };
  }

  /** What a refused request or decision must leave as it was. */
  async function snapshot(orgId: string) {
    const db = scratch.db.prisma;
    const [requests, audit, members, orgRow] = await Promise.all([
      db.extraUsageRequest.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
      db.auditEntry.count({ where: { orgId } }),
      db.member.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
      db.organization.findUniqueOrThrow({ where: { id: orgId } }),
    ]);
    return JSON.stringify({ requests, audit, members, orgRow, pinged: notifier.of('requestOpened').filter((x) => x.request.orgId === orgId).length }, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
  }

  /** Admins are told of a request after it is opened: wait for that before comparing. */
  async function adminsTold(requestId: string) {
    for (let i = 0; i < 400 && !notifier.of('requestOpened').some((x) => x.request.requestId === requestId); i++) await new Promise((r) => setTimeout(r, 50));
  }

  async function noWorkflow(orgId: string, memberId: string) {
    const m = await scratch.db.prisma.member.findFirstOrThrow({ where: { id: memberId, orgId }, include: { org: true } });
    await expect(env.client.workflow.getHandle(requestWorkflowId(m.org.slug, m.externalId)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  }

  it('takes a member from refused to allowed through an admin\'s approval, the request id answered at once', async () => {
    const o = await org();
    await o.useSeat('alice');
    const refused = await h.call('POST', '/v1/usage/authorize', { token: o.key, body: { member: 'alice', model: HAIKU } });
    expect(refused.body).toMatchObject({ allowed: false, reason: 'seat_limit_reached', canRequestExtraUsage: true });

    const asked = await o.as('alice').post('/v1/requests', { note: 'Quarter-end report' });
    expect(asked.status).toBe(202);
    expect(asked.body).toMatchObject({ alreadyOpen: false, status: 'pending', requestId: expect.any(String) });
    const again = await o.as('alice').post('/v1/requests', {});
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ alreadyOpen: true, workflowId: asked.body.workflowId, requestId: asked.body.requestId });

    const pending = await o.as('admin-1').get('/v1/requests?status=pending');
    expect(pending.body.requests).toEqual([expect.objectContaining({ requestId: asked.body.requestId, status: 'pending', note: 'Quarter-end report', seatTier: 'standard', requester: expect.objectContaining({ externalId: 'alice' }) })]);
    expect((await o.as('bob').get('/v1/requests')).body.requests).toEqual([]);

    const byMember = await o.as('bob').post(`/v1/requests/${asked.body.requestId}/decision`, { decision: 'enable_extra_usage' });
    expect(byMember.status).toBe(403);
    const bad = await o.as('admin-1').post(`/v1/requests/${asked.body.requestId}/decision`, { decision: 'enable_extra_usage', cap: '20.001' });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.body.error.field).toBe('cap');

    // Decided straight away with the id ask answered: never "still being opened".
    const approved = await o.as('admin-1').post(`/v1/requests/${asked.body.requestId}/decision`, { decision: 'enable_extra_usage', cap: '20.00' });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'approved', decision: 'enable_extra_usage', decisionCap: '20.00', decidedBy: { externalId: 'admin-1' } });
    const allowed = await h.call('POST', '/v1/usage/authorize', { token: o.key, body: { member: 'alice', model: HAIKU } });
    expect(allowed.body).toMatchObject({ allowed: true, mode: 'extra' });
    expect((await o.as('owner-1').post(`/v1/requests/${asked.body.requestId}/decision`, { decision: 'deny' })).status).toBe(409);
    const audit = await scratch.db.prisma.auditEntry.findMany({ where: { orgId: o.orgId, action: 'request.decided' } });
    expect(audit).toEqual([expect.objectContaining({ actor: expect.stringContaining('(admin-1)'), subject: `request:${asked.body.requestId}`, after: expect.objectContaining({ status: 'approved', cap: '20.00' }) })]);
  }, 60_000);

  it('refuses requests that make no sense, says why, and pings nobody', async () => {
    const o = await org();
    // A Team org: owners manage extra usage themselves.
    const team = await h.call('POST', '/v1/requests', { token: teamKey, actor: 'alice', body: {} });
    expect(team).toMatchObject({ status: 422, body: { error: { code: 'not_enterprise', message: expect.stringContaining('enterprise plan only') } } });

    const before = await snapshot(o.orgId);
    // Alice still has included usage.
    const early = await o.as('alice').post('/v1/requests', {});
    expect(early).toMatchObject({ status: 422, body: { error: { code: 'not_at_seat_limit' } } });
    // Bob already has extra usage (an owner selected him).
    expect((await o.as('owner-1').put(`/v1/settings/members/bob/extra-usage`, { enabled: true })).status).toBe(200);
    await o.useSeat('bob');
    const mid = await snapshot(o.orgId);
    const has = await o.as('bob').post('/v1/requests', {});
    expect(has).toMatchObject({ status: 422, body: { error: { code: 'has_extra_usage' } } });
    expect(await snapshot(o.orgId)).toBe(mid);
    expect(before).not.toBe(mid); // the owner's change itself was audited
    await noWorkflow(o.orgId, await o.memberId('alice'));
    await noWorkflow(o.orgId, await o.memberId('bob'));
    // What authorize tells the gateway agrees: Bob is allowed, Alice is not refused at all.
    expect((await h.call('POST', '/v1/usage/authorize', { token: o.key, body: { member: 'bob', model: HAIKU } })).body).toMatchObject({ allowed: true, mode: 'extra' });
  }, 60_000);

  it('lets nobody decide their own request, admins and owners included', async () => {
    const o = await org();
    await o.useSeat('admin-1');
    const asked = await o.as('admin-1').post('/v1/requests', {});
    expect(asked.status).toBe(202);
    const id = asked.body.requestId;
    await adminsTold(id);
    const before = await snapshot(o.orgId);
    const own = await o.as('admin-1').post(`/v1/requests/${id}/decision`, { decision: 'enable_extra_usage', cap: null });
    expect(own).toMatchObject({ status: 403, body: { error: { message: expect.stringContaining('Nobody decides their own request') } } });
    expect(await snapshot(o.orgId)).toBe(before);
    // The requester gets no decision copy; the owner does.
    const opened = notifier.of('requestOpened').filter((x) => x.request.requestId === id);
    expect(opened.flatMap((x) => x.to.map((p) => p.externalId))).toEqual(['owner-1']);
    expect((await o.as('owner-1').post(`/v1/requests/${id}/decision`, { decision: 'deny', reason: 'Not this month' })).status).toBe(200);

    // The primary owner asking: nobody but another admin or owner may decide.
    await o.useSeat('owner-1');
    const ownerAsk = await o.as('owner-1').post('/v1/requests', {});
    const self = await o.as('owner-1').post(`/v1/requests/${ownerAsk.body.requestId}/decision`, { decision: 'upgrade_seat' });
    expect(self.status).toBe(403);
    expect((await o.as('admin-1').post(`/v1/requests/${ownerAsk.body.requestId}/decision`, { decision: 'enable_extra_usage', cap: '5.00' })).status).toBe(200);
  }, 60_000);

  it('refuses "enable extra usage" while the org switch is off, unless an owner turns it on for selected members in the same step', async () => {
    const o = await org();
    expect((await o.as('owner-1').put('/v1/settings/extra-usage', { enabled: false })).status).toBe(200);
    await o.useSeat('bob');
    const id = (await o.as('bob').post('/v1/requests', {})).body.requestId;
    expect((await h.call('POST', '/v1/usage/authorize', { token: o.key, body: { member: 'bob', model: HAIKU } })).body).toMatchObject({ reason: 'extra_usage_disabled' });
    await adminsTold(id);

    const before = await snapshot(o.orgId);
    const byAdmin = await o.as('admin-1').post(`/v1/requests/${id}/decision`, { decision: 'enable_extra_usage', cap: '10.00' });
    expect(byAdmin).toMatchObject({ status: 409, body: { error: { message: expect.stringContaining('An owner must turn extra usage on first') } } });
    const adminForces = await o.as('admin-1').post(`/v1/requests/${id}/decision`, { decision: 'enable_extra_usage', cap: '10.00', turnOnForSelectedMembers: true });
    expect(adminForces.status).toBe(403);
    expect(await snapshot(o.orgId)).toBe(before);

    const byOwner = await o.as('owner-1').post(`/v1/requests/${id}/decision`, { decision: 'enable_extra_usage', cap: '10.00', turnOnForSelectedMembers: true });
    expect(byOwner).toMatchObject({ status: 200, body: { status: 'approved' } });
    const orgRow = await scratch.db.prisma.organization.findUniqueOrThrow({ where: { id: o.orgId } });
    expect(orgRow).toMatchObject({ extraUsageEnabled: true, extraUsageScope: 'selected_members' });
    // Approved means usable: Bob goes on as extra usage, Alice (not selected) does not.
    expect((await h.call('POST', '/v1/usage/authorize', { token: o.key, body: { member: 'bob', model: HAIKU } })).body).toMatchObject({ allowed: true, mode: 'extra' });
    await o.useSeat('alice');
    expect((await h.call('POST', '/v1/usage/authorize', { token: o.key, body: { member: 'alice', model: HAIKU } })).body).toMatchObject({ allowed: false, reason: 'seat_limit_reached' });
    const audit = await scratch.db.prisma.auditEntry.findMany({ where: { orgId: o.orgId, action: 'extra_usage.set' }, orderBy: { id: 'asc' } });
    expect(audit.at(-1)).toMatchObject({ actor: expect.stringContaining('(owner-1)'), after: { enabled: true, scope: 'selected_members', viaRequest: id } });
  }, 60_000);

  it('makes a denied member wait a day before asking again, and shows the earlier denial to whoever decides next', async () => {
    const o = await org();
    await o.useSeat('alice');
    const first = (await o.as('alice').post('/v1/requests', {})).body.requestId;
    await adminsTold(first);
    expect((await o.as('admin-1').post(`/v1/requests/${first}/decision`, { decision: 'deny', reason: 'Budget review on Monday' })).status).toBe(200);

    const before = await snapshot(o.orgId);
    const soon = await o.as('alice').post('/v1/requests', {});
    // Who decided, the reason given and when they may ask again, in the org's timezone (not ISO).
    expect(soon).toMatchObject({ status: 409, body: { error: { code: 'recently_denied', message: expect.stringMatching(/^No request was sent: your last request was declined by Adam Admin on .+ \(Europe\/Paris\), saying "Budget review on Monday"; you may ask again from .+ \(Europe\/Paris\)\.$/) } } });
    expect(soon.body.error.message).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
    expect(await snapshot(o.orgId)).toBe(before);
    expect((await h.call('POST', '/v1/usage/authorize', { token: o.key, body: { member: 'alice', model: HAIKU } })).body).toMatchObject({ allowed: false, canRequestExtraUsage: false });

    // A day later, at her seat limit again, she may ask; the admins see the earlier denial.
    h.clock.now = new Date(h.clock.now.getTime() + 25 * HOUR);
    await o.useSeat('alice');
    const second = await o.as('alice').post('/v1/requests', {});
    expect(second.status).toBe(202);
    const listed = (await o.as('owner-1').get('/v1/requests?status=pending')).body.requests;
    expect(listed).toEqual([expect.objectContaining({ requestId: second.body.requestId, previousDenial: expect.objectContaining({ reason: 'Budget review on Monday', by: expect.objectContaining({ externalId: 'admin-1' }) }) })]);
  }, 60_000);
});
