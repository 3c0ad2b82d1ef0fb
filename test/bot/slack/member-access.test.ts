// Who gets extra usage, from the owner's App Home: all members or selected members
// only, and a member's own switch in their "Edit limit or seat" modal. Owners only
// (checked from the stored role, replayed payloads refused), applied at once, audited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import { provision } from '../../support/ledger.js';
import type { SlackCall } from '../../support/slack-api.js';
import { actionIdsOf, noRequests, slackEnterpriseDoc, startSlackHarness, textOf, USERS, type SlackHarness } from '../../support/slack-harness.js';

let scratch: Scratch;
let h: SlackHarness;
let orgId: string;
let member: (externalId: string) => Promise<{ id: string; extraUsageEnabled: boolean }>;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  const o = await provision(scratch.db.prisma, 'acme', slackEnterpriseDoc());
  orgId = o.orgId;
  member = o.member;
  h = await startSlackHarness(scratch.db.prisma, noRequests());
});
afterAll(async () => {
  h?.expectWithinLimits();
  await h?.close();
  await scratch?.dispose();
});

const org = () => scratch.db.prisma.organization.findUniqueOrThrow({ where: { id: orgId } });
const audit = (action: string) => scratch.db.prisma.auditEntry.findMany({ where: { orgId, action }, orderBy: { id: 'asc' } });
let mark = 0;
const homeOf = async (user: string, where: (c: SlackCall) => boolean = () => true) => {
  const home = (await h.api.waitFor('views.publish', (c) => c.seq > mark && c.args.user_id === user && where(c))).at(-1)!;
  mark = home.seq;
  return home;
};
async function openSettings(user: string) {
  mark = h.api.calls.at(-1)?.seq ?? 0;
  await h.openHome(user);
  await homeOf(user);
  await h.clickInHome(user, 'home_tab_settings');
  return homeOf(user, (c) => textOf(c.args.view.blocks).includes('Individual seat limits'));
}

describe('who gets extra usage, from Slack', () => {
  it('lets an owner give extra usage to selected members only, then back to all; audited', async () => {
    const home = await openSettings(USERS.owner);
    expect(textOf(home.args.view.blocks)).toContain('*Who:* all members.');
    await h.clickInHome(USERS.owner, 'settings_set_scope', (v) => v === 'selected_members');
    const after = await homeOf(USERS.owner, (c) => textOf(c.args.view.blocks).includes('selected members only'));
    expect(await org()).toMatchObject({ extraUsageEnabled: true, extraUsageScope: 'selected_members' });
    expect((await audit('extra_usage.set')).at(-1)).toMatchObject({ before: { enabled: true, scope: 'all_members' }, after: { enabled: true, scope: 'selected_members' } });
    expect((await audit('extra_usage.set')).at(-1)!.actor).toContain(`member:${(await member('owner-1')).id}`);

    await h.clickInHome(USERS.owner, 'settings_set_scope', (v) => v === 'all_members', undefined, after);
    await homeOf(USERS.owner, (c) => textOf(c.args.view.blocks).includes('*Who:* all members.'));
    expect((await org()).extraUsageScope).toBe('all_members');
  });

  it("lets an owner turn a member's own extra usage on and off from their modal; audited", async () => {
    const carol = await member('carol');
    expect(carol.extraUsageEnabled).toBe(false);
    await openSettings(USERS.owner);
    await h.clickInHome(USERS.owner, 'settings_adjust_limit', (v) => v === JSON.stringify({ kind: 'member', memberId: carol.id }));
    const [modal] = await h.api.waitFor('views.open', (c) => c.args.view?.callback_id === 'adjust_limit' && textOf(c.args.view.blocks).includes("Carol's monthly limit"));
    expect(textOf(modal!.args.view.blocks)).toContain('*Their own extra usage:* off');
    expect(actionIdsOf(modal!.args.view.blocks)).toContain('limit_set_member_extra_usage');
    await h.clickInModal(USERS.owner, modal!, 'limit_set_member_extra_usage');
    await h.api.waitFor('views.update', (c) => c.args.view_id === modal!.response.view.id && textOf(c.args.view.blocks).includes("Carol's own extra usage is now on"));
    expect((await member('carol')).extraUsageEnabled).toBe(true);
    const [entry] = (await audit('extra_usage.member.set')).filter((a) => a.subject === `member:${carol.id}`);
    expect(entry).toMatchObject({ before: { enabled: false }, after: { enabled: true } });
    // The Home is redrawn with the change.
    await homeOf(USERS.owner, (c) => textOf(c.args.view.blocks).includes("Carol's own extra usage is now on"));
  });

  it('refuses the scope and the member switch sent by an admin or a member, and changes nothing', async () => {
    const ownerHome = await openSettings(USERS.owner);
    const carol = await member('carol');
    await h.clickInHome(USERS.owner, 'settings_adjust_limit', (v) => v === JSON.stringify({ kind: 'member', memberId: carol.id }), undefined, ownerHome);
    const modal = (await h.api.waitFor('views.open', (c) => c.seq > ownerHome.seq && c.args.view?.callback_id === 'adjust_limit'))[0]!;
    const before = { org: await org(), carol: await member('carol'), audit: await scratch.db.prisma.auditEntry.count({ where: { orgId } }) };
    for (const user of [USERS.admin, USERS.bob]) {
      await h.clickInHome(user, 'settings_set_scope', undefined, undefined, ownerHome);
      await h.api.waitFor('views.publish', (c) => c.args.user_id === user && textOf(c.args.view.blocks).includes('Only owners of Acme can change usage settings'));
      await h.clickInModal(user, modal, 'limit_set_member_extra_usage');
    }
    await h.api.waitFor('views.update', (c) => c.args.view_id === modal.response.view.id && c.args.view?.title?.text === 'Not allowed', 2);
    expect(await org()).toMatchObject({ extraUsageScope: before.org.extraUsageScope, extraUsageEnabled: before.org.extraUsageEnabled });
    expect((await member('carol')).extraUsageEnabled).toBe(before.carol.extraUsageEnabled);
    expect(await scratch.db.prisma.auditEntry.count({ where: { orgId } })).toBe(before.audit);
  });
});
