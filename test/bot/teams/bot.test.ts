// The real botbuilder CloudAdapter with empty credentials (the Bot Framework
// Emulator's set-up) receiving messages and adaptiveCard/action invokes on
// /api/messages and replying to the local Bot Connector stand-in; identity from
// the stored member linked to the Teams user; conversation references stored.
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTeamsBot } from '../../../bot/teams/bot.js';
import type { RequestService } from '../../../src/services/requests.js';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import { exhaustSeat, provision } from '../../support/ledger.js';
import { personalConversationId } from '../../support/teams-connector.js';
import { activityFrom, buttonData, buttonsOf, startTeamsHarness, teamsEnterpriseDoc, textOf, USERS, type TeamsHarness } from '../../support/teams-harness.js';

let scratch: Scratch;
let h: TeamsHarness;
let orgId: string;
const asked: string[] = [];
// The request service is not needed here except for "Request extra usage"; a stand-in records the asks.
const requests = {
  async ask(_orgId: string, memberRef: string) {
    asked.push(memberRef);
    return { workflowId: `wf-${memberRef}`, alreadyOpen: asked.filter((m) => m === memberRef).length > 1, state: {} };
  },
  async decide() {
    throw new Error('not in this test');
  },
  async cancel() {
    return false;
  },
} as unknown as RequestService;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  const o = await provision(scratch.db.prisma, 'acme', teamsEnterpriseDoc({ extraUsage: { enabled: true, scope: 'selected_members', orgMonthlyCap: '1000.00', tierCaps: { standard: '500.00', premium: null } } }));
  orgId = o.orgId;
  // Alice used up her seat and is not selected for extra usage: she may ask for more.
  await exhaustSeat(scratch.db.prisma, orgId, 'alice');
  h = await startTeamsHarness(scratch.db.prisma, requests);
});
afterAll(async () => {
  await h?.close();
  await scratch?.dispose();
});

