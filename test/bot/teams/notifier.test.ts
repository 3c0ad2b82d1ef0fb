// The Teams notifier behind the workflows' real activities, sending proactively
// after a "restart": the bot that saw people write is stopped, a new one (a new
// CloudAdapter) reads the conversation references from the database and reaches
// them; people who never wrote get a personal chat created (POST /v3/conversations).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertActivities } from '../../../src/activities/alerts.js';
import { digestActivities } from '../../../src/activities/digest.js';
import { requestActivities } from '../../../src/activities/requests.js';
import { ledgerOnlyPayments } from '../../../src/payments/port.js';
import { openRequest } from '../../../src/ledger/requests/requests.js';
import type { RequestService } from '../../../src/services/requests.js';
import { actionsOf } from '../../../bot/teams/cards/card.js';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import { exhaustSeat, provision } from '../../support/ledger.js';
import { personalConversationId, startConnector, type ConnectorStandIn } from '../../support/teams-connector.js';
import { buttonData, buttonsOf, startTeamsHarness, teamsEnterpriseDoc, TENANT, textOf, USERS, type TeamsHarness } from '../../support/teams-harness.js';

let scratch: Scratch;
let connector: ConnectorStandIn;
let h: TeamsHarness;
let orgId: string;
let member: Awaited<ReturnType<typeof provision>>['member'];
const requests = {} as RequestService;
const dm = (u: { aadObjectId: string }) => personalConversationId(u.aadObjectId);

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  const o = await provision(scratch.db.prisma, 'acme', teamsEnterpriseDoc({ extraUsage: { enabled: true, scope: 'selected_members', orgMonthlyCap: '1000.00', tierCaps: { standard: '500.00', premium: null } } }));
  orgId = o.orgId;
  member = o.member;
  // Bob used up his seat and is not selected for extra usage: his alert offers "Request extra usage".
  await exhaustSeat(scratch.db.prisma, orgId, 'bob');
  connector = await startConnector();
  // Before the restart: Alice and the owner write to the bot; the admin never does.
  const before = await startTeamsHarness(scratch.db.prisma, requests, { connector });
  await before.message(USERS.alice, 'hi');
  await before.message(USERS.owner, 'hi');
  await before.close();
  // The tenant is learnt from those chats; no TEAMS_SERVICE_URL this time.
  h = await startTeamsHarness(scratch.db.prisma, requests, { connector, config: { TEAMS_SERVICE_URL: undefined } });
});
afterAll(async () => {
  await h?.close();
  await connector?.close();
  await scratch?.dispose();
});

const activities = () => {
  const deps = { db: scratch.db.prisma, notifier: h.bot.notifier, payments: ledgerOnlyPayments(scratch.db.prisma), now: () => new Date() };
  return { ...requestActivities(deps), ...alertActivities(deps), ...digestActivities(deps) };
};

async function newRequest(externalId: string, runId: string) {
  const m = await member(externalId);
  return openRequest(scratch.db.prisma, { orgId, memberId: m.id, workflowId: `wf-${externalId}`, runId, requestedAt: new Date(), note: 'Quarter-end report' });
}

