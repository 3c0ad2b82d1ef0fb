// End to end with the real Temporal dev server, the real worker (its notifier is the
// Teams bot's) and the real CloudAdapter over HTTP: a member asks from their usage
// card → every admin gets the request card → an admin approves through an
// adaptiveCard/action invoke → the ledger changes → every other admin's copy is
// updated (PUT) → the member is told. A member invoking an admin's action is
// refused and nothing changes.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerOnlyPayments } from '../../../src/payments/port.js';
import { requestService, type RequestService } from '../../../src/services/requests.js';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import { exhaustSeat, provision } from '../../support/ledger.js';
import { personalConversationId } from '../../support/teams-connector.js';
import { buttonData, buttonsOf, startTeamsHarness, teamsEnterpriseDoc, textOf, USERS, type TeamsHarness } from '../../support/teams-harness.js';
import { devServerEnv, testWorker } from '../../support/temporal.js';

const DAY = 86_400_000;
let scratch: Scratch;
let env: TestWorkflowEnvironment;
let worker: Awaited<ReturnType<typeof testWorker>>;
let requests: RequestService;
let h: TeamsHarness;
let member: Awaited<ReturnType<typeof provision>>['member'];
const dm = (u: { aadObjectId: string }) => personalConversationId(u.aadObjectId);

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  const db = scratch.db.prisma;
  env = await devServerEnv();
  const o = await provision(db, 'acme', teamsEnterpriseDoc({ extraUsage: { enabled: true, scope: 'selected_members', orgMonthlyCap: '1000.00', tierCaps: { standard: '500.00', premium: null } } }));
  member = o.member;
  // Members not selected for extra usage who used up their seat: they may ask for more.
  for (const m of ['alice', 'bob']) await exhaustSeat(db, o.orgId, m);
  const taskQueue = `teams-e2e-${process.pid}`;
  requests = requestService({ db, client: env.client, taskQueue, timings: { remindAfterMs: DAY, expireAfterMs: 7 * DAY }, now: () => new Date() });
  h = await startTeamsHarness(db, requests);
  worker = await testWorker(env, { db, notifier: h.bot.notifier, payments: ledgerOnlyPayments(db), now: () => new Date() }, { taskQueue });
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await h?.close();
  await env?.teardown();
  await scratch?.dispose();
});

const requestCardsSent = (requestId: string) => h.connector.of('send', (c) => JSON.stringify(h.connector.cardOf(c) ?? {}).includes(requestId) && textOf(h.connector.cardOf(c)).includes('Extra usage request'));

