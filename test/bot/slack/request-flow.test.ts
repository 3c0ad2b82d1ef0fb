// End to end with the real Temporal dev server, the real worker (its notifier is the
// Slack app's) and the real Bolt app over signed HTTP: a member asks → every admin
// gets the request → an admin approves from their message → the ledger changes →
// every admin's copy is updated in place → the member is told. A member clicking an
// admin's button is refused and nothing changes; so is an admin on their own request.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerOnlyPayments } from '../../../src/payments/port.js';
import { adminsOf } from '../../../src/ledger/settings/people.js';
import { recordUsage } from '../../../src/ledger/metering/record.js';
import { requestView } from '../../../src/ledger/requests/requests.js';
import { requestService, type RequestService } from '../../../src/services/requests.js';
import { startOutboxRelay } from '../../../src/temporal/outbox-relay.js';
import { outboxRoutes } from '../../../src/temporal/outbox-routes.js';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import { HAIKU, usageOfCents } from '../../support/fixtures.js';
import { exhaustSeat, provision } from '../../support/ledger.js';
import { actionIdsOf, slackEnterpriseDoc, startSlackHarness, USERS, type SlackHarness } from '../../support/slack-harness.js';
import { devServerEnv, testWorker } from '../../support/temporal.js';

const DAY = 86_400_000;
let scratch: Scratch;
let env: TestWorkflowEnvironment;
let worker: Awaited<ReturnType<typeof testWorker>>;
let requests: RequestService;
let h: SlackHarness;
let orgId: string;
let member: (externalId: string) => Promise<{ id: string; extraUsageEnabled: boolean; extraUsageCapNanos: bigint | null; seatTier: string }>;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  const db = scratch.db.prisma;
  env = await devServerEnv();
  const doc = slackEnterpriseDoc({ extraUsage: { enabled: true, scope: 'selected_members' } });
  const o = await provision(db, 'acme', { ...doc, members: [...doc.members, { externalId: 'dave', name: 'Dave', role: 'member', seatTier: 'standard', slackUserId: DAVE }] });
  orgId = o.orgId;
  // Members not selected for extra usage who used up their seat: they may ask (Carol reaches it in a test).
  for (const m of ['alice', 'bob', 'dave']) await exhaustSeat(db, orgId, m);
  member = o.member;
  const taskQueue = `slack-e2e-${process.pid}`;
  requests = requestService({ db, client: env.client, taskQueue, timings: { remindAfterMs: DAY, expireAfterMs: 7 * DAY }, now: () => new Date() });
  h = await startSlackHarness(db, requests);
  worker = await testWorker(env, { db, notifier: h.slack.notifier, payments: ledgerOnlyPayments(db), now: () => new Date() }, { taskQueue });
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await h?.close();
  await env?.teardown();
  await scratch?.dispose();
});

