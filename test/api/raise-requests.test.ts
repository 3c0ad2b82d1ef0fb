// "Ask to raise my limit" over HTTP, end to end (API → Temporal workflow → ledger), on
// PGlite and on the PostgreSQL server: a member stopped by their own cap asks, owners
// alone are told and decide, the new cap holds and is audited; a member stopped by their
// seat tier's or the organisation's cap asks owners the same way. Every ask or decision
// that makes no sense is a 4xx in words: nothing stored, no workflow, nobody pinged,
// nothing changed.
import { WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUsd } from '../../src/domain/money.js';
import { ledgerOnlyPayments } from '../../src/payments/port.js';
import { requestService, requestWorkflowId } from '../../src/services/requests.js';
import { BACKENDS, migrated, type Scratch } from '../support/databases.js';
import { enterpriseDoc, harness, HAIKU, usageOfCents, type Harness } from '../support/fixtures.js';
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

describe.each(BACKENDS)('asking to raise a limit on $kind', ({ kind, open }) => {
  let scratch: Scratch;
  let worker: Awaited<ReturnType<typeof testWorker>>;
  let h: Harness;
  const notifier = recordingNotifier();
  let n = 0;

  beforeAll(async () => {
    scratch = await migrated(open);
    const db = scratch.db.prisma;
    worker = await testWorker(env, { db, notifier, payments: ledgerOnlyPayments(db), now: () => new Date() });
    const requests = requestService({ db, client: env.client, taskQueue: worker.taskQueue, timings: { remindAfterMs: 24 * HOUR, expireAfterMs: 7 * 24 * HOUR, cooldownAfterDenialMs: 24 * HOUR }, now: () => h.clock.now });
    h = await harness(db, new Date(), { requests });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await worker?.stop();
    await scratch?.dispose();
  });

  async function until(ok: () => boolean) {
    for (let i = 0; i < 600 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(ok()).toBe(true);
  }

  /** Who was told of a request's opening, once they were. */
  async function toldOf(requestId: string) {
    await until(() => notifier.of('requestOpened').some((x) => x.request.requestId === requestId));
    return notifier.of('requestOpened').filter((x) => x.request.requestId === requestId);
  }

  async function org() {
    const slug = `raise-${kind}-${++n}-${Date.now()}`;
    await h.provision(slug, enterpriseDoc());
    const key = await h.issueKey(slug);
    const db = scratch.db.prisma;
    const orgId = (await db.organization.findUniqueOrThrow({ where: { slug } })).id;
    const as = (actor: string) => ({
      get: (url: string) => h.call('GET', url, { token: key, actor }),
      post: (url: string, body: unknown) => h.call('POST', url, { token: key, actor, body }),
    });
    /** Records usage of `cents` for the member now (recorded usage is never refused: it goes past a cap). */
    const use = async (ref: string, cents: number) => {
      const res = await h.call('POST', '/v1/usage/record', { token: key, body: { requestId: `use-${ref}-${++n}`, member: ref, model: HAIKU, usage: usageOfCents(cents) } });
      expect(res.status).toBe(200);
    };
    const authorize = async (ref: string) => (await h.call('POST', '/v1/usage/authorize', { token: key, body: { member: ref, model: HAIKU } })).body;
    const snapshot = async () => {
      const [requests, audit, members, orgRow] = await Promise.all([
        db.extraUsageRequest.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
        db.auditEntry.count({ where: { orgId } }),
        db.member.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
        db.organization.findUniqueOrThrow({ where: { id: orgId } }),
      ]);
      return JSON.stringify({ requests, audit, members, orgRow, pinged: notifier.of('requestOpened').filter((x) => x.request.orgId === orgId).length }, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
    };
    const noWorkflow = (ref: string) => expect(env.client.workflow.getHandle(requestWorkflowId(slug, ref)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    return { slug, orgId, as, use, authorize, snapshot, noWorkflow };
  }

    it('takes a member stopped by their own cap to a higher cap, decided by an owner, with a pre-filled suggestion', async () => {
      const o = await org();
      // Alice (cap $50.00) still has included usage: nothing to raise.
      const before = await o.snapshot();
      const early = await o.as('alice').post('/v1/requests/raise-limit', {});
      expect(early).toMatchObject({ status: 422, body: { error: { code: 'not_stopped_by_cap', message: expect.stringContaining('no limit stops you now') } } });
      expect(await o.snapshot()).toBe(before);
      await o.noWorkflow('alice');

      await o.use('alice', 5200); // $1.00 included, $51.00 extra: past her $50.00 cap
      expect(await o.authorize('alice')).toMatchObject({ allowed: false, reason: 'member_cap_reached' });

      // Above the org's $1,000.00 cap: refused in words, nothing stored, nobody pinged.
      const stopped = await o.snapshot();
      const tooHigh = await o.as('alice').post('/v1/requests/raise-limit', { amount: '1500.00' });
      expect(tooHigh).toMatchObject({ status: 422, body: { error: { field: 'amount', message: expect.stringContaining("$1,500.00 is above the organisation's monthly limit of $1,000.00") } } });
      const notAbove = await o.as('alice').post('/v1/requests/raise-limit', { amount: '50.00' });
      expect(notAbove).toMatchObject({ status: 422, body: { error: { field: 'amount', message: expect.stringContaining('above the current limit of $50.00') } } });
      expect(await o.snapshot()).toBe(stopped);
      await o.noWorkflow('alice');

      const asked = await o.as('alice').post('/v1/requests/raise-limit', { note: 'Launch week' });
      expect(asked.status).toBe(202);
      expect(asked.body).toMatchObject({ status: 'pending', raise: { scope: 'member', from: '50.00' } });
      const suggested = asked.body.raise.suggested as string;
      // Whole dollars, above the cap, within the org's cap.
      expect(suggested).toMatch(/^\d+\.00$/);
      expect(parseUsd(suggested)! > parseUsd('50')!).toBe(true);
      expect(parseUsd(suggested)! <= parseUsd('1000')!).toBe(true);

      // Owners alone are told (only owners change caps); the queue shows the request with its suggestion.
      const told = await toldOf(asked.body.requestId);
      expect(told).toHaveLength(1);
      expect(told[0]!.to.map((p) => p.externalId)).toEqual(['owner-1']);
      const queue = await o.as('admin-1').get('/v1/requests?status=pending');
      expect(queue.body.requests).toEqual([expect.objectContaining({ requestId: asked.body.requestId, note: 'Launch week', raise: { scope: 'member', from: '50.00', suggested } })]);

      // A second ask while one is open: 409 in words, still one request.
      const second = await o.as('alice').post('/v1/requests/raise-limit', {});
      expect(second).toMatchObject({ status: 409, body: { error: { message: expect.stringContaining('already have an open request to raise your limit') } } });
      // Asking for extra usage meanwhile finds the one open request (one per member).
      const ordinary = await o.as('alice').post('/v1/requests', {});
      expect(ordinary).toMatchObject({ status: 200, body: { alreadyOpen: true, requestId: asked.body.requestId } });

      // An admin may not decide it: 403 in words, nothing changed.
      const open = await o.snapshot();
      const byAdmin = await o.as('admin-1').post(`/v1/requests/${asked.body.requestId}/decision`, { decision: 'increase_limit', amount: suggested });
      expect(byAdmin).toMatchObject({ status: 403, body: { error: { message: expect.stringContaining('only an owner can change a limit, so an owner must decide this request. Nothing was changed.') } } });
      const adminDeny = await o.as('admin-1').post(`/v1/requests/${asked.body.requestId}/decision`, { decision: 'deny' });
      expect(adminDeny.status).toBe(403);
      const wrongKind = await o.as('owner-1').post(`/v1/requests/${asked.body.requestId}/decision`, { decision: 'enable_extra_usage' });
      expect(wrongKind.status).toBe(422);
      const aboveOrg = await o.as('owner-1').post(`/v1/requests/${asked.body.requestId}/decision`, { decision: 'increase_limit', amount: '2000.00' });
      expect(aboveOrg).toMatchObject({ status: 422, body: { error: { field: 'amount' } } });
      expect(await o.snapshot()).toBe(open);

      const decided = await o.as('owner-1').post(`/v1/requests/${asked.body.requestId}/decision`, { decision: 'increase_limit', amount: suggested });
      expect(decided).toMatchObject({ status: 200, body: { status: 'approved', decision: 'increase_limit', decisionCap: suggested, decidedBy: { externalId: 'owner-1' } } });
      expect(await o.authorize('alice')).toMatchObject({ allowed: true, mode: 'extra' });
      const audit = await scratch.db.prisma.auditEntry.findMany({ where: { orgId: o.orgId, action: 'cap.member.set' } });
      expect(audit).toEqual([expect.objectContaining({ actor: expect.stringContaining('(owner-1)'), before: { cap: '50.00' }, after: { cap: suggested, viaRequest: asked.body.requestId } })]);
      // The member hears back.
      await until(() => notifier.of('requestClosed').some((x) => x.request.requestId === asked.body.requestId));
    }, 120_000);

    it('routes a seat tier\'s cap to owners, who raise the tier\'s limit', async () => {
      const o = await org();
      // Adam (standard seat, no cap of his own) takes the Standard tier past its $500.00.
      await o.use('admin-1', 50_200);
      expect(await o.authorize('admin-1')).toMatchObject({ allowed: false, reason: 'seat_tier_cap_reached' });
      const asked = await o.as('admin-1').post('/v1/requests/raise-limit', { amount: '800.00' });
      expect(asked).toMatchObject({ status: 202, body: { raise: { scope: 'tier', from: '500.00', suggested: '800.00' } } });
      const told = await toldOf(asked.body.requestId);
      expect(told.map((t) => t.to.map((p) => p.externalId))).toEqual([['owner-1']]);
      const decided = await o.as('owner-1').post(`/v1/requests/${asked.body.requestId}/decision`, { decision: 'increase_limit', amount: '800.00' });
      expect(decided.status).toBe(200);
      expect(await o.authorize('admin-1')).toMatchObject({ allowed: true, mode: 'extra' });
      const audit = await scratch.db.prisma.auditEntry.findMany({ where: { orgId: o.orgId, action: 'cap.tier.set' } });
      expect(audit).toEqual([expect.objectContaining({ subject: 'tier:standard', before: { cap: '500.00' }, after: { cap: '800.00', viaRequest: asked.body.requestId } })]);
    }, 120_000);

    it('routes the organisation\'s cap to owners; a denial makes the member wait before asking again', async () => {
      const o = await org();
      // Bob (premium seat: no cap of his own, no premium tier cap) takes the org past its $1,000.00.
      await o.use('bob', 100_400);
      expect(await o.authorize('bob')).toMatchObject({ allowed: false, reason: 'org_cap_reached' });
      const asked = await o.as('bob').post('/v1/requests/raise-limit', {});
      expect(asked).toMatchObject({ status: 202, body: { raise: { scope: 'org', from: '1000.00' } } });
      // The organisation's own cap is not bounded by itself: the suggestion goes above it.
      expect(parseUsd(asked.body.raise.suggested)! > parseUsd('1000')!).toBe(true);
      expect((await toldOf(asked.body.requestId)).map((t) => t.to.map((p) => p.externalId))).toEqual([['owner-1']]);

      const denied = await o.as('owner-1').post(`/v1/requests/${asked.body.requestId}/decision`, { decision: 'deny', reason: 'Budget is fixed this month' });
      expect(denied).toMatchObject({ status: 200, body: { status: 'denied', decidedBy: { externalId: 'owner-1' } } });
      expect(await o.authorize('bob')).toMatchObject({ allowed: false, reason: 'org_cap_reached' });
      const before = await o.snapshot();
      const again = await o.as('bob').post('/v1/requests/raise-limit', {});
      expect(again).toMatchObject({ status: 409, body: { error: { code: 'recently_denied', message: expect.stringMatching(/your last request was declined by Olivia Owner on .+ \(Europe\/Paris\), saying "Budget is fixed this month"; you may ask again from .+ \(Europe\/Paris\)/) } } });
      expect(await o.snapshot()).toBe(before);
      const audit = await scratch.db.prisma.auditEntry.findMany({ where: { orgId: o.orgId, action: { in: ['cap.org.set', 'request.decided'] } } });
      expect(audit).toEqual([expect.objectContaining({ action: 'request.decided', after: expect.objectContaining({ status: 'denied', raise: 'org', reason: 'Budget is fixed this month' }) })]);
    }, 120_000);
});
