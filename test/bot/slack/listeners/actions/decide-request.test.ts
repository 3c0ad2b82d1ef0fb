// A stale click on a request card another admin already decided: harmless, so it is
// answered as information (":information_source: …already approved by Adam Admin"),
// the same words whether the click opens a modal or decides at once, and nothing changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { personOf } from '../../../../../src/ledger/settings/people.js';
import { requestView } from '../../../../../src/ledger/requests/requests.js';
import { migrated, scratchPglite, type Scratch } from '../../../../support/databases.js';
import { exhaustSeat, provision } from '../../../../support/ledger.js';
import { slackEnterpriseDoc, startSlackHarness, textOf, USERS, type SlackHarness } from '../../../../support/slack-harness.js';
import { ledgerRequests } from '../../../../support/teams-harness.js';

let scratch: Scratch;
let h: SlackHarness;
let orgId: string;
let member: Awaited<ReturnType<typeof provision>>['member'];

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  const o = await provision(scratch.db.prisma, 'acme', slackEnterpriseDoc());
  orgId = o.orgId;
  member = o.member;
  h = await startSlackHarness(scratch.db.prisma, ledgerRequests(scratch.db.prisma));
});
afterAll(async () => {
  h?.expectWithinLimits();
  await h?.close();
  await scratch?.dispose();
});

describe('a click on a request already decided', () => {
  it('is answered as information, from a decision that opens a modal and from one that applies at once', async () => {
    const requests = ledgerRequests(scratch.db.prisma);
    // Selected members only, Carol not among them: she may ask.
    await scratch.db.prisma.organization.update({ where: { id: orgId }, data: { extraUsageScope: 'selected_members' } });
    await scratch.db.prisma.member.update({ where: { id: (await member('carol')).id }, data: { extraUsageEnabled: false } });
    await exhaustSeat(scratch.db.prisma, orgId, 'carol');
    const { request } = await requests.ask(orgId, 'carol', 'Need more');
    const admins = [personOf(await member('admin-1')), personOf(await member('owner-1'))];
    await h.slack.notifier.requestOpened(request, admins);
    const [ownerCard] = await h.api.waitFor('chat.postMessage', (c) => c.response.channel === `D_${USERS.owner}` && textOf(c.args.blocks).includes(`req:${request.requestId}:`));
    // The admin approves elsewhere (the API, another copy): the owner's copy is now stale.
    await requests.decide(orgId, request.requestId, 'admin-1', { decision: 'enable_extra_usage', cap: '20.00' });
    expect((await requestView(scratch.db.prisma, request.requestId)).status).toBe('approved');

    const opened = h.api.of('views.open').length;
    await h.clickInMessage(USERS.owner, ownerCard!, 'decide_enable_extra_usage');
    const [info] = await h.api.waitFor('chat.postEphemeral', (c) => c.args.user === USERS.owner && String(c.args.text).includes('already approved'));
    expect(String(info!.args.text)).toBe(':information_source: This request is already approved by Adam Admin. Nothing else was changed.');
    expect(h.api.of('views.open')).toHaveLength(opened);

    await h.clickInMessage(USERS.owner, ownerCard!, 'decide_upgrade_seat');
    const both = await h.api.waitFor('chat.postEphemeral', (c) => c.args.user === USERS.owner && String(c.args.text).includes('already approved'), 2);
    expect(both.map((c) => String(c.args.text))).toEqual([String(info!.args.text), String(info!.args.text)]);
    expect(both.map((c) => String(c.args.text)).join()).not.toContain(':no_entry:');
    // Nothing changed: Carol keeps her standard seat.
    expect((await member('carol')).seatTier).toBe('standard');
  });
});
