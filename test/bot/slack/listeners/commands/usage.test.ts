// /usage: seat, allowance window, extra usage, month-to-date spend against each cap,
// what stops the member next, and the request button where the plan allows it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordUsage } from '../../../../../src/ledger/metering/record.js';
import { migrated, scratchPglite, type Scratch } from '../../../../support/databases.js';
import { HAIKU, teamDoc, usageOfCents } from '../../../../support/fixtures.js';
import { provision } from '../../../../support/ledger.js';
import type { RequestService } from '../../../../../src/services/requests.js';
import { interactionBody, FORM } from '../../../../support/slack-http.js';
import { actionIdsOf, noRequests, slackEnterpriseDoc, startSlackHarness, USERS, type SlackHarness } from '../../../../support/slack-harness.js';

let scratch: Scratch;
let h: SlackHarness;
let orgId: string;
// The request service's answers (its workflow is covered end to end in request-flow.test.ts).
const asked: string[] = [];
const notes: (string | null)[] = [];
const requests = {
  async ask(_orgId: string, memberId: string, note: string | null) {
    asked.push(memberId);
    notes.push(note);
    return { workflowId: `wf/${memberId}`, alreadyOpen: asked.length > 1, state: {} };
  },
} as unknown as RequestService;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  orgId = (await provision(scratch.db.prisma, 'acme', slackEnterpriseDoc({ extraUsage: { enabled: true, scope: 'selected_members' } }))).orgId;
  await provision(scratch.db.prisma, 'small', { ...teamDoc(), members: teamDoc().members.map((m) => ({ ...m, slackUserId: m.externalId === 'alice' ? 'U_TEAM_ALICE' : null })) });
  h = await startSlackHarness(scratch.db.prisma, requests);
});
afterAll(async () => {
  h?.expectWithinLimits();
  await h?.close();
  await scratch?.dispose();
});

async function usage(user: string) {
  const { responseUrl } = await h.command(user);
  const [reply] = await h.api.waitFor('response_url', (c) => responseUrl.endsWith(c.args.url));
  return reply!.args;
}

describe('/usage', () => {
  it("follows the deployment's REQUEST_COOLDOWN_AFTER_DENIAL_MINUTES, as the console and the API do", async () => {
    // Bob (at his seat limit) was denied two hours ago: with a one-hour cool-down he may ask again; with the default day, not yet.
    const db = scratch.db.prisma;
    const bob = await db.member.findFirstOrThrow({ where: { orgId, externalId: 'bob' } });
    await recordUsage(db, { orgId, requestId: 'cool-1', member: 'bob', model: HAIKU, usage: usageOfCents(300) }); // a premium seat: $3.00 included
    const denied = await db.extraUsageRequest.create({ data: { orgId, memberId: bob.id, workflowId: 'wf/bob-denied', runId: 'run-bob-denied', status: 'denied', seatTierAtRequest: bob.seatTier, requestedAt: new Date(Date.now() - 3 * 3600_000), decidedAt: new Date(Date.now() - 2 * 3600_000), decision: 'deny' } });
    const hourly = await startSlackHarness(db, requests, { cooldownMinutes: 60 });
    try {
      const { responseUrl } = await hourly.command(USERS.bob);
      const [reply] = await hourly.api.waitFor('response_url', (c) => responseUrl.endsWith(c.args.url));
      expect(JSON.stringify(reply!.args.blocks)).toContain('To go on sooner, request extra usage from your admins');
      expect(actionIdsOf(reply!.args.blocks)).toEqual(['request_extra_usage']);
    } finally {
      await hourly.close();
    }
    const byDefault = JSON.stringify((await usage(USERS.bob)).blocks);
    expect(byDefault).toContain('Your last request was declined recently');
    await db.extraUsageRequest.delete({ where: { id: denied.id } });
  });

  it('tells a member paused at the seat limit why, when it resets, and offers the request button', async () => {
    await recordUsage(scratch.db.prisma, { orgId, requestId: 'u1', member: 'alice', model: HAIKU, usage: usageOfCents(100) });
    const reply = await usage(USERS.alice);
    const text = JSON.stringify(reply.blocks);
    expect(reply.response_type).toBe('ephemeral');
    expect(text).toContain('Included usage: *$1.00* of $1.00 this window — *used up*');
    expect(text).toContain('*not on for you*');
    // The one wording of the refusal, as the gateway gets it from authorize: the local time with its zone, the next step and where.
    expect(text).toMatch(/:red_circle: You are paused: You have used the usage included in your seat, and extra usage is not on for you; it lifts \d+ \w+ \d{4}, \d\d:\d\d \(Europe\/Paris\)\. To go on sooner, request extra usage from your admins in the web console at \/me/);
    // Extra usage is not on for her: her own limit says so rather than a cap that means nothing.
    expect(text).toContain('Your monthly limit: extra usage off');
    expect(text).toContain("Standard seats' monthly limit: $0.00 of Unlimited");
    expect(text).toContain('Organisation monthly limit: $0.00 of Unlimited');
    expect(actionIdsOf(reply.blocks)).toEqual(['request_extra_usage']);
  });

  it('shows the prepaid balance and no request button on a team plan', async () => {
    const team = await startSlackHarness(scratch.db.prisma, noRequests(), { orgSlug: 'small' });
    const { responseUrl } = await team.command('U_TEAM_ALICE');
    const reply = (await team.api.waitFor('response_url', (c) => responseUrl.endsWith(c.args.url)))[0]!.args;
    team.expectWithinLimits();
    await team.close();
    const text = JSON.stringify(reply.blocks);
    expect(text).toContain('Prepaid balance');
    expect(text).toContain('Extra usage: *on* for you');
    // No request (Team orgs have none); only the member's own choice to continue on extra usage.
    expect(actionIdsOf(reply.blocks)).toEqual(['member_set_continue']);
  });

  it('turns the button of the /usage message into "Request sent to admin" when clicked', async () => {
    const reply = await usage(USERS.alice);
    const button = reply.blocks.find((b: any) => b.block_id === 'request_extra_usage');
    const responseUrl = h.api.responseUrl();
    // An ephemeral message comes back without its blocks: the app redraws it through response_url.
    const res = await h.post(interactionBody({
      type: 'block_actions', team: { id: 'T_ACME', domain: 'acme' }, user: { id: USERS.alice, username: 'alice', team_id: 'T_ACME' }, api_app_id: 'A_APP', token: 'legacy', trigger_id: 'tr',
      container: { type: 'message', message_ts: '1.2', channel_id: 'C_GENERAL', is_ephemeral: true }, channel: { id: 'C_GENERAL', name: 'general' },
      response_url: responseUrl, actions: [{ type: 'button', action_id: 'request_extra_usage', block_id: button.block_id, value: 'request', action_ts: '1' }],
    }), FORM);
    expect(res.status).toBe(200);
    // The note modal first; sending it asks and redraws the message.
    const [ask] = await h.api.waitFor('views.open', (c) => c.args.view?.callback_id === 'request_note');
    expect(asked).toEqual([]);
    await h.submit(USERS.alice, ask!, { note: 'For the launch' });
    const [redrawn] = await h.api.waitFor('response_url', (c) => responseUrl.endsWith(c.args.url));
    expect(redrawn!.args.replace_original).toBe(true);
    expect(JSON.stringify(redrawn!.args.blocks)).toContain('Request sent to admin');
    expect(actionIdsOf(redrawn!.args.blocks)).toEqual([]);
    const alice = await scratch.db.prisma.member.findFirstOrThrow({ where: { orgId, externalId: 'alice' } });
    expect(asked).toEqual([alice.id]);
    expect(notes).toEqual(['For the launch']);
  });
});

