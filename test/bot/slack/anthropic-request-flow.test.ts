// A connected org end to end: the real Temporal dev server (the poll's Schedule, the
// request workflows), the real worker, the real Bolt app over signed HTTP, and the real
// @anthropic-ai/sdk against a stand-in of the Admin API. A member's "Request extra
// usage" in claude.ai becomes one request workflow (request/<org>/anthropic/<id>) with
// one card per admin; "Increase limit" ($75.00 monthly) reaches Anthropic as exactly
// one approve, even clicked twice or with a worker crash after the call; Deny is one
// deny; a request decided in claude.ai closes its workflow and updates every copy.
import { randomBytes } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../../src/activities/index.js';
import type { ActivityDeps } from '../../../src/activities/deps.js';
import { adminClient } from '../../../src/anthropic/client.js';
import { connectOrg, disconnectOrg, failingConnections, type AnthropicDeps } from '../../../src/anthropic/connection.js';
import { listEffective, mirrorEffectiveLimits } from '../../../src/anthropic/effective-limits.js';
import { outboxRoutes } from '../../../src/temporal/outbox-routes.js';
import type { OutboxRow } from '../../../src/ledger/outbox.js';
import { ledgerOnlyPayments } from '../../../src/payments/port.js';
import { secretBox } from '../../../src/secrets/secret-box.js';
import { requestService, type RequestService } from '../../../src/services/requests.js';
import { anthropicPollScheduleId, ensureOrgSchedules } from '../../../src/temporal/schedules.js';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import { provision } from '../../support/ledger.js';
import { actionIdsOf, slackEnterpriseDoc, startSlackHarness, USERS, type SlackHarness } from '../../support/slack-harness.js';
import { devServerEnv, testWorker } from '../../support/temporal.js';
import { cancelSignal } from '../../../workflows/messages.js';
import { startAdminApi, type AdminApiStandIn } from '../../support/anthropic-admin-api.js';

const DAY = 86_400_000;
const KEY = 'sk-ant-admin01-e2e-test-key-0123456789abcdef';
let scratch: Scratch;
let env: TestWorkflowEnvironment;
let worker: Awaited<ReturnType<typeof testWorker>>;
let requests: RequestService;
let h: SlackHarness;
let api: AdminApiStandIn;
let orgId: string;
let anthropic: AnthropicDeps;
let taskQueue: string;
/** Request ids whose first decide attempt "crashes" right after Anthropic applied it. */
const crashAfterWrite = new Set<string>();
/** Request ids whose decide activity waits for its gate (a decision under way), and those that reached it. */
const gates = new Map<string, Promise<void>>();
const atGate = new Set<string>();
/** One poll's activity, called outside a workflow (to see what a failing poll leaves). */
let activityDeps: ActivityDeps;
let pollActivity: (input: { orgId: string; limitsEverySeconds?: number }) => Promise<{ limits: number | null } | null>;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  const db = scratch.db.prisma;
  [env, api] = await Promise.all([devServerEnv(), startAdminApi({ key: KEY })]);
  const doc = slackEnterpriseDoc();
  doc.members = doc.members.map((m) => ({ ...m, email: `${m.externalId}@acme.example` }));
  orgId = (await provision(db, 'acme', doc)).orgId;
  api.addUser({ id: 'user_owner', email: 'owner-1@acme.example', name: 'Olivia Owner', role: 'primary_owner' });
  api.addUser({ id: 'user_admin', email: 'admin-1@acme.example', name: 'Adam Admin', role: 'admin' });
  for (const n of ['alice', 'bob', 'carol', 'dave']) api.addUser({ id: `user_${n}`, email: `${n}@acme.example`, name: n[0]!.toUpperCase() + n.slice(1), role: 'user' });

  anthropic = { box: secretBox(randomBytes(32)), baseUrl: api.url };
  await connectOrg(db, anthropic, orgId, KEY, 'operator');
  taskQueue = `anthropic-e2e-${process.pid}`;
  requests = requestService({ db, client: env.client, taskQueue, timings: { remindAfterMs: DAY, expireAfterMs: 7 * DAY }, now: () => new Date() });
  h = await startSlackHarness(db, requests, { publicUrl: 'https://usage.acme.example' });
  const deps: ActivityDeps = { db, notifier: h.slack.notifier, payments: ledgerOnlyPayments(db), now: () => new Date(), anthropic };
  activityDeps = deps;
  const real = createActivities(deps);
  pollActivity = real.pollAnthropic;
  worker = await testWorker(env, deps, {
    taskQueue,
    activities: {
      ...real,
      // A worker that dies after Anthropic applied the decision and before the ledger recorded it.
      async decideAnthropicRequest(input: Parameters<typeof real.decideAnthropicRequest>[0]) {
        const gate = gates.get(input.requestId);
        if (gate) {
          atGate.add(input.requestId);
          await gate;
        }
        if (crashAfterWrite.delete(input.requestId)) {
          const row = await db.extraUsageRequest.findUniqueOrThrow({ where: { id: input.requestId } });
          await adminClient(KEY, { baseUrl: api.url }).organization.spendLimits.increaseRequests.approve(row.anthropicRequestId!, { amount: '4000', period: input.period! });
          throw new Error('worker crashed between the approve call and its record');
        }
        return real.decideAnthropicRequest(input);
      },
    },
  });
  // The org's Schedules, its poll included (an hour apart: the test triggers each poll).
  const org = await db.organization.findUniqueOrThrow({ where: { id: orgId } });
  await ensureOrgSchedules(env.client, { ...org, anthropicConnected: true }, taskQueue, undefined, { everySeconds: 3600, remindAfterMs: DAY });
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await h?.close();
  await api?.close();
  await env?.teardown();
  await scratch?.dispose();
});

