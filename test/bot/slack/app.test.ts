// The real Bolt app over HTTP: it answers correctly signed requests, refuses a bad
// or stale signature without doing anything, and tells unlinked Slack users how to
// be linked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import { provision } from '../../support/ledger.js';
import { commandBody, FORM } from '../../support/slack-http.js';
import { noRequests, slackEnterpriseDoc, startSlackHarness, USERS, type SlackHarness } from '../../support/slack-harness.js';

let scratch: Scratch;
let h: SlackHarness;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  await provision(scratch.db.prisma, 'acme', slackEnterpriseDoc());
  h = await startSlackHarness(scratch.db.prisma, noRequests());
});
afterAll(async () => {
  h?.expectWithinLimits();
  await h?.close();
  await scratch?.dispose();
});

const usageCommand = (user: string, responseUrl: string) => commandBody({
  token: 'legacy', team_id: 'T_ACME', team_domain: 'acme', channel_id: 'C_GENERAL', channel_name: 'general',
  user_id: user, user_name: 'x', command: '/usage', text: '', api_app_id: 'A_APP', response_url: responseUrl, trigger_id: 't',
});

describe('Slack app over HTTP', () => {
  it('answers a signed /usage with the member\'s usage, only to them', async () => {
    const { res, responseUrl } = await h.command(USERS.alice);
    expect(res.status).toBe(200);
    const [reply] = await h.api.waitFor('response_url', (c) => responseUrl.endsWith(c.args.url));
    expect(reply!.args.response_type).toBe('ephemeral');
    const text = JSON.stringify(reply!.args.blocks);
    expect(text).toContain('Standard seat');
    expect(text).toContain('Your monthly limit');
    expect(text).toContain('$0.00 of $50.00');
  });

  it('refuses a bad signature with 401 and does nothing', async () => {
    const before = h.api.calls.length;
    const responseUrl = h.api.responseUrl();
    const forged = await h.post(usageCommand(USERS.alice, responseUrl), FORM, { secret: 'not-the-signing-secret-0000000000' });
    expect(forged.status).toBe(401);
    const garbage = await h.post(usageCommand(USERS.alice, responseUrl), FORM, { signature: 'v0=deadbeef' });
    expect(garbage.status).toBe(401);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.api.calls.length).toBe(before);
  });

  it('refuses a stale request (timestamp more than 5 minutes old) even when correctly signed', async () => {
    const before = h.api.calls.length;
    const stale = await h.post(usageCommand(USERS.alice, h.api.responseUrl()), FORM, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(stale.status).toBe(401);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.api.calls.length).toBe(before);
  });

  it('tells an unlinked Slack user how to be linked, with their id', async () => {
    const { responseUrl } = await h.command(USERS.stranger);
    const [reply] = await h.api.waitFor('response_url', (c) => responseUrl.endsWith(c.args.url));
    const text = JSON.stringify(reply!.args.blocks);
    expect(text).toContain('not linked to a member of *Acme*');
    expect(text).toContain(USERS.stranger);
    expect(text).toContain('member list');
    expect(text).not.toContain('Ask an admin');
    await h.openHome(USERS.stranger);
    const home = await h.api.waitFor('views.publish', (c) => c.args.user_id === USERS.stranger);
    expect(JSON.stringify(home[0]!.args.view.blocks)).toContain(USERS.stranger);
  });
});