describe('extra usage requests in Teams, end to end', () => {
  it('member asks, an admin enables extra usage with a cap by invoke, every copy is updated and the member told', async () => {
    const db = scratch.db.prisma;
    await h.message(USERS.owner, 'hi'); // the owner has a chat already; the admin never wrote
    await h.message(USERS.alice, 'usage');
    const [usage] = await h.connector.waitFor('send', (c) => c.conversationId === dm(USERS.alice));
    const usageCard = h.connector.cardOf(usage!);
    expect(buttonsOf(usageCard)).toEqual(['Request extra usage', 'Refresh']);

    const ask = buttonData(usageCard, 'Request extra usage');
    const asked = h.cardOf(await h.invoke(USERS.alice, ask.verb, ask.data));
    expect(buttonsOf(asked)).toContain('Request sent to admin');
    // A second click on the old card opens no second request.
    const again = h.cardOf(await h.invoke(USERS.alice, ask.verb, ask.data));
    expect(textOf(again)).toContain('already have a request waiting');

    const alice = await member('alice');
    const open = await db.extraUsageRequest.findMany({ where: { memberId: alice.id } });
    expect(open).toHaveLength(1);
    const requestId = open[0]!.id;
    await h.connector.waitFor('send', (c) => requestCardsSent(requestId).includes(c), 2);
    expect(requestCardsSent(requestId).map((c) => c.conversationId).sort()).toEqual([dm(USERS.admin), dm(USERS.owner)].sort());
    // Each copy is remembered right after it is sent (to update it later): wait for both rows.
    const stored = () => db.chatMessage.count({ where: { requestId, channel: 'teams', purpose: 'request' } });
    for (let i = 0; i < 100 && (await stored()) < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await stored()).toBe(2);

    // The posted card refreshes into each viewer's own view: decisions for admins only.
    const adminCopy = h.connector.cardOf(requestCardsSent(requestId).find((c) => c.conversationId === dm(USERS.admin))!);
    const refresh = adminCopy.refresh.action;
    const adminView = h.cardOf(await h.invoke(USERS.admin, refresh.verb, refresh.data, 'automatic'));
    expect(buttonsOf(adminView)).toEqual(['Upgrade to premium seat', 'Enable extra usage…', 'Enable extra usage', 'Deny…', 'Deny request']);
    const bobView = h.cardOf(await h.invoke(USERS.bob, refresh.verb, refresh.data, 'automatic'));
    expect(buttonsOf(bobView)).toEqual([]);
    expect(textOf(bobView)).toContain('Only admins and owners');

    // A member invoking an admin's action (with the admin's own data) is refused; nothing changes.
    const enable = buttonData(adminView, 'Enable extra usage');
    const byBob = h.cardOf(await h.invoke(USERS.bob, enable.verb, { ...enable.data, [`cap:${requestId}`]: '999' }));
    expect(textOf(byBob)).toContain('Only admins and owners can decide requests. Nothing was changed.');
    expect(await db.extraUsageRequest.findUniqueOrThrow({ where: { id: requestId } })).toMatchObject({ status: 'pending', decidedById: null });
    expect(await member('alice')).toMatchObject({ extraUsageEnabled: false, extraUsageCapNanos: 50_000_000_000n });

    // A bad amount comes back in the card, under the input, with what was typed.
    const bad = h.cardOf(await h.invoke(USERS.admin, enable.verb, { ...enable.data, [`cap:${requestId}`]: '12.345' }));
    expect(textOf(bad)).toContain('"12.345" is not an amount');
    expect(JSON.stringify(bad)).toContain('"value":"12.345"');
    expect((await db.extraUsageRequest.findUniqueOrThrow({ where: { id: requestId } })).status).toBe('pending');

    const approved = h.cardOf(await h.invoke(USERS.admin, enable.verb, { ...enable.data, [`cap:${requestId}`]: '20' }));
    expect(textOf(approved)).toContain('Done: extra usage is on for Alice (limit $20.00 a month). Alice is told.');
    expect(textOf(approved)).toContain('Approved by Adam Admin');
    expect(buttonsOf(approved)).toEqual([]);
    expect(await member('alice')).toMatchObject({ extraUsageEnabled: true, extraUsageCapNanos: 20_000_000_000n });

    // Every admin's copy is replaced in place, and Alice is told in her chat.
    const copies = await db.chatMessage.findMany({ where: { requestId, purpose: 'request' } });
    const updates = await h.connector.waitFor('update', (c) => copies.some((m) => m.messageId === c.activityId), 2);
    for (const u of updates) expect(textOf(h.connector.cardOf(u))).toContain('Approved by Adam Admin');
    const [told] = await h.connector.waitFor('send', (c) => c.conversationId === dm(USERS.alice) && textOf(h.connector.cardOf(c)).includes('Your request was approved'));
    expect(textOf(h.connector.cardOf(told!))).toContain('up to $20.00 a month');

    // The owner clicking on their stale copy changes nothing.
    const late = h.cardOf(await h.invoke(USERS.owner, enable.verb, { ...enable.data, [`cap:${requestId}`]: '5' }));
    expect(textOf(late)).toContain('This request is already approved by Adam Admin. Nothing else was changed.');
    expect((await member('alice')).extraUsageCapNanos).toBe(20_000_000_000n);
  }, 90_000);

  it('an admin on an older client denies through the Action.Submit fallback; the card message is updated in place', async () => {
    const db = scratch.db.prisma;
    await h.invoke(USERS.bob, 'usage.request', { verb: 'usage.request' });
    const bob = await member('bob');
    await expect.poll(() => db.extraUsageRequest.count({ where: { memberId: bob.id, status: 'pending' } }), { timeout: 20_000 }).toBe(1);
    const request = await db.extraUsageRequest.findFirstOrThrow({ where: { memberId: bob.id, status: 'pending' } });
    const [ownerCopy] = await h.connector.waitFor('send', (c) => c.conversationId === dm(USERS.owner) && JSON.stringify(h.connector.cardOf(c) ?? {}).includes(request.id));
    // Bob has a premium seat: no upgrade on offer.
    const ownerView = h.cardOf(await h.invoke(USERS.owner, 'request.view', { verb: 'request.view', requestId: request.id, card: 'request' }));
    expect(buttonsOf(ownerView)).toEqual(['Enable extra usage…', 'Enable extra usage', 'Deny…', 'Deny request']);

    // What an Action.Submit carries: the fallback's data plus the inputs.
    const denyAction = JSON.parse(JSON.stringify(ownerView)).actions[1].card.actions[0];
    expect(denyAction.fallback).toMatchObject({ type: 'Action.Submit', data: denyAction.data });
    const res = await h.submit(USERS.owner, { ...denyAction.fallback.data, [`reason:${request.id}`]: 'Premium allowance should do this month' }, ownerCopy!.id!);
    expect(res.status).toBe(200);
    const [inPlace] = await h.connector.waitFor('update', (c) => c.activityId === ownerCopy!.id && textOf(h.connector.cardOf(c)).includes('Done:'));
    expect(textOf(h.connector.cardOf(inPlace!))).toContain('Denied by Olivia Owner');
    expect(await db.extraUsageRequest.findUniqueOrThrow({ where: { id: request.id } })).toMatchObject({ status: 'denied', reason: 'Premium allowance should do this month' });
    const [told] = await h.connector.waitFor('send', (c) => c.conversationId === dm(USERS.bob) && textOf(h.connector.cardOf(c)).includes('Your request was denied'));
    expect(textOf(h.connector.cardOf(told!))).toContain('Premium allowance should do this month');
    expect((await member('bob')).extraUsageEnabled).toBe(false);
  }, 60_000);
});