let polls = 0;
/** One poll, run to its end (as the Schedule runs it). */
const poll = () => env.client.workflow.execute('anthropicPoll', { taskQueue, workflowId: `anthropic-poll-test-${++polls}`, args: [{ orgId, remindAfterMs: DAY }] });
const cardsOf = (requestId: string) => h.api.of('chat.postMessage').filter((c) => c.response.ok && JSON.stringify(c.args.blocks).includes(`req:${requestId}:header`));
const rowOf = (anthropicRequestId: string) => scratch.db.prisma.extraUsageRequest.findFirst({ where: { orgId, anthropicRequestId } });
async function until<T>(what: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await what();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a connected org\'s increase requests in Slack, end to end', () => {
  it('a pending request becomes one workflow and one card per admin; Increase limit $75.00 monthly is one approve, even clicked twice', async () => {
    const db = scratch.db.prisma;
    const asked = api.addRequest('user_alice', { period: 'monthly', limitCents: '5000', spentCents: '5000.5' });
    // The Schedule's poll finds it.
    await env.client.schedule.getHandle(anthropicPollScheduleId('acme')).trigger();
    const row = await until(() => rowOf(asked.id));
    const workflowId = `request/acme/anthropic/${asked.id}`;
    expect(row.workflowId).toBe(workflowId);
    const cards = await h.api.waitFor('chat.postMessage', (c) => JSON.stringify(c.args.blocks).includes(`req:${row.id}:header`), 2);
    expect(cards.map((c) => c.response.channel).sort()).toEqual([`D_${USERS.admin}`, `D_${USERS.owner}`]);
    for (const card of cards) {
      expect(actionIdsOf(card.args.blocks)).toEqual(['decide_increase_limit', 'decide_deny']);
      const text = JSON.stringify(card.args.blocks);
      expect(text).toContain(`<@${USERS.alice}>`);
      expect(text).toContain('monthly limit');
      expect(text).toContain('$50.00');
      expect(text).toContain('their seat tier');
    }
    // Polling again finds nothing new: still one workflow, one row, two cards.
    await poll();
    expect(await db.extraUsageRequest.count({ where: { orgId, anthropicRequestId: asked.id } })).toBe(1);
    expect(cardsOf(row.id)).toHaveLength(2);

    // The admin opens "Increase limit": pre-filled with a suggestion and the request's period.
    const adminCard = cards.find((c) => c.response.channel === `D_${USERS.admin}`)!;
    await h.clickInMessage(USERS.admin, adminCard, 'decide_increase_limit');
    await h.clickInMessage(USERS.admin, adminCard, 'decide_increase_limit');
    const modals = await h.api.waitFor('views.open', (c) => c.args.view?.callback_id === 'decision_increase_limit', 2);
    const amountBlock = modals[0]!.args.view.blocks.find((b: any) => b.block_id === 'amount');
    expect(amountBlock.element.initial_value).toBe('75.00');
    expect(modals[0]!.args.view.blocks.find((b: any) => b.block_id === 'period').element.initial_option.value).toBe('monthly');
    // A bad amount is refused inline; nothing reaches Anthropic.
    const bad = await h.submit(USERS.admin, modals[0]!, { amount: '75.001', period: 'monthly' });
    expect(bad.json).toMatchObject({ response_action: 'errors', errors: { amount: expect.stringContaining('at most 2 decimals') } });
    expect(api.approves()).toEqual([]);

    // Both modals submitted at once (a double click): one approve.
    const [a, b] = await Promise.all([h.submit(USERS.admin, modals[0]!, { amount: '$75', period: 'monthly' }), h.submit(USERS.admin, modals[1]!, { amount: '75.00', period: 'monthly' })]);
    expect([a.status, b.status]).toEqual([200, 200]);
    // Every admin's copy shows the outcome.
    for (const who of [USERS.admin, USERS.owner]) {
      await h.api.waitFor('chat.update', (c) => c.args.channel === `D_${who}` && JSON.stringify(c.args.blocks).includes(`req:${row.id}:outcome`) && JSON.stringify(c.args.blocks).includes('raised to $75.00 monthly'));
    }
    // The second submission was told it is already decided.
    await h.api.waitFor('chat.postEphemeral', (c) => c.args.user === USERS.admin && /already approved|another admin is deciding/.test(String(c.args.text)));
    expect(api.approves()).toEqual([{ id: asked.id, body: { amount: '7500', period: 'monthly' } }]);
    expect(api.requests.get(asked.id)!.status).toBe('approved');

    const decided = await db.extraUsageRequest.findUniqueOrThrow({ where: { id: row.id } });
    expect(decided).toMatchObject({ status: 'approved', decision: 'increase_limit', decisionCapNanos: 75_000_000_000n, decisionPeriod: 'monthly' });
    const audit = await db.auditEntry.findMany({ where: { orgId, action: 'anthropic.spend_limit.user.set' } });
    expect(audit).toHaveLength(1);
    expect(audit[0]!.after).toMatchObject({ limit: '75.00', period: 'monthly' });
    // The member is told in Slack; the workflow is done.
    await h.api.waitFor('chat.postMessage', (c) => c.response.channel === `D_${USERS.alice}` && JSON.stringify(c.args.blocks).includes('$75.00 monthly'));
    expect((await env.client.workflow.getHandle(workflowId).result()).status).toBe('approved');
  });

  it('a crash between the approve call and its record still approves once', async () => {
    const db = scratch.db.prisma;
    const asked = api.addRequest('user_bob', { period: 'weekly', limitCents: '2000', spentCents: '2000' });
    await poll();
    const row = await until(() => rowOf(asked.id));
    await h.api.waitFor('chat.postMessage', (c) => JSON.stringify(c.args.blocks).includes(`req:${row.id}:header`), 2);
    crashAfterWrite.add(row.id);
    const admin = await db.member.findFirstOrThrow({ where: { orgId, externalId: 'admin-1' } });
    const view = await requests.decide(orgId, row.id, admin.id, { decision: 'increase_limit', amount: '40.00', period: 'weekly' });
    expect(view).toMatchObject({ status: 'approved', decision: 'increase_limit', decisionCap: '40.00', decisionPeriod: 'weekly' });
    expect(crashAfterWrite.has(row.id)).toBe(false); // the crash happened
    expect(api.approves().filter((x) => x.id === asked.id)).toHaveLength(1);
    expect(await db.auditEntry.count({ where: { orgId, action: 'request.decided', subject: `request:${row.id}` } })).toBe(1);
  });

  it('a cancel arriving while a decision is under way waits for it: the approve Anthropic applied is recorded and audited', async () => {
    const db = scratch.db.prisma;
    const asked = api.addRequest('user_carol', { period: 'monthly', limitCents: '3000', spentCents: '3000' });
    await poll();
    const row = await until(() => rowOf(asked.id));
    const handle = env.client.workflow.getHandle(row.workflowId);
    await until(async () => ((await handle.query('state')) as { requestId: string | null }).requestId);
    let open!: () => void;
    gates.set(row.id, new Promise<void>((r) => (open = r)));
    const admin = await db.member.findFirstOrThrow({ where: { orgId, externalId: 'admin-1' } });
    const deciding = requests.decide(orgId, row.id, admin.id, { decision: 'increase_limit', amount: '45.00', period: 'monthly' });
    await until(async () => atGate.has(row.id));
    // Carol leaves (or gets extra usage another way) while the admin's decision is being applied.
    await handle.signal(cancelSignal, { reason: 'member_left' });
    // The workflow has handled the signal (a workflow task completed after it) before the decision goes on.
    await until(async () => {
      const events = (await handle.fetchHistory()).events ?? [];
      const signalled = events.findIndex((e) => e.workflowExecutionSignaledEventAttributes);
      return signalled >= 0 && events.slice(signalled).some((e) => e.workflowTaskCompletedEventAttributes);
    });
    open();
    expect(await deciding).toMatchObject({ status: 'approved', decisionCap: '45.00' });
    expect((await handle.result()).status).toBe('approved');
    expect(await db.extraUsageRequest.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({ status: 'approved', decision: 'increase_limit' });
    expect(await db.auditEntry.count({ where: { orgId, action: 'anthropic.spend_limit.user.set', subject: { contains: row.memberId } } })).toBeGreaterThanOrEqual(1);
    expect(api.approves().filter((x) => x.id === asked.id)).toHaveLength(1);
    gates.delete(row.id);
  });

  it('Deny is one deny call; a request decided in claude.ai closes its workflow and updates every copy', async () => {
    const db = scratch.db.prisma;
    const denied = api.addRequest('user_carol', { period: 'daily', limitCents: '500', spentCents: '500' });
    const elsewhere = api.addRequest('user_alice', { period: 'weekly', limitCents: '10000', spentCents: '10000' });
    await poll();
    const [denyRow, elsewhereRow] = [await until(() => rowOf(denied.id)), await until(() => rowOf(elsewhere.id))];
    const cards = await h.api.waitFor('chat.postMessage', (c) => JSON.stringify(c.args.blocks).includes(`req:${denyRow.id}:header`), 2);
    await h.api.waitFor('chat.postMessage', (c) => JSON.stringify(c.args.blocks).includes(`req:${elsewhereRow.id}:header`), 2);

    await h.clickInMessage(USERS.owner, cards.find((c) => c.response.channel === `D_${USERS.owner}`)!, 'decide_deny');
    const [modal] = await h.api.waitFor('views.open', (c) => c.args.view?.callback_id === 'decision_deny');
    await h.submit(USERS.owner, modal!, { reason: 'Not this quarter' });
    await h.api.waitFor('chat.update', (c) => JSON.stringify(c.args.blocks).includes(`req:${denyRow.id}:outcome`) && JSON.stringify(c.args.blocks).includes('Denied'), 2);
    expect(api.denies()).toEqual([{ id: denied.id }]);
    expect(api.requests.get(denied.id)!.status).toBe('denied');

    // The owner approves Alice's second request in claude.ai: the next poll closes it here.
    api.decideInClaude(elsewhere.id, 'approved', 'user_owner');
    await poll();
    const updates = await h.api.waitFor('chat.update', (c) => JSON.stringify(c.args.blocks).includes(`req:${elsewhereRow.id}:outcome`) && JSON.stringify(c.args.blocks).includes('Approved'), 2);
    for (const u of updates) {
      expect(JSON.stringify(u.args.blocks)).toContain(`<@${USERS.owner}>`);
      expect(actionIdsOf(u.args.blocks)).toEqual([]);
    }
    const result = await env.client.workflow.getHandle(`request/acme/anthropic/${elsewhere.id}`).result();
    expect(result.status).toBe('approved');
    const closed = await db.extraUsageRequest.findUniqueOrThrow({ where: { id: elsewhereRow.id } });
    expect(closed).toMatchObject({ status: 'approved', decision: 'increase_limit' });
    // Nothing was written to Anthropic for it from here.
    expect(api.approves().filter((x) => x.id === elsewhere.id)).toEqual([]);
    expect(await db.auditEntry.count({ where: { orgId, action: 'request.decided', actor: { startsWith: 'anthropic:' } } })).toBe(1);
    h.expectWithinLimits();
  });

  it('Anthropic answering 503 while deciding: backed off, then one approve; a key without permission: the admin reads what to do, nothing decided', async () => {
    const db = scratch.db.prisma;
    const admin = await db.member.findFirstOrThrow({ where: { orgId, externalId: 'admin-1' } });
    const flaky = api.addRequest('user_bob', { period: 'weekly', limitCents: '2000' });
    const forbidden = api.addRequest('user_carol', { period: 'monthly' });
    await poll();
    const [flakyRow, forbiddenRow] = [await until(() => rowOf(flaky.id)), await until(() => rowOf(forbidden.id))];
    const cards = await h.api.waitFor('chat.postMessage', (c) => c.response.channel === `D_${USERS.admin}` && JSON.stringify(c.args.blocks).includes(`req:${forbiddenRow.id}:header`));
    await until(async () => ((await env.client.workflow.getHandle(flakyRow.workflowId).query('state')) as { requestId: string | null }).requestId);

    // Anthropic answers 503 twice: the decision is retried with back-off and approves once.
    api.failNext(2, 503);
    const view = await requests.decide(orgId, flakyRow.id, admin.id, { decision: 'increase_limit', amount: '25.00', period: 'weekly' });
    expect(view).toMatchObject({ status: 'approved', decisionCap: '25.00', decisionPeriod: 'weekly' });
    expect(api.approves().filter((x) => x.id === flaky.id)).toEqual([{ id: flaky.id, body: { amount: '2500', period: 'weekly' } }]);

    // A key that may not write: the admin is told what to do, in words; nothing changes.
    api.failNext(1, 403, 'This API key does not have permission to approve spend limit increase requests');
    await h.clickInMessage(USERS.admin, cards[0]!, 'decide_increase_limit');
    const [modal] = await h.api.waitFor('views.open', (c) => c.args.view?.callback_id === 'decision_increase_limit' && JSON.stringify(c.args.view).includes(forbiddenRow.id));
    await h.submit(USERS.admin, modal!, { amount: '60', period: 'monthly' });
    const [told] = await h.api.waitFor('chat.postEphemeral', (c) => c.args.user === USERS.admin && String(c.args.text).includes('may not do this'));
    expect(String(told!.args.text)).toContain('use a key of an owner or admin');
    expect(String(told!.args.text)).toContain('Nothing was changed');
    expect(api.approves().filter((x) => x.id === forbidden.id)).toEqual([]);
    expect((await db.extraUsageRequest.findUniqueOrThrow({ where: { id: forbiddenRow.id } })).status).toBe('pending');
    expect(api.requests.get(forbidden.id)!.status).toBe('pending');
  });

  it('a poll that cannot reach Anthropic is named (GET /health lists the org) until one succeeds', async () => {
    api.failNext(3, 503);
    await expect(pollActivity({ orgId })).rejects.toThrow(/503/);
    expect(await failingConnections(scratch.db.prisma)).toEqual([{ org: 'acme', error: expect.stringContaining('Anthropic answered 503'), lastSyncedAt: expect.any(String) }]);
    await pollActivity({ orgId });
    expect(await failingConnections(scratch.db.prisma)).toEqual([]);

    // SECRETS_KEY changed since the key was stored: said once, not retried; connecting again fixes it.
    const rotated = createActivities({ ...activityDeps, anthropic: { box: secretBox(randomBytes(32)), baseUrl: api.url } });
    await expect(rotated.pollAnthropic({ orgId })).rejects.toThrow(/SECRETS_KEY/);
    expect(await failingConnections(scratch.db.prisma)).toEqual([{ org: 'acme', error: expect.stringContaining('connect the org again'), lastSyncedAt: expect.any(String) }]);
    await pollActivity({ orgId });
    expect(await failingConnections(scratch.db.prisma)).toEqual([]);
  });

  it('the effective-limits report is read by the poll when due, not on every poll', async () => {
    api.effective.push({
      actor: { type: 'user_actor', user_id: 'user_alice', name: 'Alice', email_address: 'alice@acme.example', deleted: false },
      amount: '7500', currency: 'USD', period: 'monthly', period_to_date_spend: '100', scope: { type: 'user', user_id: 'user_alice' },
      source: { type: 'user', user_id: 'user_alice' }, spend_limit_id: 'spl_alice',
    });
    expect((await pollActivity({ orgId, limitsEverySeconds: 300 }))?.limits).toBe(1);
    expect((await pollActivity({ orgId, limitsEverySeconds: 300 }))?.limits).toBeNull();
    const alice = await scratch.db.prisma.member.findFirstOrThrow({ where: { orgId, externalId: 'alice' } });
    expect(await scratch.db.prisma.anthropicEffectiveLimit.findUniqueOrThrow({ where: { memberId_period: { memberId: alice.id, period: 'monthly' } } })).toMatchObject({ amountNanos: 75_000_000_000n, sourceType: 'user' });
  });

  it('extra usage turned on here leaves requests from Claude open; a member leaving closes every one of theirs; a request gone at Anthropic closes', async () => {
    const db = scratch.db.prisma;
    const monthly = api.addRequest('user_dave', { period: 'monthly' });
    const weekly = api.addRequest('user_dave', { period: 'weekly' });
    await poll();
    const rows = [await until(() => rowOf(monthly.id)), await until(() => rowOf(weekly.id))];
    for (const r of rows) await until(async () => ((await env.client.workflow.getHandle(r.workflowId).query('state')) as { requestId: string | null }).requestId);
    const dave = await db.member.findFirstOrThrow({ where: { orgId, anthropicUserId: 'user_dave' } });
    // Our ledger's extra usage is unrelated to Anthropic's limits: nothing of Dave's is cancelled.
    expect(await requests.cancel(orgId, dave.id, 'extra_usage_enabled')).toBe(false);
    // Dave leaves: both of his requests close.
    expect(await requests.cancel(orgId, dave.id, 'member_left')).toBe(true);
    for (const r of rows) expect((await env.client.workflow.getHandle(r.workflowId).result()).status).toBe('cancelled');

    // A request Anthropic no longer knows (404) is closed by the next poll, not left waiting.
    const gone = api.addRequest('user_dave', { period: 'daily' });
    await poll();
    const goneRow = await until(() => rowOf(gone.id));
    await until(async () => ((await env.client.workflow.getHandle(goneRow.workflowId).query('state')) as { requestId: string | null }).requestId);
    api.requests.delete(gone.id);
    await poll();
    expect((await env.client.workflow.getHandle(goneRow.workflowId).result()).status).toBe('cancelled');
  });

  it('a member of a connected org reads their own limit in Claude, its source and spend in cents, in /usage and the App Home', async () => {
    const db = scratch.db.prisma;
    api.effective.push({
      actor: { type: 'user_actor', user_id: 'user_bob', name: 'Bob', email_address: 'bob@acme.example', deleted: false },
      amount: '2000', currency: 'USD', period: 'weekly', period_to_date_spend: '1500.5', scope: { type: 'user', user_id: 'user_bob' },
      source: { type: 'seat_tier', seat_tier: 'standard' }, spend_limit_id: 'spl_bob',
    });
    await mirrorEffectiveLimits(db, orgId, await listEffective(adminClient(KEY, { baseUrl: api.url })), new Date());
    const { responseUrl } = await h.command(USERS.bob);
    const [reply] = await h.api.waitFor('response_url', (c) => responseUrl.endsWith(c.args.url));
    const text = JSON.stringify(reply!.args.blocks);
    expect(text).toContain('Your limits in Claude');
    // 1500.5 cents: $15.005, in cents.
    expect(text).toContain('Weekly limit: $15.01 of $20.00 spent this week (from your seat tier (standard), changed in claude.ai)');
    expect(text).toContain('Your next limit in Claude is your weekly limit of $20.00');
    await h.openHome(USERS.bob);
    const [home] = await h.api.waitFor('views.publish', (c) => c.args.user_id === USERS.bob && JSON.stringify(c.args.view).includes('Your limits in Claude'));
    expect(JSON.stringify(home!.args.view)).toContain('Weekly limit: $15.01 of $20.00');
    h.expectWithinLimits();
  });

  it('an owner\'s Usage settings show each member\'s limits in Claude, their source and spend in cents; their own limit is edited in the console, never with the ledger\'s "Edit limit or seat"', async () => {
    const db = scratch.db.prisma;
    api.effective.push({
      actor: { type: 'user_actor', user_id: 'user_carol', name: 'Carol', email_address: 'carol@acme.example', deleted: false },
      amount: '7500', currency: 'USD', period: 'monthly', period_to_date_spend: '1234.5', scope: { type: 'user', user_id: 'user_carol' },
      source: { type: 'user', user_id: 'user_carol' }, spend_limit_id: 'spl_carol',
    }, {
      actor: { type: 'user_actor', user_id: 'user_carol', name: 'Carol', email_address: 'carol@acme.example', deleted: false },
      amount: '1000', currency: 'USD', period: 'daily', period_to_date_spend: '1000', scope: { type: 'user', user_id: 'user_carol' },
      source: { type: 'organization' }, spend_limit_id: 'spl_org_daily',
    });
    await mirrorEffectiveLimits(db, orgId, await listEffective(adminClient(KEY, { baseUrl: api.url })), new Date());
    const carol = await db.member.findFirstOrThrow({ where: { orgId, email: 'carol@acme.example' } });
    await h.openHome(USERS.owner);
    await h.api.waitFor('views.publish', (c) => c.args.user_id === USERS.owner);
    await h.clickInHome(USERS.owner, 'home_tab_settings');
    const [home] = await h.api.waitFor('views.publish', (c) => c.args.user_id === USERS.owner && JSON.stringify(c.args.view).includes('Individual seat limits'));
    const blocks = home!.args.view.blocks as any[];
    const row = JSON.stringify(blocks.find((b) => b.block_id === `seat_${carol.id}`));
    // 1234.5 cents is $12.345: shown in cents.
    expect(row).toContain('Monthly limit: $12.35 of $75.00 spent this month (from their own limit)');
    expect(row).toContain('Daily limit: $10.00 of $10.00 spent today, reached (from the organization; change this in claude.ai)');
    expect(row).toContain('<https://usage.acme.example/usage?q=Carol|Edit limit in the console>');
    expect(JSON.stringify(blocks)).toContain('Seat-tier, group and organization limits are changed in claude.ai');
    // The ledger's cap editor is not offered: it would change a cap that does not apply here.
    expect(JSON.stringify(blocks)).not.toContain('Edit limit or seat');
    expect(JSON.stringify(blocks)).not.toContain(JSON.stringify(JSON.stringify({ kind: 'member', memberId: carol.id })).slice(1, -1));
    h.expectWithinLimits();
  });

  it('disconnecting: a pending request from Claude is no longer tracked here (admins\' copies say so, the member is not told); reconnecting picks it up again without a second card', async () => {
    const db = scratch.db.prisma;
    const asked = api.addRequest('user_carol', { period: 'monthly', limitCents: '3000', spentCents: '3000' });
    await poll();
    const row = await until(() => rowOf(asked.id));
    const posted = await h.api.waitFor('chat.postMessage', (c) => JSON.stringify(c.args.blocks).includes(`req:${row.id}:header`), 2);
    const carolDms = h.dmsTo(USERS.carol).length;

    await disconnectOrg(db, orgId, 'operator');
    // The relay's route for the disconnect's outbox event.
    const event = await db.outboxEvent.findFirstOrThrow({ where: { orgId, type: 'anthropic_disconnected' } });
    await outboxRoutes().anthropic_disconnected!(event as unknown as OutboxRow, { db, client: env.client, taskQueue, requests });
    expect((await env.client.workflow.getHandle(row.workflowId).result()).status).toBe('untracked');
    expect((await db.extraUsageRequest.findUniqueOrThrow({ where: { id: row.id } })).status).toBe('untracked');
    const untracked = await h.api.waitFor('chat.update', (c) => JSON.stringify(c.args.blocks).includes(`req:${row.id}:`) && JSON.stringify(c.args.blocks).includes('No longer tracked here'), 2);
    for (const u of untracked) {
      expect(JSON.stringify(u.args.blocks)).toContain('decide this request in claude.ai');
      expect(actionIdsOf(u.args.blocks)).toEqual([]);
    }
    // The member is not told: the request is still open in Claude.
    expect(h.dmsTo(USERS.carol)).toHaveLength(carolDms);
    expect(api.requests.get(asked.id)!.status).toBe('pending');
    expect(await db.auditEntry.count({ where: { orgId, action: 'request.untracked', subject: `request:${row.id}` } })).toBe(1);
    // An admin clicking a copy their client still shows with buttons is told, as information, where to decide it; nothing is sent to Claude.
    const approvesBefore = api.approves().length;
    const adminCopy = posted.find((c) => c.response.channel === `D_${USERS.admin}`) ?? posted[0]!;
    const clicker = adminCopy.response.channel === `D_${USERS.admin}` ? USERS.admin : USERS.owner;
    await h.clickInMessage(clicker, adminCopy, 'decide_increase_limit');
    const [told] = await h.api.waitFor('chat.postEphemeral', (c) => c.args.user === clicker && String(c.args.text).includes('no longer tracked here'));
    expect(String(told!.args.text)).toContain('decided in claude.ai');
    expect(String(told!.args.text)).toMatch(/^:information_source:/);
    expect(h.api.calls.filter((c) => c.method === 'views.open' && JSON.stringify(c.args.view).includes(row.id))).toHaveLength(0);
    expect(api.approves()).toHaveLength(approvesBefore);

    // Reconnected: the poll picks it up again, one workflow, the same row, the admins' cards decidable again.
    await connectOrg(db, anthropic, orgId, KEY, 'operator');
    await poll();
    await poll();
    const again = `${row.workflowId}/tracked-2`;
    await until(async () => {
      const r = await db.extraUsageRequest.findUniqueOrThrow({ where: { id: row.id } });
      return r.status === 'pending' && r.workflowId === again;
    });
    expect(await db.extraUsageRequest.count({ where: { orgId, anthropicRequestId: asked.id } })).toBe(1);
    await h.api.waitFor('chat.update', (c) => JSON.stringify(c.args.blocks).includes(`req:${row.id}:`) && actionIdsOf(c.args.blocks).includes('decide_increase_limit'), 2);
    expect(cardsOf(row.id)).toHaveLength(2);

    // Decided in claude.ai now: the tracked-again workflow closes as Anthropic has it.
    api.decideInClaude(asked.id, 'approved', 'user_owner');
    await poll();
    expect((await env.client.workflow.getHandle(again).result()).status).toBe('approved');
    h.expectWithinLimits();
  });
});
