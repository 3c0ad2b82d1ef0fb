// The App Home by stored role: a member sees their usage; an admin also sees the
// requests waiting, with the decision buttons; an owner also sees usage settings and the audit log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrated, scratchPglite, type Scratch } from '../../../../support/databases.js';
import { exhaustSeat, provision } from '../../../../support/ledger.js';
import { actionIdsOf, noRequests, slackEnterpriseDoc, startSlackHarness, USERS, type SlackHarness } from '../../../../support/slack-harness.js';

let scratch: Scratch;
let h: SlackHarness;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  const o = await provision(scratch.db.prisma, 'acme', slackEnterpriseDoc({ extraUsage: { enabled: true, scope: 'selected_members' } }));
  // Thirty members have asked (rows as the request workflow writes them).
  const alice = await o.member('alice');
  await scratch.db.prisma.extraUsageRequest.create({ data: { orgId: o.orgId, memberId: alice.id, workflowId: 'wf-a', runId: 'run-a', openForMember: alice.id, seatTierAtRequest: 'standard', requestedAt: new Date('2026-11-15T10:00:00Z') } });
  // Bob used up his seat (and is not selected for extra usage): he may ask.
  await exhaustSeat(scratch.db.prisma, o.orgId, 'bob');
  h = await startSlackHarness(scratch.db.prisma, noRequests());
});
afterAll(async () => {
  h?.expectWithinLimits();
  await h?.close();
  await scratch?.dispose();
});

const homeFor = async (user: string) => {
  await h.openHome(user);
  return (await h.api.waitFor('views.publish', (c) => c.args.user_id === user)).at(-1)!.args.view;
};

describe('App Home', () => {
  it('shows a member their usage, and "Request sent to admin" while their request is open', async () => {
    const bob = await homeFor(USERS.bob);
    expect(actionIdsOf(bob.blocks)).toEqual(['request_extra_usage']);
    expect(JSON.stringify(bob.blocks)).toContain('Premium seat');
    const alice = await homeFor(USERS.alice);
    expect(actionIdsOf(alice.blocks)).toEqual([]);
    expect(JSON.stringify(alice.blocks)).toContain('Request sent to admin');
  });

  it('gives an admin the Requests tab with the decision buttons, and no owner controls', async () => {
    const home = await homeFor(USERS.admin);
    // The admin still has included usage: nothing to request.
    expect(actionIdsOf(home.blocks)).toEqual(['home_tab_me', 'home_tab_requests']);
    expect(JSON.stringify(home.blocks)).toContain('Requests (1)');
    await h.clickInHome(USERS.admin, 'home_tab_requests');
    const [requests] = await h.api.waitFor('views.publish', (c) => c.args.user_id === USERS.admin && JSON.stringify(c.args.view.blocks).includes('Requests waiting for a decision'));
    expect(actionIdsOf(requests!.args.view.blocks)).toEqual(['home_tab_me', 'home_tab_requests', 'decide_upgrade_seat', 'decide_enable_extra_usage', 'decide_deny']);
    expect(JSON.stringify(requests!.args.view.blocks)).toContain(`<@${USERS.alice}>`); // mentioned once, by Slack's own name
  });

  it('gives an owner all four tabs, the audit log included', async () => {
    const home = await homeFor(USERS.owner);
    expect(actionIdsOf(home.blocks).filter((a) => a.startsWith('home_tab_'))).toEqual(['home_tab_me', 'home_tab_requests', 'home_tab_settings', 'home_tab_audit']);
  });
});
