// The owner's "Usage settings" on the App Home: limits changed from Slack apply at
// once and are audited; bad amounts are answered inline; members and admins never
// see the controls and are refused on the server when they send the actions anyway.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrated, scratchPglite, type Scratch } from '../../../../support/databases.js';
import { provision } from '../../../../support/ledger.js';
import { actionIdsOf, noRequests, slackEnterpriseDoc, startSlackHarness, USERS, type SlackHarness } from '../../../../support/slack-harness.js';
import type { SlackCall } from '../../../../support/slack-api.js';

let scratch: Scratch;
let h: SlackHarness;
let orgId: string;
let member: (externalId: string) => Promise<{ id: string; extraUsageCapNanos: bigint | null; seatTier: string }>;

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

const OWNER_ACTIONS = ['settings_set_extra_usage', 'settings_adjust_limit', 'settings_alert_channel', 'settings_edit_auto_reload'];
/** The next Home published for `user` (after everything sent so far) that matches. */
let mark = 0;
const homeOf = async (user: string, where: (c: SlackCall) => boolean = () => true) => {
  const home = (await h.api.waitFor('views.publish', (c) => c.seq > mark && c.args.user_id === user && where(c))).at(-1)!;
  mark = home.seq;
  return home;
};
const org = () => scratch.db.prisma.organization.findUniqueOrThrow({ where: { id: orgId } });
const audit = (action: string) => scratch.db.prisma.auditEntry.findMany({ where: { orgId, action }, orderBy: { id: 'asc' } });

async function openSettings(user: string) {
  mark = h.api.calls.length ? h.api.calls.at(-1)!.seq : 0;
  await h.openHome(user);
  await homeOf(user);
  await h.clickInHome(user, 'home_tab_settings');
  return homeOf(user, (c) => JSON.stringify(c.args.view.blocks).includes('Individual seat limits'));
}