describe('Teams notifier, after a restart', () => {
  it('sends each admin their copy of a new request: stored chats reused, a chat created for the admin who never wrote', async () => {
    const sentBefore = connector.of('send').length;
    const requestId = await newRequest('alice', 'run-1');
    await activities().notifyRequestOpened(requestId);

    const created = connector.of('create');
    expect(created).toHaveLength(1);
    expect(created[0]!.body).toMatchObject({ isGroup: false, members: [{ id: USERS.admin.aadObjectId }], tenantId: TENANT, bot: { id: '28:extra-usage-bot' } });
    const cards = connector.of('send').slice(sentBefore);
    expect(cards.map((c) => c.conversationId).sort()).toEqual([dm(USERS.admin), dm(USERS.owner)].sort());
    for (const c of cards) {
      const card = connector.cardOf(c);
      // The requester named once (the title), with what the decider weighs.
      expect(textOf(card).match(/Alice/g)).toHaveLength(1);
      expect(textOf(card)).toContain('Alice asks for more usage');
      expect(textOf(card)).toContain('Seat: Standard');
      expect(textOf(card)).toContain('Note: Quarter-end report');
      expect(textOf(card)).toContain('Extra usage this month: $0.00');
      // Selected members only, and Alice is not one: her $50.00 cap means nothing yet.
      expect(textOf(card)).toContain('Their monthly limit: Extra usage off');
      expect(textOf(card)).toContain('Organisation budget left: $1,000.00');
      expect(textOf(card)).not.toContain(requestId);
      // The posted card shows no decisions: each viewer's client refreshes it into their own view.
      expect(buttonsOf(card)).toEqual(['Review request']);
      expect(card.refresh.action).toMatchObject({ type: 'Action.Execute', verb: 'request.view', data: { requestId, card: 'request' } });
      expect(card.refresh.userIds).toEqual([USERS.owner.id]);
    }
    expect(await scratch.db.prisma.chatMessage.count({ where: { requestId, channel: 'teams', purpose: 'request' } })).toBe(2);
    const adminChat = await scratch.db.prisma.teamsConversation.findUniqueOrThrow({ where: { orgId_aadObjectId: { orgId, aadObjectId: USERS.admin.aadObjectId } } });
    expect(adminChat.conversationId).toBe(dm(USERS.admin));

    // A retried activity sends nothing twice.
    await activities().notifyRequestOpened(requestId);
    expect(connector.of('send').length).toBe(sentBefore + 2);
  });

  it('updates every admin copy in place when the request closes and tells the requester', async () => {
    const request = await scratch.db.prisma.extraUsageRequest.findFirstOrThrow({ where: { runId: 'run-1' } });
    await activities().decideRequest({ requestId: request.id, deciderRef: 'admin-1', decision: 'enable_extra_usage', cap: '20.00' });
    await activities().notifyRequestClosed(request.id);
    const copies = await scratch.db.prisma.chatMessage.findMany({ where: { requestId: request.id, purpose: 'request' } });
    const updates = connector.of('update');
    expect(updates.map((u) => u.activityId).sort()).toEqual(copies.map((c) => c.messageId).sort());
    for (const u of updates) {
      const card = connector.cardOf(u);
      expect(textOf(card)).toContain('Approved by Adam Admin');
      expect(textOf(card)).toContain('$20.00');
      expect(actionsOf(card)).toEqual([]);
      expect(card.refresh).toBeUndefined();
    }
    const [told] = await connector.waitFor('send', (c) => c.conversationId === dm(USERS.alice) && textOf(connector.cardOf(c)).includes('Your request was approved'));
    expect(textOf(connector.cardOf(told!))).toContain('up to $20.00 a month');
    // Told once, however often the activity runs.
    await activities().notifyRequestClosed(request.id);
    expect(connector.of('send', (c) => c.conversationId === dm(USERS.alice) && textOf(connector.cardOf(c)).includes('Your request was'))).toHaveLength(1);
  });

  it('sends a refused member their usage card with "Request extra usage"', async () => {
    const bob = await member('bob');
    const outcome = await activities().deliverAlert({ orgId, eventId: 'evt-seat-1', event: { type: 'seat_limit_reached', memberId: bob.id, resetsAt: new Date(Date.now() + 3_600_000).toISOString() } });
    expect(outcome).toBe('sent');
    const [card] = await connector.waitFor('send', (c) => c.conversationId === dm(USERS.bob));
    const content = connector.cardOf(card!);
    expect(textOf(content)).toContain('You have used the usage included in your seat');
    expect(textOf(content)).toContain('Your usage');
    expect(buttonsOf(content)).toContain('Request extra usage');
    // Bob is not selected for extra usage: his own limit reads so, never "$0.00 of Unlimited".
    expect(textOf(content)).toContain('Your monthly limit: Extra usage off');
    expect(textOf(content)).not.toContain('Your monthly limit: $0.00 of Unlimited');
    // Bob never wrote: his chat was created for it.
    expect(connector.of('create', (c) => c.body.members[0].id === USERS.bob.aadObjectId)).toHaveLength(1);
  });

  it('sends cap alerts to owners with a way to the settings', async () => {
    const outcome = await activities().deliverAlert({ orgId, eventId: 'evt-org-80', event: { type: 'org_cap_threshold', percent: 80, period: '2026-11', capNanos: String(1000n * 10n ** 9n), spendNanos: String(800n * 10n ** 9n) } });
    expect(outcome).toBe('sent');
    const [alert] = await connector.waitFor('send', (c) => textOf(connector.cardOf(c)).includes('80% of its monthly extra usage cap'));
    expect(alert!.conversationId).toBe(dm(USERS.owner));
    expect(textOf(connector.cardOf(alert!))).toContain('Spent: $800.00');
    expect(buttonsOf(connector.cardOf(alert!))).toEqual(['Adjust limit']);
  });

  it("gives owners' copy of a member's cap alert an 'Adjust limit' opening that member's limit, and the member's own copy only 'Show my usage'", async () => {
    const alice = await member('alice');
    const outcome = await activities().deliverAlert({ orgId, eventId: 'evt-alice-cap', event: { type: 'member_cap_reached', memberId: alice.id, period: '2026-11', capNanos: String(50n * 10n ** 9n), spendNanos: String(50_003_000_000n) } });
    expect(outcome).toBe('sent');
    const [own] = await connector.waitFor('send', (c) => c.conversationId === dm(USERS.alice) && textOf(connector.cardOf(c)).includes('You reached your extra usage cap'));
    expect(buttonsOf(connector.cardOf(own!))).toEqual(['Show my usage']);
    const [toOwner] = await connector.waitFor('send', (c) => c.conversationId === dm(USERS.owner) && textOf(connector.cardOf(c)).includes('Alice reached their extra usage cap'));
    const card = connector.cardOf(toOwner!);
    expect(buttonsOf(card)).toEqual(['Adjust limit']);
    for (const c of [connector.cardOf(own!), card]) {
      // Cents, the exact spend beside its cap; the reset time once, in the one date format.
      expect(textOf(c)).toContain('Spent: $50.00 ($50.003 exactly)');
      expect(textOf(c)).toContain('1 Dec 2026, 00:00 (Europe/Paris)');
      expect(textOf(c)).toContain('November 2026');
      expect(textOf(c)).not.toMatch(/\d{4}-\d{2}/);
    }
    // The owner's click opens the limit editor with Alice chosen.
    const { verb, data } = buttonData(card, 'Adjust limit');
    const opened = h.cardOf(await h.invoke(USERS.owner, verb, data));
    expect(JSON.stringify(opened)).toMatch(new RegExp(`"id":"capMemberId"[^}]*"value":"${alice.id}"`));
    // A member sending the same is refused.
    const refused = h.cardOf(await h.invoke(USERS.bob, verb, data));
    expect(textOf(refused)).toContain('Only owners');
    expect(JSON.stringify(refused)).not.toContain('capMemberId');
  });

  it('sends the daily digest to every admin, one card per page of requests', async () => {
    const first = await newRequest('bob', 'run-2');
    const result = await activities().sendDigest({ orgId, at: new Date().toISOString(), runId: 'digest-run' });
    expect(result).toMatchObject({ sent: true, requests: 1 });
    const digests = await connector.waitFor('send', (c) => textOf(connector.cardOf(c)).includes('Daily digest'), 2);
    expect(digests.map((d) => d.conversationId).sort()).toEqual([dm(USERS.admin), dm(USERS.owner)].sort());
    const card = connector.cardOf(digests[0]!);
    expect(textOf(card)).toContain('Bob asks for more usage');
    expect(textOf(card)).toContain('Their monthly limit: Extra usage off');
    expect(card.refresh.action).toMatchObject({ verb: 'digest.view', data: { requestIds: [first] } });
  });

  it('reminds every admin by updating their copy of the request in place, not with a new message', async () => {
    const request = await scratch.db.prisma.extraUsageRequest.findFirstOrThrow({ where: { runId: 'run-2' } });
    await activities().notifyRequestOpened(request.id);
    const copies = await scratch.db.prisma.chatMessage.findMany({ where: { requestId: request.id, purpose: 'request' } });
    expect(copies).toHaveLength(2);
    const sentBefore = connector.of('send').length;
    await activities().notifyRequestReminder(request.id);
    await activities().notifyRequestReminder(request.id);
    expect(connector.of('send').length).toBe(sentBefore);
    const reminders = connector.of('update', (c) => textOf(connector.cardOf(c)).includes('Reminder: Bob asks for more usage'));
    expect([...new Set(reminders.map((c) => c.activityId))].sort()).toEqual(copies.map((c) => c.messageId).sort());
    expect(connector.cardOf(reminders[0]!).refresh.action.data).toMatchObject({ requestId: request.id, card: 'request', reminder: true });
    expect(buttonsOf(connector.cardOf(reminders[0]!))).toEqual(['Review request']);
  });

  it('once decided, every copy is updated in place: the request cards and the digest cards listing it', async () => {
    const request = await scratch.db.prisma.extraUsageRequest.findFirstOrThrow({ where: { runId: 'run-2' } });
    const digests = connector.of('send', (c) => textOf(connector.cardOf(c)).includes('Daily digest'));
    const copies = await scratch.db.prisma.chatMessage.findMany({ where: { requestId: request.id, purpose: 'request' } });
    await activities().decideRequest({ requestId: request.id, deciderRef: 'owner-1', decision: 'deny', reason: 'No *budget* [left](http://x)' });
    await activities().notifyRequestClosed(request.id);
    const updated = (id: string | null) => connector.of('update', (u) => u.activityId === id).at(-1);
    for (const d of digests) {
      const card = connector.cardOf(updated(d.id)!);
      expect(textOf(card)).toContain('Daily digest');
      expect(textOf(card)).toContain('Denied by Olivia Owner');
      expect(buttonsOf(card)).toEqual([]);
      expect(card.refresh).toBeUndefined();
    }
    for (const c of copies) {
      const card = connector.cardOf(updated(c.messageId)!);
      expect(textOf(card)).toContain('Denied by Olivia Owner');
      // The reason as typed: a TextRun, never markdown.
      expect(JSON.stringify(card)).toContain('{"type":"TextRun","text":"Denied by Olivia Owner');
      expect(textOf(card)).toContain('No *budget* [left](http://x)');
      expect(buttonsOf(card)).toEqual([]);
    }
  });

  it('raises a failed send so the activity retries, and the retry sends only what is missing', async () => {
    const requestId = await newRequest('alice', 'run-3');
    connector.failNext(1, 403);
    await expect(activities().notifyRequestOpened(requestId)).rejects.toThrow(/1 of 2 message\(s\) failed/);
    expect(await scratch.db.prisma.chatMessage.count({ where: { requestId } })).toBe(1);
    await activities().notifyRequestOpened(requestId);
    expect(await scratch.db.prisma.chatMessage.count({ where: { requestId } })).toBe(2);
  });
});
