// A connected org in Teams, end to end: the real Temporal dev server and worker, the
// real botbuilder bot against its connector stand-in, and the real @anthropic-ai/sdk
// against a stand-in of the Admin API. A pending increase request found by the poll is
// one card per admin; "Increase limit" ($75.00 monthly) is exactly one approve, a
// second click changes nothing, and every copy and the member show the outcome.
import { randomBytes } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient } from '../../../src/anthropic/client.js';
import { connectOrg, disconnectOrg, type AnthropicDeps } from '../../../src/anthropic/connection.js';
import { listEffective, mirrorEffectiveLimits } from '../../../src/anthropic/effective-limits.js';
import { ledgerOnlyPayments } from '../../../src/payments/port.js';
import { secretBox } from '../../../src/secrets/secret-box.js';
import { requestService, type RequestService } from '../../../src/services/requests.js';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import { provision } from '../../support/ledger.js';
import { personalConversationId } from '../../support/teams-connector.js';
import { buttonData, buttonsOf, startTeamsHarness, teamsEnterpriseDoc, textOf, USERS, type TeamsHarness } from '../../support/teams-harness.js';
import { devServerEnv, testWorker } from '../../support/temporal.js';
import { startAdminApi, type AdminApiStandIn } from '../../support/anthropic-admin-api.js';

const DAY = 86_400_000;
const KEY = 'sk-ant-admin01-teams-e2e-key-0123456789abcdef';
let scratch: Scratch;
let env: TestWorkflowEnvironment;
let worker: Awaited<ReturnType<typeof testWorker>>;
let requests: RequestService;
let h: TeamsHarness;
let api: AdminApiStandIn;
let orgId: string;
let taskQueue: string;
let anthropic: AnthropicDeps;
const dm = (u: { aadObjectId: string }) => personalConversationId(u.aadObjectId);
/** The card element with this id. */
function findById(n: unknown, id: string): unknown {
  if (!n || typeof n !== 'object') return null;
  if ((n as { id?: unknown }).id === id) return n;
  for (const v of Object.values(n)) {
    const found = findById(v, id);
    if (found) return found;
  }
  return null;
}

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  const db = scratch.db.prisma;
  [env, api] = await Promise.all([devServerEnv(), startAdminApi({ key: KEY })]);
  const doc = teamsEnterpriseDoc();
  doc.members = doc.members.map((m) => ({ ...m, email: `${m.externalId}@acme.example` }));
  orgId = (await provision(db, 'acme', doc)).orgId;
  api.addUser({ id: 'user_owner', email: 'owner-1@acme.example', name: 'Olivia Owner', role: 'owner' });
  api.addUser({ id: 'user_admin', email: 'admin-1@acme.example', name: 'Adam Admin', role: 'admin' });
  api.addUser({ id: 'user_alice', email: 'alice@acme.example', name: 'Alice', role: 'user' });
  anthropic = { box: secretBox(randomBytes(32)), baseUrl: api.url };
  await connectOrg(db, anthropic, orgId, KEY, 'operator');
  taskQueue = `anthropic-teams-${process.pid}`;
  requests = requestService({ db, client: env.client, taskQueue, timings: { remindAfterMs: DAY, expireAfterMs: 7 * DAY }, now: () => new Date() });
  h = await startTeamsHarness(db, requests, { config: { PUBLIC_URL: 'https://usage.acme.example' } });
  worker = await testWorker(env, { db, notifier: h.bot.notifier, payments: ledgerOnlyPayments(db), now: () => new Date(), anthropic }, { taskQueue });
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await h?.close();
  await api?.close();
  await env?.teardown();
  await scratch?.dispose();
});