const requestCards = (requestId?: string) => h.api.of('chat.postMessage').filter((c) => c.response.ok && JSON.stringify(c.args.blocks).includes(requestId ? `req:${requestId}:` : 'Request for extra usage'));
const DAVE = 'U_DAVE';
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('extra usage requests in Slack, end to end', () => {
  it('member asks from the App Home, an admin enables extra usage with a cap, every copy is updated and the member told', async () => {
    const db = scratch.db.prisma;
    await h.openHome(USERS.alice);
    const [home] = await h.api.waitFor('views.publish', (c) => c.args.user_id === USERS.alice);
    expect(actionIdsOf(home!.args.view.blocks)).toContain('request_extra_usage');
    // A member never sees owner or admin controls.
    expect(actionIdsOf(home!.args.view.blocks)).not.toContain('home_tab_me');

    await h.clickInHome(USERS.alice, 'request_extra_usage');
    // A modal for an optional note (cut by Slack at 500 characters, refused above that here too).
    const [ask] = await h.api.waitFor('views.open', (c) => c.args.view?.callback_id === 'request_note');
    const long = await h.submit(USERS.alice, ask!, { note: 'x'.repeat(501) });
    expect(long.json).toMatchObject({ response_action: 'errors', errors: { note: expect.stringContaining('At most 500 characters') } });
    expect(await db.extraUsageRequest.count({ where: { memberId: (await member('alice')).id } })).toBe(0);
    expect((await h.submit(USERS.alice, ask!, { note: 'Quarter-end *report* <!channel>' })).status).toBe(200);
    await h.api.waitFor('views.publish', (c) => c.args.user_id === USERS.alice && JSON.stringify(c.args.view.blocks).includes('Request sent to admin'));

    // Both admins (the owner and the admin) get their own copy, with the three actions.
    const cards = await h.api.waitFor('chat.postMessage', (c) => JSON.stringify(c.args.blocks).includes('Request for extra usage'), 2);
    expect(cards.map((c) => c.response.channel).sort()).toEqual([`D_${USERS.admin}`, `D_${USERS.owner}`]);
    for (const card of cards) {
      expect(actionIdsOf(card.args.blocks)).toEqual(['decide_upgrade_seat', 'decide_enable_extra_usage', 'decide_deny']);
      const text = JSON.stringify(card.args.blocks);
      expect(text).toContain(`<@${USERS.alice}>`);
      expect(text).toContain('Quarter-end *\u200breport*\u200b &lt;!channel&gt;'); // her note, as typed
      expect(text).toContain('Standard');
      expect(text).toContain('<!date^');
    }
    const alice = await member('alice');
    const open = await db.extraUsageRequest.findMany({ where: { memberId: alice.id } });
    expect(open).toHaveLength(1);
    const requestId = open[0]!.id;
    // Each copy is stored once Slack has answered its post: wait for that, not for time.
    let stored = 0;
    for (let i = 0; i < 300 && stored < 2; i++) {
      stored = await db.chatMessage.count({ where: { requestId, purpose: 'request' } });
      if (stored < 2) await pause(50);
    }
    expect(stored).toBe(2);

    // A second click (on the Home as it was before) opens no second request.
    const firstHome = home!;
    await h.clickInHome(USERS.alice, 'request_extra_usage', undefined, undefined, firstHome);
    await h.api.waitFor('views.publish', (c) => c.args.user_id === USERS.alice && JSON.stringify(c.args.view.blocks).includes('already have a request'));
    await pause(300);
    expect(await db.extraUsageRequest.count({ where: { memberId: alice.id } })).toBe(1);
    expect(requestCards(requestId)).toHaveLength(2);

    // The admin opens "Enable extra usage" from their own copy.
    const adminCard = cards.find((c) => c.response.channel === `D_${USERS.admin}`)!;
    const ownerCard = cards.find((c) => c.response.channel === `D_${USERS.owner}`)!;
    const click = await h.clickInMessage(USERS.admin, adminCard, 'decide_enable_extra_usage');
    expect(click.status).toBe(200);
    const [modal] = await h.api.waitFor('views.open', (c) => c.args.view?.callback_id === 'decision_enable_extra_usage');

    // A bad amount is refused inline and nothing is decided.
    for (const bad of ['abc', '20.001', '-5', '1e3']) {
      const res = await h.submit(USERS.admin, modal!, { cap: bad });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ response_action: 'errors', errors: { cap: expect.stringContaining('at most 2 decimals') } });
    }
    expect((await db.extraUsageRequest.findUniqueOrThrow({ where: { id: requestId } })).status).toBe('pending');

    const ok = await h.submit(USERS.admin, modal!, { cap: '$20' });
    expect(ok.status).toBe(200);
    expect(ok.text).toBe('');

    // Every admin's copy is updated in place with the outcome and who decided.
    const updates = await h.api.waitFor('chat.update', (c) => JSON.stringify(c.args.blocks).includes(`req:${requestId}:outcome`) && JSON.stringify(c.args.blocks).includes('Approved'), 2);
    const updated = new Set(updates.map((u) => `${u.args.channel}/${u.args.ts}`));
    expect(updated).toEqual(new Set([`${adminCard.response.channel}/${adminCard.response.ts}`, `${ownerCard.response.channel}/${ownerCard.response.ts}`]));
    for (const u of updates) {
      const text = JSON.stringify(u.args.blocks);
      expect(text).toContain(`<@${USERS.admin}>`);
      expect(text).toContain('$20.00');
      expect(actionIdsOf(u.args.blocks)).toEqual([]);
    }

    // The ledger changed, once, audited as the admin.
    expect(await member('alice')).toMatchObject({ extraUsageEnabled: true, extraUsageCapNanos: 20_000_000_000n });
    const audit = await db.auditEntry.findMany({ where: { orgId, action: 'extra_usage.member.set' } });
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor).toContain('(admin-1)');

    // The member is told.
    const told = await h.api.waitFor('chat.postMessage', (c) => c.response.channel === `D_${USERS.alice}`);
    expect(JSON.stringify(told[0]!.args.blocks)).toMatch(/approved.*extra usage is on/);

    // The owner clicking the (now stale) button on an old copy changes nothing and is told.
    await h.clickInMessage(USERS.owner, ownerCard, 'decide_upgrade_seat');
    await h.api.waitFor('chat.postEphemeral', (c) => c.args.user === USERS.owner && String(c.args.text).includes('already approved'));
    expect((await member('alice')).seatTier).toBe('standard');
    h.expectWithinLimits();
  }, 90_000);

  it('refuses a member clicking an admin\'s buttons, whatever the payload, and changes nothing', async () => {
    const db = scratch.db.prisma;
    const daveRequest = await requests.ask(orgId, 'dave');
    const cards = await h.api.waitFor('chat.postMessage', (c) => JSON.stringify(c.args.blocks).includes('Dave'), 2);
    const requestId = (await db.extraUsageRequest.findFirstOrThrow({ where: { workflowId: daveRequest.workflowId, status: 'pending' } })).id;
    const ownerCard = cards.find((c) => c.response.channel === `D_${USERS.owner}`)!;
    const before = h.api.calls.length;

    // Bob (a member) replays the owner's message payload with each admin action.
    for (const action of ['decide_upgrade_seat', 'decide_enable_extra_usage', 'decide_deny']) {
      const res = await h.clickInMessage(USERS.bob, ownerCard, action);
      expect(res.status).toBe(200);
    }
    const refusals = await h.api.waitFor('chat.postEphemeral', (c) => c.args.user === USERS.bob && String(c.args.text).includes('Only admins and owners'), 3);
    expect(refusals).toHaveLength(3);
    const after = h.api.calls.slice(before);
    expect(after.filter((c) => c.method === 'views.open' || c.method === 'chat.update')).toEqual([]);
    expect((await db.extraUsageRequest.findUniqueOrThrow({ where: { id: requestId } })).status).toBe('pending');
    expect(await member('dave')).toMatchObject({ seatTier: 'standard', extraUsageEnabled: false });
    expect(await db.auditEntry.count({ where: { orgId, action: { in: ['member.seat_tier.set', 'extra_usage.member.set'] }, subject: `member:${(await member('dave')).id}` } })).toBe(0);

    // An admin denies it with a reason; the copies show it and Dave reads the reason.
    await h.clickInMessage(USERS.owner, ownerCard, 'decide_deny');
    const [modal] = await h.api.waitFor('views.open', (c) => c.args.view?.callback_id === 'decision_deny');
    await h.submit(USERS.owner, modal!, { reason: 'Budget is spent this quarter' });
    await h.api.waitFor('chat.update', (c) => JSON.stringify(c.args.blocks).includes(`req:${requestId}:outcome`) && JSON.stringify(c.args.blocks).includes('Denied'), 2);
    const told = await h.api.waitFor('chat.postMessage', (c) => c.response.channel === `D_${DAVE}`);
    expect(JSON.stringify(told[0]!.args.blocks)).toContain('Budget is spent this quarter');
    h.expectWithinLimits();
  }, 90_000);

  it('DMs a member refused at the seat limit with the request button; clicking it asks the admins, who upgrade the seat', async () => {
    const db = scratch.db.prisma;
    // Carol (standard seat, $1.00 included) uses it all up: the record crosses the seat limit.
    const relay = startOutboxRelay({ db, client: env.client, taskQueue: worker.taskQueue, requests }, outboxRoutes(), { intervalMs: 100_000 });
    try {
      await recordUsage(db, { orgId, requestId: 'r-carol-1', member: 'carol', model: HAIKU, usage: usageOfCents(100) });
      await relay.drain();
      const [dm] = await h.api.waitFor('chat.postMessage', (c) => c.response.channel === `D_${USERS.carol}` && actionIdsOf(c.args.blocks).includes('request_extra_usage'), 1, 30_000);
      await h.clickInMessage(USERS.carol, dm!, 'request_extra_usage');
      const [ask] = await h.api.waitFor('views.open', (c) => c.args.view?.callback_id === 'request_note' && c.seq > dm!.seq);
      await h.submit(USERS.carol, ask!, { note: '' });
      // The DM is updated in place: the button is now "Request sent to admin".
      const [update] = await h.api.waitFor('chat.update', (c) => c.args.ts === dm!.response.ts);
      expect(JSON.stringify(update!.args.blocks)).toContain('Request sent to admin');
      expect(actionIdsOf(update!.args.blocks)).not.toContain('request_extra_usage');

      const carol = await member('carol');
      const cards = await h.api.waitFor('chat.postMessage', (c) => JSON.stringify(c.args.blocks).includes('Request for extra usage') && JSON.stringify(c.args.blocks).includes('Carol') && actionIdsOf(c.args.blocks).length === 3, 2);
      const latest = cards.filter((c) => c.response.channel === `D_${USERS.admin}`).at(-1)!;
      await h.clickInMessage(USERS.admin, latest, 'decide_upgrade_seat');
      await h.api.waitFor('chat.update', (c) => c.args.ts === latest.response.ts && JSON.stringify(c.args.blocks).includes('premium seat'));
      expect((await db.member.findUniqueOrThrow({ where: { id: carol.id } })).seatTier).toBe('premium');
      await h.api.waitFor('chat.postMessage', (c) => c.response.channel === `D_${USERS.carol}` && JSON.stringify(c.args.blocks).includes('premium seat'));
    } finally {
      await relay.stop();
    }
    h.expectWithinLimits();
  }, 90_000);

  it('lets an owner decide from the App Home Requests tab; the Home and every copy show it', async () => {
    const db = scratch.db.prisma;
    const asked = await requests.ask(orgId, 'bob');
    await h.api.waitFor('chat.postMessage', (c) => JSON.stringify(c.args.blocks).includes('Request for extra usage') && JSON.stringify(c.args.blocks).includes(`<@${USERS.bob}>`), 2);
    const requestId = (await db.extraUsageRequest.findFirstOrThrow({ where: { workflowId: asked.workflowId, status: 'pending' } })).id;
    await h.openHome(USERS.owner);
    await h.api.waitFor('views.publish', (c) => c.args.user_id === USERS.owner);
    await h.clickInHome(USERS.owner, 'home_tab_requests');
    await h.api.waitFor('views.publish', (c) => c.args.user_id === USERS.owner && JSON.stringify(c.args.view.blocks).includes(`req:${requestId}:actions`));
    // Bob has a premium seat: no upgrade button.
    const home = h.lastHome(USERS.owner)!;
    expect(actionIdsOf(home.args.view.blocks.filter((b: any) => b.block_id === `req:${requestId}:actions`))).toEqual(['decide_enable_extra_usage', 'decide_deny']);
    await h.clickInHome(USERS.owner, 'decide_enable_extra_usage', (v) => v === requestId);
    const modal = (await h.api.waitFor('views.open', (c) => c.args.view?.callback_id === 'decision_enable_extra_usage' && c.args.view.private_metadata.includes(requestId)))[0]!;
    expect(JSON.parse(modal.args.view.private_metadata)).toMatchObject({ requestId, home: true, message: null });
    // The modal shows Bob's limit now (he has no extra usage: never "Unlimited"); an empty amount is not "unlimited" by accident.
    expect(JSON.stringify(modal.args.view.blocks)).toContain('Their member limit now: *Extra usage off*');
    const empty = await h.submit(USERS.owner, modal, { cap: '' });
    expect(empty.json).toMatchObject({ response_action: 'errors', errors: { cap: expect.stringContaining('No member limit') } });
    const both = await h.submit(USERS.owner, modal, { cap: '5', unlimited: ['unlimited'] });
    expect(both.json).toMatchObject({ response_action: 'errors', errors: { unlimited: expect.stringContaining('Choose one') } });
    expect((await db.extraUsageRequest.findUniqueOrThrow({ where: { id: requestId } })).status).toBe('pending');
    await h.submit(USERS.owner, modal, { cap: '', unlimited: ['unlimited'] });
    await h.api.waitFor('views.publish', (c) => c.args.user_id === USERS.owner && c.seq > modal.seq && JSON.stringify(c.args.view.blocks).includes('Requests waiting for a decision') && !JSON.stringify(c.args.view.blocks).includes(requestId));
    await h.api.waitFor('chat.update', (c) => JSON.stringify(c.args.blocks).includes(`req:${requestId}:outcome`) && JSON.stringify(c.args.blocks).includes('monthly limit Unlimited'), 2);
    expect(await member('bob')).toMatchObject({ extraUsageEnabled: true, extraUsageCapNanos: null });
    h.expectWithinLimits();
  }, 90_000);
  it('shows an admin who asked their own request without buttons (Home, digest); their replayed clicks and decision are refused and nothing changes', async () => {
    const db = scratch.db.prisma;
    await exhaustSeat(db, orgId, 'admin-1');
    const asked = await requests.ask(orgId, 'admin-1', 'Quarter close');
    const requestId = (await db.extraUsageRequest.findFirstOrThrow({ where: { workflowId: asked.workflowId, status: 'pending' } })).id;
    const has = (c: { args: Record<string, any> }, part: string) => JSON.stringify(c.args.blocks).includes(`req:${requestId}:${part}`);
    // Only the owner is asked to decide; the admin gets no copy of their own request.
    await h.api.waitFor('chat.postMessage', (c) => c.response.channel === `D_${USERS.owner}` && has(c, 'actions'));
    expect(h.dmsTo(USERS.admin).filter((c) => has(c, ''))).toEqual([]);

    // The daily digest goes to every admin: the requester's copy has no buttons for it.
    await h.slack.notifier.digest({ orgId, orgName: 'Acme', at: new Date().toISOString(), requests: [await requestView(db, requestId)] }, await adminsOf(db, orgId));
    const digestTo = (user: string) => h.dmsTo(user).filter((c) => JSON.stringify(c.args.blocks).includes('digest_header') && has(c, 'row')).at(-1)!;
    const adminDigest = digestTo(USERS.admin);
    expect(actionIdsOf(adminDigest.args.blocks)).toEqual([]);
    expect(JSON.stringify(adminDigest.args.blocks)).toContain('Your request: another admin or an owner decides it.');
    const ownerDigest = digestTo(USERS.owner);
    expect(actionIdsOf(ownerDigest.args.blocks)).toEqual(['decide_upgrade_seat', 'decide_enable_extra_usage', 'decide_deny']);

    // So does their App Home's Requests tab.
    await h.openHome(USERS.admin);
    await h.api.waitFor('views.publish', (c) => c.args.user_id === USERS.admin);
    await h.clickInHome(USERS.admin, 'home_tab_requests');
    const [home] = await h.api.waitFor('views.publish', (c) => c.args.user_id === USERS.admin && JSON.stringify(c.args.view.blocks).includes(`req:${requestId}:own`));
    expect(actionIdsOf(home!.args.view.blocks.filter((b: any) => b.block_id?.startsWith(`req:${requestId}:`)))).toEqual([]);

    // Replaying the owner's buttons anyway: refused, and no modal opens.
    const OWN = 'Nobody decides their own request: another admin or an owner must. Nothing was changed.';
    const refusedToAdmin = (c: { args: Record<string, any> }) => c.args.user === USERS.admin && String(c.args.text).includes(OWN);
    const modalsBefore = h.api.of('views.open').length;
    for (const action of ['decide_upgrade_seat', 'decide_enable_extra_usage', 'decide_deny']) await h.clickInMessage(USERS.admin, ownerDigest, action);
    await h.api.waitFor('chat.postEphemeral', refusedToAdmin, 3);
    expect(h.api.of('views.open')).toHaveLength(modalsBefore);

    // Submitting the owner's own Deny modal as the admin: the server (the request workflow) refuses it.
    await h.clickInMessage(USERS.owner, ownerDigest, 'decide_deny');
    const [modal] = await h.api.waitFor('views.open', (c) => c.args.view?.callback_id === 'decision_deny' && c.args.view.private_metadata.includes(requestId));
    expect((await h.submit(USERS.admin, modal!, { reason: 'I approve of myself' })).status).toBe(200);
    const refusals = await h.api.waitFor('chat.postEphemeral', refusedToAdmin, 4);
    for (const r of refusals) expect(String(r.args.text).match(/Nothing was changed/g)).toHaveLength(1);
    expect(await db.extraUsageRequest.findUniqueOrThrow({ where: { id: requestId } })).toMatchObject({ status: 'pending', decidedById: null });
    expect(await member('admin-1')).toMatchObject({ seatTier: 'standard', extraUsageEnabled: false });
    expect(await db.auditEntry.count({ where: { orgId, subject: `request:${requestId}` } })).toBe(0);

    // The owner decides it from the same modal; the admin is told.
    await h.submit(USERS.owner, modal!, { reason: 'Not this quarter' });
    await h.api.waitFor('chat.postMessage', (c) => c.response.channel === `D_${USERS.admin}` && JSON.stringify(c.args.blocks).includes('Not this quarter'));
    expect((await db.extraUsageRequest.findUniqueOrThrow({ where: { id: requestId } })).status).toBe('denied');
    h.expectWithinLimits();
  }, 90_000);
});