describe('/usage signin', () => {
  it('hands the Slack user a single-use sign-in token that signs them in to the API as themself, once', async () => {
    const { responseUrl } = await h.command(USERS.alice, '/usage', 'signin');
    const [reply] = await h.api.waitFor('response_url', (c) => responseUrl.endsWith(c.args.url));
    expect(reply!.args.response_type).toBe('ephemeral');
    const token = /token \(single use[^)]*\): ([A-Za-z0-9_-]{43})/.exec(reply!.args.text)?.[1];
    expect(token).toBeDefined();
    // The real API redeems it for a session of Alice, once.
    const { harness } = await import('../../../../support/fixtures.js');
    const api = await harness(scratch.db.prisma, new Date());
    try {
      const signedIn = await api.call('POST', '/v1/sign-in', { body: { token } });
      expect(signedIn.body.person).toMatchObject({ externalId: 'alice', role: 'member' });
      expect((await api.call('POST', '/v1/sign-in', { body: { token } })).status).toBe(401);
      const audit = await scratch.db.prisma.auditEntry.findMany({ where: { orgId, action: { in: ['sign_in_link.issue', 'sign_in_link.use'] } }, orderBy: { id: 'asc' } });
      expect(audit.map((a) => [a.action, a.actor])).toEqual([['sign_in_link.issue', 'slack-app'], ['sign_in_link.use', expect.stringContaining('(alice)')]]);
    } finally {
      await api.app.close();
    }
  });

  it('gives a Slack user who is not linked to a member no token', async () => {
    const before = await scratch.db.prisma.signInLink.count();
    const { responseUrl } = await h.command(USERS.stranger, '/usage', 'signin');
    const [reply] = await h.api.waitFor('response_url', (c) => responseUrl.endsWith(c.args.url));
    expect(JSON.stringify(reply!.args)).not.toMatch(/sign-in token/);
    expect(await scratch.db.prisma.signInLink.count()).toBe(before);
  });
});

describe('/usage claude-code', () => {
  it('claims the Claude Code user.id for the Slack user\'s member: its usage kept without a name is theirs, once', async () => {
    const { keepUnattributed } = await import('../../../../../src/ledger/metering/unattributed.js');
    await keepUnattributed(scratch.db.prisma, orgId, [{ requestId: 'otel:slack-claim-1', clientUserId: 'device-slack-1', model: HAIKU, usage: usageOfCents(3), at: new Date() }], new Date());
    const claim = async () => {
      const { responseUrl } = await h.command(USERS.bob, '/usage', 'claude-code device-slack-1');
      const [reply] = await h.api.waitFor('response_url', (c) => responseUrl.endsWith(c.args.url));
      return reply!.args as { text: string; response_type: string };
    };
    const first = await claim();
    expect(first).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('Claimed: Claude Code device-slack-1. 1 request(s) it reported without a name are yours now.') });
    const bob = await scratch.db.prisma.member.findFirstOrThrow({ where: { orgId, externalId: 'bob' } });
    expect((await scratch.db.prisma.usageEvent.findMany({ where: { orgId, requestId: 'otel:slack-claim-1' } })).map((e) => [e.memberId, e.costNanos])).toEqual([[bob.id, 30_000_000n]]);
    h.api.calls.length = 0;
    expect((await claim()).text).toContain('Already yours');
    expect(await scratch.db.prisma.usageEvent.count({ where: { orgId, requestId: 'otel:slack-claim-1' } })).toBe(1);
  });
});