describe('owner settings in the App Home', () => {
  it('shows the owner the Usage page: switch, org cap, tier caps, alerts, seat limits with "Edit limit"', async () => {
    const home = await openSettings(USERS.owner);
    const blocks = home.args.view.blocks;
    const text = JSON.stringify(blocks);
    expect(text).toContain('*Extra usage* is *on*');
    expect(text).toContain('Organisation monthly limit:* $1,000.00');
    expect(text).toContain("Standard seats' monthly limit:* $500.00");
    expect(text).toContain("Premium seats' monthly limit:* Unlimited");
    expect(text).toContain('Individual seat limits');
    expect(text).toContain('*Alice*');
    const ids = actionIdsOf(blocks);
    expect(ids).toEqual(expect.arrayContaining(['settings_set_extra_usage', 'settings_adjust_limit', 'settings_alert_channel']));
    expect(ids).not.toContain('settings_edit_auto_reload'); // team plans only
  });

  it('lets the owner change a member\'s cap from "Edit limit"; applied at once and audited', async () => {
    const alice = await member('alice');
    await openSettings(USERS.owner);
    await h.clickInHome(USERS.owner, 'settings_adjust_limit', (v) => v === JSON.stringify({ kind: 'member', memberId: alice.id }));
    const [modal] = await h.api.waitFor('views.open', (c) => c.args.view?.callback_id === 'adjust_limit');
    expect(JSON.stringify(modal!.args.view.blocks)).toContain("Alice's monthly limit");
    expect(modal!.args.view.submit.text).toBe('Set cap');
    expect(actionIdsOf(modal!.args.view.blocks)).toContain('limit_set_unlimited');

    for (const bad of ['', 'twenty', '12.345', '-1', '1,00.00']) {
      const res = await h.submit(USERS.owner, modal!, { amount: bad });
      expect(res.json).toMatchObject({ response_action: 'errors', errors: { amount: expect.stringContaining('US dollars') } });
    }
    expect((await member('alice')).extraUsageCapNanos).toBe(50_000_000_000n);
    expect(await audit('cap.member.set')).toHaveLength(0);

    const ok = await h.submit(USERS.owner, modal!, { amount: '75.50' });
    expect(ok.status).toBe(200);
    await homeOf(USERS.owner, (c) => JSON.stringify(c.args.view.blocks).includes("Alice's monthly limit is now $75.50"));
    expect((await member('alice')).extraUsageCapNanos).toBe(75_500_000_000n);
    const entries = await audit('cap.member.set');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ subject: `member:${alice.id}`, before: { cap: '50.00' }, after: { cap: '75.50' } });
    expect(entries[0]!.actor).toContain('(owner-1)');
  });

  it('"Set to unlimited" removes the cap (audited) and says the tier and org caps still apply', async () => {
    const alice = await member('alice');
    await openSettings(USERS.owner);
    await h.clickInHome(USERS.owner, 'settings_adjust_limit', (v) => v === JSON.stringify({ kind: 'member', memberId: alice.id }));
    const modal = (await h.api.waitFor('views.open', (c) => c.args.view?.callback_id === 'adjust_limit', 2)).at(-1)!;
    await h.clickInModal(USERS.owner, modal, 'limit_set_unlimited');
    const [done] = await h.api.waitFor('views.update', (c) => c.args.view_id === modal.response.view.id);
    expect(JSON.stringify(done!.args.view.blocks)).toContain('unlimited (seat-tier and organisation limits still apply)');
    expect((await member('alice')).extraUsageCapNanos).toBeNull();
    expect((await audit('cap.member.set')).at(-1)).toMatchObject({ after: { cap: null } });
  });

  it('lets the owner move a member\'s seat up and down from the member\'s modal; applied at once and audited', async () => {
    const carol = await member('carol');
    await openSettings(USERS.owner);
    await h.clickInHome(USERS.owner, 'settings_adjust_limit', (v) => v === JSON.stringify({ kind: 'member', memberId: carol.id }));
    const modal = (await h.api.waitFor('views.open', (c) => c.args.view?.callback_id === 'adjust_limit' && JSON.stringify(c.args.view.blocks).includes("Carol's monthly limit")))[0]!;
    const select = modal.args.view.blocks.find((b: any) => b.accessory?.action_id === 'limit_set_seat_tier').accessory;
    expect(select.initial_option.value).toBe('standard');
    expect(select.confirm).toBeDefined(); // Slack asks "Change the seat?" before sending the choice

    const pick = (user: string, tier: string) => h.clickInModal(user, modal, 'limit_set_seat_tier', { selected_option: { text: { type: 'plain_text', text: tier }, value: tier } });
    await pick(USERS.owner, 'premium');
    const [done] = await h.api.waitFor('views.update', (c) => c.args.view_id === modal.response.view.id && JSON.stringify(c.args.view.blocks).includes('Carol now has a premium seat.'));
    expect(done!.args.view.title.text).toBe('Seat updated');
    await homeOf(USERS.owner, (c) => JSON.stringify(c.args.view.blocks).includes('Carol now has a premium seat.'));
    expect((await member('carol')).seatTier).toBe('premium');
    expect(JSON.stringify(h.lastHome(USERS.owner)!.args.view.blocks)).toContain('*Carol* · Premium');

    await pick(USERS.owner, 'standard');
    await homeOf(USERS.owner, (c) => JSON.stringify(c.args.view.blocks).includes('Carol now has a standard seat.'));
    expect((await member('carol')).seatTier).toBe('standard');
    const entries = await audit('member.seat_tier.set');
    expect(entries.map((e) => [e.subject, e.before, e.after])).toEqual([
      [`member:${carol.id}`, { seatTier: 'standard' }, { seatTier: 'premium' }],
      [`member:${carol.id}`, { seatTier: 'premium' }, { seatTier: 'standard' }],
    ]);
    expect(entries.every((e) => e.actor.includes('(owner-1)'))).toBe(true);
  });

  it('offers no seat choice for the org or a tier limit', async () => {
    await openSettings(USERS.owner);
    await h.clickInHome(USERS.owner, 'settings_adjust_limit', (v) => v === JSON.stringify({ kind: 'org' }));
    const orgModal = (await h.api.waitFor('views.open', (c) => c.args.view?.callback_id === 'adjust_limit' && JSON.stringify(c.args.view.blocks).includes('Organisation monthly limit')))[0]!;
    expect(JSON.stringify(orgModal.args.view.blocks)).not.toContain('limit_set_seat_tier');
  });

  it('changes the org cap and a tier cap, and turns extra usage off and on again', async () => {
    await openSettings(USERS.owner);
    await h.clickInHome(USERS.owner, 'settings_adjust_limit', (v) => v === JSON.stringify({ kind: 'tier', tier: 'standard' }));
    const tierModal = (await h.api.waitFor('views.open', (c) => c.args.view?.callback_id === 'adjust_limit' && JSON.stringify(c.args.view.blocks).includes('Standard seats')))[0]!;
    await h.submit(USERS.owner, tierModal, { amount: '250' });
    await homeOf(USERS.owner, (c) => JSON.stringify(c.args.view.blocks).includes("Standard seats' monthly limit is now $250.00"));
    expect((await org()).standardTierCapNanos).toBe(250_000_000_000n);

    await h.clickInHome(USERS.owner, 'settings_adjust_limit', (v) => v === JSON.stringify({ kind: 'org' }));
    const orgModal = (await h.api.waitFor('views.open', (c) => c.args.view?.callback_id === 'adjust_limit' && JSON.stringify(c.args.view.blocks).includes('Organisation monthly limit')))[0]!;
    await h.submit(USERS.owner, orgModal, { amount: '2000.00' });
    await homeOf(USERS.owner, (c) => JSON.stringify(c.args.view.blocks).includes('monthly limit is now $2000.00'));
    expect((await org()).orgMonthlyCapNanos).toBe(2_000_000_000_000n);

    await h.clickInHome(USERS.owner, 'settings_set_extra_usage', (v) => v === 'off');
    await homeOf(USERS.owner, (c) => JSON.stringify(c.args.view.blocks).includes('Extra usage is off'));
    expect((await org()).extraUsageEnabled).toBe(false);
    await h.clickInHome(USERS.owner, 'settings_set_extra_usage', (v) => v === 'on');
    await homeOf(USERS.owner, (c) => JSON.stringify(c.args.view.blocks).includes(':white_check_mark: Extra usage is on.'));
    expect((await org()).extraUsageEnabled).toBe(true);
    expect(await audit('cap.tier.set')).toHaveLength(1);
    expect(await audit('cap.org.set')).toHaveLength(1);
    expect(await audit('extra_usage.set')).toHaveLength(2);
  });

  it('picks a channel for cap alerts (audited), and back to direct messages', async () => {
    await openSettings(USERS.owner);
    await h.clickInHome(USERS.owner, 'settings_alert_channel', undefined, { type: 'conversations_select', selected_conversation: 'C_ALERTS' });
    await homeOf(USERS.owner, (c) => JSON.stringify(c.args.view.blocks).includes('Cap alerts now go to <#C_ALERTS>'));
    expect((await org()).slackAlertChannelId).toBe('C_ALERTS');
    await h.api.waitFor('conversations.join', (c) => c.args.channel === 'C_ALERTS');
    await h.clickInHome(USERS.owner, 'settings_alerts_by_dm');
    await homeOf(USERS.owner, (c) => JSON.stringify(c.args.view.blocks).includes('now go to owners by direct message'));
    expect((await org()).slackAlertChannelId).toBeNull();
    expect((await audit('alerts.slack_channel.set')).map((e) => e.after)).toEqual([{ channel: 'C_ALERTS' }, { channel: null }]);
  });

  it('never shows owner controls to an admin or a member', async () => {
    for (const user of [USERS.admin, USERS.alice]) {
      await h.openHome(user);
      const home = await homeOf(user);
      const ids = actionIdsOf(home.args.view.blocks);
      for (const a of OWNER_ACTIONS) expect(ids).not.toContain(a);
      expect(JSON.stringify(home.args.view.blocks)).not.toContain('Individual seat limits');
    }
    // Asking for the settings tab anyway shows "My usage" and says why.
    await h.clickInHome(USERS.admin, 'home_tab_requests', undefined, { value: JSON.stringify({ tab: 'settings', page: 0 }) });
    const home = await homeOf(USERS.admin, (c) => JSON.stringify(c.args.view.blocks).includes('Only owners can see usage settings'));
    expect(actionIdsOf(home.args.view.blocks)).not.toContain('settings_adjust_limit');
  });

  it('refuses owner actions sent by an admin or a member, on the server, and changes nothing', async () => {
    const ownerHome = await openSettings(USERS.owner);
    const alice = await member('alice');
    const before = { org: await org(), alice: await member('alice'), carol: await member('carol'), audit: await scratch.db.prisma.auditEntry.count({ where: { orgId } }) };
    for (const user of [USERS.admin, USERS.bob]) {
      // Replay the owner's Home payloads as someone else.
      await h.clickInHome(user, 'settings_set_extra_usage', (v) => v === 'off', undefined, ownerHome);
      await h.clickInHome(user, 'settings_adjust_limit', (v) => v === JSON.stringify({ kind: 'member', memberId: alice.id }), undefined, ownerHome);
      await h.clickInHome(user, 'settings_alert_channel', undefined, { type: 'conversations_select', selected_conversation: 'C_EVIL' }, ownerHome);
      await h.api.waitFor('views.publish', (c) => c.args.user_id === user && JSON.stringify(c.args.view.blocks).includes('Only owners of Acme can change usage settings'), 3);
    }
    // The modal, if someone had one, is refused on submit as well.
    const modal = h.api.of('views.open').find((c) => c.args.view?.callback_id === 'adjust_limit')!;
    const res = await h.submit(USERS.bob, modal, { amount: '1.00' });
    expect(res.json).toMatchObject({ response_action: 'update', view: { title: { text: 'Not allowed' } } });
    const unlimited = await h.clickInModal(USERS.admin, modal, 'limit_set_unlimited');
    expect(unlimited.status).toBe(200);
    await h.api.waitFor('views.update', (c) => c.args.view?.title?.text === 'Not allowed');
    // So is a seat picked in a member's modal.
    const seatModal = h.api.of('views.open').find((c) => c.args.view?.callback_id === 'adjust_limit' && JSON.stringify(c.args.view.blocks).includes('limit_set_seat_tier'))!;
    const refusedIn = (c: SlackCall) => c.args.view_id === seatModal.response.view.id && c.args.view?.title?.text === 'Not allowed';
    const refusedSoFar = h.api.of('views.update').filter(refusedIn).length;
    for (const user of [USERS.admin, USERS.bob]) {
      expect((await h.clickInModal(user, seatModal, 'limit_set_seat_tier', { selected_option: { text: { type: 'plain_text', text: 'premium' }, value: 'premium' } })).status).toBe(200);
    }
    await h.api.waitFor('views.update', refusedIn, refusedSoFar + 2);

    expect(h.api.of('views.open').filter((c) => c.response.ok).length).toBe(h.api.of('views.open').filter((c) => c.args.view?.callback_id === 'adjust_limit').length);
    const after = { org: await org(), alice: await member('alice'), audit: await scratch.db.prisma.auditEntry.count({ where: { orgId } }) };
    expect(after.org.extraUsageEnabled).toBe(before.org.extraUsageEnabled);
    expect(after.org.slackAlertChannelId).toBe(before.org.slackAlertChannelId);
    expect(after.alice.extraUsageCapNanos).toBe(before.alice.extraUsageCapNanos);
    expect(after.alice.seatTier).toBe(before.alice.seatTier);
    expect((await member('carol')).seatTier).toBe(before.carol.seatTier);
    expect(after.audit).toBe(before.audit);
  });
});