describe('a connected org\'s increase requests in Teams, end to end', () => {
  it('one card per admin; Increase limit $75.00 monthly is one approve; every copy and the member show it', async () => {
    const db = scratch.db.prisma;
    await h.message(USERS.owner, 'hi');
    const asked = api.addRequest('user_alice', { period: 'monthly', limitCents: '5000', spentCents: '5000' });
    await env.client.workflow.execute('anthropicPoll', { taskQueue, workflowId: 'anthropic-poll-teams-1', args: [{ orgId, remindAfterMs: DAY }] });
    // The poll started the request's own workflow; its row follows.
    await expect.poll(() => db.extraUsageRequest.count({ where: { orgId, anthropicRequestId: asked.id } }), { timeout: 20_000 }).toBe(1);
    const row = await db.extraUsageRequest.findFirstOrThrow({ where: { orgId, anthropicRequestId: asked.id } });
    const sent = (c: any) => JSON.stringify(h.connector.cardOf(c) ?? {}).includes(row.id) && textOf(h.connector.cardOf(c)).includes('Extra usage request');
    const cards = await h.connector.waitFor('send', sent, 2);
    expect(cards.map((c) => c.conversationId).sort()).toEqual([dm(USERS.admin), dm(USERS.owner)].sort());

    const refresh = h.connector.cardOf(cards.find((c) => c.conversationId === dm(USERS.admin))!).refresh.action;
    const adminView = h.cardOf(await h.invoke(USERS.admin, refresh.verb, refresh.data, 'automatic'));
    expect(buttonsOf(adminView)).toEqual(['Increase limit…', 'Increase limit', 'Deny…', 'Deny request']);
    expect(textOf(adminView)).toContain('Their monthly limit: $50.00 (their seat tier)');
    // Pre-filled with the suggestion and the request's period.
    expect(JSON.stringify(adminView)).toContain(`"id":"amount:${row.id}","label":"New spend limit for Alice (USD)","value":"75.00"`);

    const increase = buttonData(adminView, 'Increase limit');
    const bad = h.cardOf(await h.invoke(USERS.admin, increase.verb, { ...increase.data, [`amount:${row.id}`]: '7.505', [`period:${row.id}`]: 'monthly' }));
    expect(textOf(bad)).toContain('"7.505" is not an amount');
    expect(api.approves()).toEqual([]);

    const done = h.cardOf(await h.invoke(USERS.admin, increase.verb, { ...increase.data, [`amount:${row.id}`]: '75', [`period:${row.id}`]: 'monthly' }));
    expect(textOf(done)).toContain('Done: Alice\'s spend limit is now $75.00 monthly. Alice is told.');
    expect(textOf(done)).toContain('Approved by Adam Admin');
    // A second click on the stale card: nothing more reaches Anthropic.
    const again = h.cardOf(await h.invoke(USERS.admin, increase.verb, { ...increase.data, [`amount:${row.id}`]: '75', [`period:${row.id}`]: 'monthly' }));
    expect(textOf(again)).toContain('already approved');
    expect(api.approves()).toEqual([{ id: asked.id, body: { amount: '7500', period: 'monthly' } }]);

    const copies = await db.chatMessage.findMany({ where: { requestId: row.id, purpose: 'request' } });
    const updates = await h.connector.waitFor('update', (c) => copies.some((m) => m.messageId === c.activityId), 2);
    for (const u of updates) expect(textOf(h.connector.cardOf(u))).toContain('spend limit is now $75.00 monthly');
    await h.connector.waitFor('send', (c) => c.conversationId === dm(USERS.alice) && textOf(h.connector.cardOf(c)).includes('your spend limit is now $75.00 monthly'));
  }, 90_000);

  it('a member reads their own limit in Claude (source, spend in cents) on the usage card', async () => {
    const db = scratch.db.prisma;
    api.effective.push({
      actor: { type: 'user_actor', user_id: 'user_alice', name: 'Alice', email_address: 'alice@acme.example', deleted: false },
      amount: '10000', currency: 'USD', period: 'monthly', period_to_date_spend: '2500.25', scope: { type: 'user', user_id: 'user_alice' },
      source: { type: 'rbac_group', rbac_group_id: 'grp_eng' }, spend_limit_id: 'spl_alice_m',
    });
    await mirrorEffectiveLimits(db, orgId, await listEffective(adminClient(KEY, { baseUrl: api.url })), new Date());
    await h.message(USERS.alice, 'usage');
    const [reply] = await h.connector.waitFor('send', (c) => c.conversationId === dm(USERS.alice) && textOf(h.connector.cardOf(c)).includes('Your limits in Claude'));
    const text = textOf(h.connector.cardOf(reply!));
    expect(text).toContain('$25.00 of $100.00 spent this month (from a group (grp_eng), changed in claude.ai)');
    expect(text).toContain('Your next limit in Claude is your monthly limit of $100.00');
  });

  it('an owner\'s settings card (Members) shows each member\'s limits in Claude, their source and spend in cents; their own limit is edited in the console', async () => {
    const db = scratch.db.prisma;
    api.effective.push({
      actor: { type: 'user_actor', user_id: 'user_alice', name: 'Alice', email_address: 'alice@acme.example', deleted: false },
      amount: '3000', currency: 'USD', period: 'weekly', period_to_date_spend: '1234.5', scope: { type: 'user', user_id: 'user_alice' },
      source: { type: 'user', user_id: 'user_alice' }, spend_limit_id: 'spl_alice_w',
    }, {
      actor: { type: 'user_actor', user_id: 'user_alice', name: 'Alice', email_address: 'alice@acme.example', deleted: false },
      amount: '500', currency: 'USD', period: 'daily', period_to_date_spend: '0', scope: { type: 'user', user_id: 'user_alice' },
      source: { type: 'seat_tier', seat_tier: 'standard' }, spend_limit_id: 'spl_tier_daily',
    });
    await mirrorEffectiveLimits(db, orgId, await listEffective(adminClient(KEY, { baseUrl: api.url })), new Date());
    const alice = await db.member.findFirstOrThrow({ where: { orgId, email: 'alice@acme.example' } });
    await h.message(USERS.owner, 'settings');
    const [sent] = await h.connector.waitFor('send', (c) => c.conversationId === dm(USERS.owner) && textOf(h.connector.cardOf(c)).includes('Usage settings'));
    const members = h.cardOf(await h.invoke(USERS.owner, 'settings.show', buttonData(h.connector.cardOf(sent!), 'Members').data));
    const row = textOf(findById(members, `member-row:${alice.id}`));
    expect(row).toContain('Alice');
    // 1234.5 cents is $12.345: shown in cents.
    expect(row).toContain('Weekly limit: $12.35 of $30.00 spent this week (from their own limit)');
    expect(row).toContain('Daily limit: $0.00 of $5.00 spent today (from their seat tier (standard); change this in claude.ai)');
    expect(textOf(members)).toContain('Seat-tier, group and organization limits are changed in claude.ai');
    expect(JSON.stringify(members)).toContain('"type":"Action.OpenUrl","title":"Edit limit in the console","url":"https://usage.acme.example/usage"');
    // The ledger's member editor (its cap, seat and switch) is not offered: it does not apply to a connected org.
    expect(buttonsOf(members)).toEqual(['All settings', 'Refresh']);
  });

  it('disconnecting: every admin\'s copy says the request is no longer tracked here and to decide it in claude.ai; the member is not told', async () => {
    const db = scratch.db.prisma;
    const asked = api.addRequest('user_alice', { period: 'weekly', limitCents: '2000', spentCents: '2000' });
    await env.client.workflow.execute('anthropicPoll', { taskQueue, workflowId: 'anthropic-poll-teams-2', args: [{ orgId, remindAfterMs: DAY }] });
    await expect.poll(() => db.extraUsageRequest.count({ where: { orgId, anthropicRequestId: asked.id } }), { timeout: 20_000 }).toBe(1);
    const row = await db.extraUsageRequest.findFirstOrThrow({ where: { orgId, anthropicRequestId: asked.id } });
    await h.connector.waitFor('send', (c) => JSON.stringify(h.connector.cardOf(c) ?? {}).includes(row.id), 2);
    const toAlice = () => h.connector.calls.filter((c) => c.kind === 'send' && c.conversationId === dm(USERS.alice)).length;
    const aliceBefore = toAlice();

    await disconnectOrg(db, orgId, 'operator');
    await requests.untrackAnthropic(orgId);
    expect((await env.client.workflow.getHandle(row.workflowId).result()).status).toBe('untracked');
    const copies = await db.chatMessage.findMany({ where: { requestId: row.id, purpose: 'request', channel: 'teams' } });
    expect(copies).toHaveLength(2);
    const updates = await h.connector.waitFor('update', (c) => copies.some((m) => m.messageId === c.activityId) && textOf(h.connector.cardOf(c)).includes('No longer tracked here'), 2);
    for (const u of updates) {
      expect(textOf(h.connector.cardOf(u))).toContain('decide this request in claude.ai');
      expect(buttonsOf(h.connector.cardOf(u))).not.toContain('Increase limit');
    }
    expect(toAlice()).toBe(aliceBefore);

    // Reconnected: the poll picks it up again; the admins' same copies are decidable again (no new card).
    const sends = h.connector.of('send', (c) => JSON.stringify(h.connector.cardOf(c) ?? {}).includes(row.id)).length;
    await connectOrg(db, anthropic, orgId, KEY, 'operator');
    await env.client.workflow.execute('anthropicPoll', { taskQueue, workflowId: 'anthropic-poll-teams-3', args: [{ orgId, remindAfterMs: DAY }] });
    await expect.poll(async () => (await db.extraUsageRequest.findUniqueOrThrow({ where: { id: row.id } })).workflowId, { timeout: 20_000 }).toBe(`${row.workflowId}/tracked-2`);
    await h.connector.waitFor('update', (c) => copies.some((m) => m.messageId === c.activityId) && textOf(h.connector.cardOf(c)).includes('Waiting for a decision'), 2);
    expect(h.connector.of('send', (c) => JSON.stringify(h.connector.cardOf(c) ?? {}).includes(row.id))).toHaveLength(sends);
  }, 90_000);
});
