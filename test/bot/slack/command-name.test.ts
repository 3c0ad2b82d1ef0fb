// The slash command is a setting (SLACK_COMMAND), for workspaces where another app
// already has /usage: the real Bolt app answers a correctly signed /extra-usage, not
// /usage, and every message that tells people what to type names /extra-usage.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Person, RequestView } from '../../../src/notify/port.js';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import { provision } from '../../support/ledger.js';
import { noRequests, slackEnterpriseDoc, startSlackHarness, USERS, type SlackHarness } from '../../support/slack-harness.js';

let scratch: Scratch;
let h: SlackHarness;
let orgId: string;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  orgId = (await provision(scratch.db.prisma, 'acme', slackEnterpriseDoc())).orgId;
  h = await startSlackHarness(scratch.db.prisma, noRequests(), { command: '/extra-usage' });
});
afterAll(async () => {
  h?.expectWithinLimits();
  await h?.close();
  await scratch?.dispose();
});

describe('SLACK_COMMAND=/extra-usage', () => {
  it('answers a signed /extra-usage with the member\'s usage, only to them', async () => {
    const { res, responseUrl } = await h.command(USERS.alice, '/extra-usage');
    expect(res.status).toBe(200);
    const [reply] = await h.api.waitFor('response_url', (c) => responseUrl.endsWith(c.args.url));
    expect(reply!.args.response_type).toBe('ephemeral');
    expect(JSON.stringify(reply!.args.blocks)).toContain('Standard seat');
  });

  it('leaves /usage alone: it is another app\'s command in this workspace', async () => {
    const before = h.api.calls.length;
    const { res, responseUrl } = await h.command(USERS.alice, '/usage');
    // Bolt answers a request no listener acknowledged only after its own timeout: by then we would have replied.
    expect(res.status).not.toBe(200);
    expect(h.api.calls.slice(before).filter((c) => c.method === 'response_url' && responseUrl.endsWith(c.args.url))).toEqual([]);
  });

  it('tells an unlinked person to type /extra-usage again once listed', async () => {
    const { responseUrl } = await h.command(USERS.stranger, '/extra-usage');
    const [reply] = await h.api.waitFor('response_url', (c) => responseUrl.endsWith(c.args.url));
    const text = JSON.stringify(reply!.args.blocks);
    expect(text).toContain('/extra-usage');
    expect(text).not.toMatch(/`\/usage`/);
  });

  it('names /extra-usage in the requester\'s outcome message', async () => {
    const requester: Person = { memberId: '00000000-0000-4000-8000-000000000001', externalId: 'alice', name: 'Alice', role: 'member', seatTier: 'standard', email: null, slackUserId: USERS.alice, teamsUserId: null };
    const r: RequestView = {
      requestId: '10000000-0000-4000-8000-000000000001', workflowId: 'wf-1', orgId, orgName: 'Acme', requester, seatTier: 'standard',
      requestedAt: '2026-11-15T10:00:00.000Z', note: null, status: 'expired', decision: null, decisionCap: null, reason: null, decidedBy: null, decidedAt: null, previousDenial: null,
    };
    await h.slack.notifier.requestClosed(r, []);
    const [told] = await h.api.waitFor('chat.postMessage', (c) => JSON.stringify(c.args.blocks).includes('expired without a decision'));
    const text = JSON.stringify(told!.args.blocks);
    expect(text).toContain('ask again from `/extra-usage`');
    expect(text).toContain('Type `/extra-usage` to see your usage');
    expect(text).not.toMatch(/`\/usage`/);
  });
});