describe('Teams bot over /api/messages (empty credentials)', () => {
  it('answers "usage" in the personal chat with the member\'s usage card, sent to the connector without a token', async () => {
    const res = await h.message(USERS.alice, 'usage');
    expect(res.status).toBe(200);
    const [reply] = await h.connector.waitFor('send', (c) => c.conversationId === personalConversationId(USERS.alice.aadObjectId));
    expect(reply!.authorization).toBeNull();
    const card = h.connector.cardOf(reply!);
    expect(card).toMatchObject({ type: 'AdaptiveCard', version: '1.5' });
    const text = textOf(card);
    expect(text).toContain('Your usage');
    expect(text).toContain('Seat: Standard seat');
    expect(text).toContain('Included usage: $1.00 of $1.00 used');
    expect(text).toContain('Extra usage: Not enabled for you');
    // Not enabled for her: her own limit says so, not a cap that means nothing yet.
    expect(text).toContain('Your monthly limit: Extra usage off');
    expect(text).toContain("Standard seats' monthly limit: $0.00 of $500.00");
    expect(text).toContain('Organisation monthly limit: $0.00 of $1,000.00');
    expect(buttonsOf(card)).toEqual(['Request extra usage', 'Refresh']);
    // The chat is remembered for proactive messages, linked to the member.
    const stored = await scratch.db.prisma.teamsConversation.findUniqueOrThrow({ where: { orgId_aadObjectId: { orgId, aadObjectId: USERS.alice.aadObjectId } } });
    expect(stored).toMatchObject({ conversationId: personalConversationId(USERS.alice.aadObjectId), serviceUrl: h.connector.url });
    expect(stored.memberId).not.toBeNull();
  });

  it('hands a member who writes "signin" a single-use token that signs them in to the API as themself, once', async () => {
    const res = await h.message(USERS.bob, 'signin');
    expect(res.status).toBe(200);
    const [reply] = await h.connector.waitFor('send', (c) => c.conversationId === personalConversationId(USERS.bob.aadObjectId) && /sign-in token/.test(String(c.body?.text)));
    const token = /token \(single use[^)]*\): ([A-Za-z0-9_-]{43})/.exec(String(reply!.body.text))?.[1];
    expect(token).toBeDefined();
    const { harness } = await import('../../support/fixtures.js');
    const api = await harness(scratch.db.prisma, new Date());
    try {
      expect((await api.call('POST', '/v1/sign-in', { body: { token } })).body.person).toMatchObject({ externalId: 'bob' });
      expect((await api.call('POST', '/v1/sign-in', { body: { token } })).status).toBe(401);
    } finally {
      await api.app.close();
    }
  });

  it('lets a member who writes "claude-code <user.id>" claim their Claude Code: its usage kept without a name is theirs', async () => {
    const { keepUnattributed } = await import('../../../src/ledger/metering/unattributed.js');
    await keepUnattributed(scratch.db.prisma, orgId, [{ requestId: 'otel:teams-claim-1', clientUserId: 'device-teams-1', model: 'claude-haiku-4-5', usage: { input_tokens: 0, output_tokens: 2_000 }, at: new Date() }], new Date());
    expect((await h.message(USERS.bob, 'claude-code device-teams-1')).status).toBe(200);
    const [reply] = await h.connector.waitFor('send', (c) => c.conversationId === personalConversationId(USERS.bob.aadObjectId) && /Claude Code/.test(String(c.body?.text)));
    expect(String(reply!.body.text)).toContain('Claimed: Claude Code device-teams-1. 1 request(s) it reported without a name are yours now.');
    const bob = await scratch.db.prisma.member.findFirstOrThrow({ where: { orgId, externalId: 'bob' } });
    expect((await scratch.db.prisma.usageEvent.findMany({ where: { orgId, requestId: 'otel:teams-claim-1' } })).map((e) => e.memberId)).toEqual([bob.id]);
  });

  it('gives owners and admins their extra entries, never members', async () => {
    await h.message(USERS.owner, 'usage');
    const [reply] = await h.connector.waitFor('send', (c) => c.conversationId === personalConversationId(USERS.owner.aadObjectId));
    // Olivia's premium seat still has included usage left: nothing to request yet.
    expect(buttonsOf(h.connector.cardOf(reply!))).toEqual(['Refresh', 'Pending requests', 'Usage settings']);
    await h.message(USERS.admin, 'help');
    const [help] = await h.connector.waitFor('send', (c) => c.conversationId === personalConversationId(USERS.admin.aadObjectId));
    expect(buttonsOf(h.connector.cardOf(help!))).toEqual(['Show my usage', 'Pending requests']);
  });

  it('answers an Action.Execute invoke with the updated card: "Request extra usage" becomes "Request sent to admin"', async () => {
    const first = h.cardOf(await h.invoke(USERS.alice, 'usage.show', { verb: 'usage.show' }));
    const { verb, data } = buttonData(first, 'Request extra usage');
    // A note over 500 characters sends nothing: it comes back under its input, with the reason.
    const tooLong = h.cardOf(await h.invoke(USERS.alice, verb, { ...data, requestNote: 'n'.repeat(501) }));
    expect(textOf(tooLong)).toContain('At most 500 characters (this is 501).');
    expect(JSON.stringify(tooLong)).toContain('"id":"requestNote"');
    expect(asked).toHaveLength(0);
    const res = await h.invoke(USERS.alice, verb, data);
    const card = h.cardOf(res);
    expect(textOf(card)).toContain('Request sent to your admins');
    expect(buttonsOf(card)).toContain('Request sent to admin');
    expect(asked).toHaveLength(1);
  });

  it('accepts the Action.Submit fallback: a message carrying the data updates the card message in place', async () => {
    await h.submit(USERS.bob, { verb: 'usage.show' }, 'msg-card-1');
    const [update] = await h.connector.waitFor('update', (c) => c.activityId === 'msg-card-1');
    expect(update!.conversationId).toBe(personalConversationId(USERS.bob.aadObjectId));
    expect(textOf(h.connector.cardOf(update!))).toContain('Seat: Premium seat');
  });

  it('tells an unlinked Teams user how to be linked, with their object id', async () => {
    await h.message(USERS.stranger, 'usage');
    const [reply] = await h.connector.waitFor('send', (c) => c.conversationId === personalConversationId(USERS.stranger.aadObjectId));
    const text = textOf(h.connector.cardOf(reply!));
    expect(text).toContain('not linked');
    expect(text).toContain(USERS.stranger.aadObjectId);
    // Written for the employee: no operator API call, no document fields.
    expect(text).not.toContain('/v1/operator');
    expect(text).not.toContain('teamsUserId');
    expect(text).toContain('Ask an owner of Acme to link your Teams account');
    const invoked = h.cardOf(await h.invoke(USERS.stranger, 'settings.show', { verb: 'settings.show' }));
    expect(textOf(invoked)).toContain(USERS.stranger.aadObjectId);
  });

  it('tells a user of an unknown tenant that their organisation is not connected', async () => {
    await scratch.db.prisma.organization.update({ where: { id: orgId }, data: { teamsTenantId: 'tenant-acme' } });
    try {
      const res = await h.post(activityFrom(USERS.alice, h.connector.url, { type: 'message', text: 'usage' }, 'tenant-other'));
      expect(res.status).toBe(200);
      const [reply] = await h.connector.waitFor('send', (c) => textOf(h.connector.cardOf(c)).includes('tenant-other'));
      expect(textOf(h.connector.cardOf(reply!))).toContain('not connected');
    } finally {
      await scratch.db.prisma.organization.update({ where: { id: orgId }, data: { teamsTenantId: null } });
    }
  });

  it('refuses an out-of-date or foreign action payload without acting on it', async () => {
    const res = await h.invoke(USERS.alice, 'request.decide', { verb: 'request.decide', decision: 'format_disk' });
    expect(textOf(h.cardOf(res))).toContain('out of date');
    const notExecute = await h.post(activityFrom(USERS.alice, h.connector.url, { type: 'invoke', name: 'adaptiveCard/action', value: { action: { type: 'Action.Submit', data: {} } } }));
    expect(notExecute.body).toMatchObject({ statusCode: 400 });
  });

  it('mounts POST /api/messages on a Fastify instance it is given', async () => {
    const server = Fastify();
    const bot = await startTeamsBot({ config: { TEAMS_ALLOW_UNAUTHENTICATED: true, TEAMS_PORT: 0, TEAMS_ORG_SLUG: 'acme', MICROSOFT_APP_TYPE: 'SingleTenant' }, db: scratch.db.prisma, requests, server, log: () => {} });
    try {
      expect(bot?.url).toBeNull();
      const activity = activityFrom(USERS.owner, h.connector.url, { type: 'invoke', name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', verb: 'usage.show', data: { verb: 'usage.show' } } } });
      const res = await server.inject({ method: 'POST', url: '/api/messages', payload: activity });
      expect(res.statusCode).toBe(200);
      expect(textOf(res.json().value)).toContain('Olivia Owner · Acme');
    } finally {
      await bot?.stop();
      await server.close();
    }
  });

  it('greets a user who installs the app in their personal scope', async () => {
    await h.post(activityFrom(USERS.admin, h.connector.url, { type: 'conversationUpdate', membersAdded: [{ id: '28:extra-usage-bot' }] }));
    const [hello] = await h.connector.waitFor('send', (c) => c.conversationId === personalConversationId(USERS.admin.aadObjectId) && textOf(h.connector.cardOf(c)).includes('Write one of these words'));
    expect(buttonsOf(h.connector.cardOf(hello!))).toEqual(['Show my usage', 'Pending requests']);
  });

  it('is off without MICROSOFT_APP_ID', async () => {
    expect(await startTeamsBot({ config: { TEAMS_ALLOW_UNAUTHENTICATED: false, TEAMS_PORT: 0, MICROSOFT_APP_TYPE: 'SingleTenant' }, db: scratch.db.prisma, requests })).toBeNull();
  });
});
