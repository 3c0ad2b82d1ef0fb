// Every card the bot sends or answers with is rendered by the official Adaptive
// Cards renderer in headless Chromium; the test clicks its buttons in the rendered
// card (typing into its inputs first), feeds what the click produced (verb and
// data, inputs merged) back to the bot as Teams would, and checks the bot accepts
// it: the card and the handler agree. Screenshots go to docs/teams-cards/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CARD_BYTES } from '../../../bot/teams/cards/card.js';
import { adminsOf, ownersOf } from '../../../src/ledger/settings/people.js';
import { recordUsage } from '../../../src/ledger/metering/record.js';
import { requestView } from '../../../src/ledger/requests/requests.js';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import { HAIKU, usageOfCents } from '../../support/fixtures.js';
import { exhaustSeat, provision } from '../../support/ledger.js';
import { startCardRenderer, type CardRenderer, type ClickedAction } from '../../support/teams-card-renderer.js';
import { personalConversationId } from '../../support/teams-connector.js';
import { ledgerRequests, startTeamsHarness, teamsEnterpriseDoc, teamsTeamDoc, textOf, USERS, type TeamsHarness, type TeamsUser } from '../../support/teams-harness.js';

const SHOTS = join(process.cwd(), 'docs', 'teams-cards');
// A fixed clock, so the screenshots only change when the cards do.
const NOW = new Date('2026-11-16T09:30:00Z');
const clock = () => new Date(NOW);
let scratch: Scratch;
let h: TeamsHarness;
let r: CardRenderer;
let acme: Awaited<ReturnType<typeof provision>>;
let small: Awaited<ReturnType<typeof provision>>;
const dm = (u: TeamsUser) => personalConversationId(u.aadObjectId);

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  scratch = await migrated(scratchPglite);
  const db = scratch.db.prisma;
  const doc = teamsEnterpriseDoc({ extraUsage: { enabled: true, scope: 'selected_members', orgMonthlyCap: '1000.00', tierCaps: { standard: '500.00', premium: null } } });
  acme = await provision(db, 'acme', { ...doc, members: [...doc.members, { externalId: 'carol', name: 'Carol', role: 'member', seatTier: 'standard' }] });
  small = await provision(db, 'small', teamsTeamDoc({ autoReload: { enabled: false } }));
  // Bob and Carol used up their seats and are not selected for extra usage: they may ask (Alice does in a test).
  for (const m of ['bob', 'carol']) await exhaustSeat(db, acme.orgId, m, clock());
  await db.organization.update({ where: { id: small.orgId }, data: { teamsTenantId: 'tenant-small', balanceNanos: 42_500_000_000n } });
  h = await startTeamsHarness(db, ledgerRequests(db, clock), { now: clock });
  r = await startCardRenderer();
}, 60_000);
afterAll(async () => {
  await r?.close();
  await h?.close();
  await scratch?.dispose();
});

/** Renders a card, checks the renderer accepted all of it, and keeps a screenshot. */
async function show(card: any, name: string | null, opts: { legacy?: boolean } = {}) {
  expect(card).toMatchObject({ type: 'AdaptiveCard', version: '1.5' });
  expect(JSON.stringify(card).length).toBeLessThan(MAX_CARD_BYTES);
  const result = await r.render(card, opts);
  if (!opts.legacy) expect(result.parseEvents).toEqual([]);
  expect(result.validationEvents).toEqual([]);
  if (name) await r.screenshot(join(SHOTS, `${name}.png`));
  return result;
}

/** Sends what a click produced back to the bot, as Teams does, and returns the card it answers with. */
async function feed(user: TeamsUser, clicked: ClickedAction | null, opts: { tenantId?: string; replyToId?: string } = {}): Promise<any> {
  expect(clicked).not.toBeNull();
  if (clicked!.type === 'Action.Execute') {
    const res = await h.invoke(user, clicked!.verb!, clicked!.data, 'manual', opts.tenantId);
    return h.cardOf(res);
  }
  expect(clicked!.type).toBe('Action.Submit');
  const before = h.connector.of('update').length;
  const res = await h.submit(user, clicked!.data, opts.replyToId, opts.tenantId);
  expect(res.status).toBe(200);
  const updates = await h.connector.waitFor('update', () => true, before + 1);
  return h.connector.cardOf(updates[updates.length - 1]!);
}

async function lastSentTo(user: TeamsUser, contains: string) {
  const sent = await h.connector.waitFor('send', (c) => c.conversationId === dm(user) && textOf(h.connector.cardOf(c)).includes(contains));
  return { call: sent[sent.length - 1]!, card: h.connector.cardOf(sent[sent.length - 1]!) };
}

describe('Teams cards in the official renderer', () => {
  it('member usage card: "Request extra usage" opens one request and turns into "Request sent to admin"', async () => {
    // Alice used her seat's allowance and some of it again: the gateway now refuses her.
    await recordUsage(scratch.db.prisma, { orgId: acme.orgId, requestId: 'alice-1', member: 'alice', model: HAIKU, usage: usageOfCents(130), at: new Date(NOW.getTime() - 40 * 60_000) }, clock());
    await h.message(USERS.alice, 'usage');
    const { card } = await lastSentTo(USERS.alice, 'Your usage');
    const shown = await show(card, 'usage-member');
    expect(shown.buttons).toEqual(['Request extra usage', 'Refresh']);
    // The one wording of the refusal (as authorize's message): what stopped her, when it lifts in the org's time, the next step.
    expect(textOf(card)).toMatch(/Paused: You have used the usage included in your seat, and extra usage is not on for you; it lifts \d+ \w+ \d{4}, \d\d:\d\d \(Europe\/Paris\)\. To go on sooner, request extra usage from your admins/);
    // Her note goes with the request (the card's input, collected by the button), and reaches the admins.
    await r.fill('Note for your admins (optional)', 'Quarter-end *report* until Friday');
    const after = await feed(USERS.alice, await r.click('Request extra usage'));
    const again = await show(after, 'usage-request-sent');
    const asked = await scratch.db.prisma.extraUsageRequest.findFirstOrThrow({ where: { memberId: (await acme.member('alice')).id, status: 'pending' } });
    expect(asked.note).toBe('Quarter-end *report* until Friday');
    await h.bot.notifier.requestOpened(await requestView(scratch.db.prisma, asked.id), await adminsOf(scratch.db.prisma, acme.orgId));
    const { card: adminCard } = await lastSentTo(USERS.admin, 'Alice asks for more usage');
    expect(textOf(adminCard)).toContain('Note: Quarter-end *report* until Friday');
    expect(textOf(after)).not.toContain('Note for your admins');
    expect(again.buttons).toContain('Request sent to admin');
    expect(await r.page.locator('#card button[aria-label="Request sent to admin"]').isDisabled()).toBe(true);
    const alice = await acme.member('alice');
    expect(await scratch.db.prisma.extraUsageRequest.count({ where: { memberId: alice.id, status: 'pending' } })).toBe(1);
    // "Refresh" is accepted too.
    expect(textOf(await feed(USERS.alice, await r.click('Refresh')))).toContain('Your usage');
  });

  it('admin request card: the posted card, the admin\'s view, a bad limit shown in the card, then approval', async () => {
    const db = scratch.db.prisma;
    const alice = await acme.member('alice');
    const request = await db.extraUsageRequest.findFirstOrThrow({ where: { memberId: alice.id, status: 'pending' } });
    await h.bot.notifier.requestOpened(await requestView(db, request.id), await adminsOf(db, acme.orgId));
    const { card: posted } = await lastSentTo(USERS.admin, 'Extra usage request');
    expect((await show(posted, 'request-posted')).buttons).toEqual(['Review request']);
    // A reminder is the same message updated in place.
    await h.bot.notifier.requestReminder(await requestView(db, request.id), await adminsOf(db, acme.orgId));
    const [reminded] = await h.connector.waitFor('update', (c) => c.conversationId === dm(USERS.admin) && textOf(h.connector.cardOf(c)).includes('Reminder: Alice asks for more usage'));
    expect((await show(h.connector.cardOf(reminded!), 'request-reminder')).buttons).toEqual(['Review request']);
    await show(posted, null);

    // Teams refreshes the posted card through the same action; a click on "Review request" does the same.
    const adminView = await feed(USERS.admin, await r.click('Review request'));
    expect((await show(adminView, 'request-admin')).buttons).toEqual(['Upgrade to premium seat', 'Enable extra usage…', 'Deny…']);
    expect((await show(posted.refresh ? await h.cardOf(await h.invoke(USERS.admin, posted.refresh.action.verb, posted.refresh.action.data, 'automatic')) : null, null)).buttons).toEqual(['Upgrade to premium seat', 'Enable extra usage…', 'Deny…']);

    await show(adminView, null);
    expect(await r.click('Enable extra usage…')).toBeNull(); // unfolds the form
    // Filled with her current limit: keeping it is one click; an empty field (no limit of her own) is a choice.
    expect(await r.page.locator('#card').getByLabel('Monthly limit for Alice (optional)', { exact: true }).inputValue()).toBe('50.00');
    await r.fill('Monthly limit for Alice (optional)', '12.345');
    const refused = await feed(USERS.admin, await r.click('Enable extra usage'));
    expect(textOf(refused)).toContain('"12.345" is not an amount');
    await show(refused, 'request-bad-limit');
    expect(await r.page.locator('#card').getByText('"12.345" is not an amount', { exact: false }).isVisible()).toBe(true);
    await r.fill('Monthly limit for Alice (optional)', '25');
    const approved = await feed(USERS.admin, await r.click('Enable extra usage'));
    expect((await show(approved, 'request-approved')).buttons).toEqual([]);
    expect(textOf(approved)).toContain('Approved by Adam Admin');
    expect(await acme.member('alice')).toMatchObject({ extraUsageEnabled: true, extraUsageCapNanos: 25_000_000_000n });

    // The notifier updates the copies and tells Alice; her card leads back to her usage.
    await h.bot.notifier.requestClosed(await requestView(db, request.id), await adminsOf(db, acme.orgId));
    const { card: outcome } = await lastSentTo(USERS.alice, 'Your request was approved');
    await show(outcome, 'request-outcome-member');
    const usage = await feed(USERS.alice, await r.click('Show my usage'));
    expect(textOf(usage)).toContain('Extra usage: On for you');
    await show(usage, 'usage-extra-on');
  });

  it('digest card: a member\'s click on a decision is refused; the owner denies with a reason', async () => {
    const db = scratch.db.prisma;
    await h.invoke(USERS.bob, 'usage.request', { verb: 'usage.request' });
    const requests = ledgerRequests(db, clock);
    await requests.ask(acme.orgId, 'carol', 'Migration weekend');
    const pending = await db.extraUsageRequest.findMany({ where: { orgId: acme.orgId, status: 'pending' }, orderBy: { requestedAt: 'asc' } });
    expect(pending).toHaveLength(2);
    await h.bot.notifier.digest({ orgId: acme.orgId, orgName: 'Acme', at: NOW.toISOString(), requests: await Promise.all(pending.map((p) => requestView(db, p.id))) }, await adminsOf(db, acme.orgId));
    const { card: digest } = await lastSentTo(USERS.owner, 'Daily digest');
    expect((await show(digest, 'digest-posted')).buttons).toEqual(['Review requests']);
    const ownerView = await feed(USERS.owner, await r.click('Review requests'));
    expect((await show(ownerView, 'digest-admin')).buttons).toEqual(['Enable extra usage…', 'Deny…', 'Upgrade to premium seat', 'Enable extra usage…', 'Deny…']);

    // Bob (a member) sends exactly what the owner's card would send: refused, nothing changes.
    await r.click('Deny…');
    await r.fill('Reason, shown to Bob (optional)', 'No budget left');
    const denyClick = await r.click('Deny request');
    const byBob = await feed(USERS.bob, denyClick);
    expect(textOf(byBob)).toContain('Only admins and owners can decide requests. Nothing was changed.');
    expect((await db.extraUsageRequest.findUniqueOrThrow({ where: { id: pending[0]!.id } })).status).toBe('pending');

    const denied = await feed(USERS.owner, denyClick);
    const shown = await show(denied, 'digest-after-deny');
    expect(textOf(denied)).toContain('Denied by Olivia Owner');
    expect(textOf(denied)).toContain('"No budget left"');
    expect(shown.buttons).toEqual(['Upgrade to premium seat', 'Enable extra usage…', 'Deny…']);
    expect(await db.extraUsageRequest.findUniqueOrThrow({ where: { id: pending[0]!.id } })).toMatchObject({ status: 'denied', reason: 'No budget left' });
  });

  it('a client without universal actions renders the Action.Submit fallbacks, and the bot accepts them', async () => {
    const db = scratch.db.prisma;
    const carol = await acme.member('carol');
    const request = await db.extraUsageRequest.findFirstOrThrow({ where: { memberId: carol.id, status: 'pending' } });
    await h.bot.notifier.requestOpened(await requestView(db, request.id), await adminsOf(db, acme.orgId));
    const { call } = await lastSentTo(USERS.owner, 'Carol');
    const ownerView = h.cardOf(await h.invoke(USERS.owner, 'request.view', { verb: 'request.view', requestId: request.id, card: 'request' }));
    const legacy = await show(ownerView, 'request-admin-legacy-client', { legacy: true });
    expect(legacy.buttons).toEqual(['Upgrade to premium seat', 'Enable extra usage…', 'Deny…']);
    const clicked = await r.click('Upgrade to premium seat');
    expect(clicked).toMatchObject({ type: 'Action.Submit', verb: null, data: { verb: 'request.decide', decision: 'upgrade_seat', requestId: request.id } });
    const updated = await feed(USERS.owner, clicked, { replyToId: call.id! });
    expect(h.connector.of('update').at(-1)!.activityId).toBe(call.id);
    expect(textOf(updated)).toContain('Approved by Olivia Owner');
    expect(textOf(updated)).toContain('Carol now has a premium seat');
    await show(updated, null);
    expect((await acme.member('carol')).seatTier).toBe('premium');
  });

  it('owner settings (Enterprise): the menu, a bad limit under its input, "Set to unlimited" asking first, members and the switch', async () => {
    const db = scratch.db.prisma;
    await h.message(USERS.owner, 'settings');
    const { card } = await lastSentTo(USERS.owner, 'Usage settings');
    expect((await show(card, 'settings-menu')).buttons).toEqual(['Extra usage', 'Limits', 'Members', 'Audit log']);
    const limits = await feed(USERS.owner, await r.click('Limits'));
    await show(limits, 'settings-limits');
    await r.fill('New organisation limit (USD)', 'abc');
    const refused = await feed(USERS.owner, await r.click('Set cap', 0));
    await show(refused, 'settings-bad-limit');
    expect(await r.page.locator('#card').getByText('"abc" is not an amount', { exact: false }).isVisible()).toBe(true);
    expect(await r.page.locator('#card').getByLabel('New organisation limit (USD)', { exact: true }).inputValue()).toBe('abc');

    await r.fill('New organisation limit (USD)', '900');
    const saved = await feed(USERS.owner, await r.click('Set cap', 0));
    expect(textOf(saved)).toContain("The organisation's monthly limit is now $900.00.");
    expect((await db.organization.findUniqueOrThrow({ where: { id: acme.orgId } })).orgMonthlyCapNanos).toBe(900_000_000_000n);

    await show(saved, null);
    await r.fill('New premium seat limit (USD)', '300');
    const tier = await feed(USERS.owner, await r.click('Set cap', 2));
    expect(textOf(tier)).toContain("Premium seats' monthly limit is now $300.00.");

    // "Set to unlimited" on the org limit asks; nothing changes until "Yes".
    await show(tier, null);
    const ask = await feed(USERS.owner, await r.click('Set to unlimited', 0));
    expect((await show(ask, 'settings-confirm-unlimited')).buttons.slice(0, 2)).toEqual(['Yes, set to unlimited', 'Cancel']);
    expect((await db.organization.findUniqueOrThrow({ where: { id: acme.orgId } })).orgMonthlyCapNanos).toBe(900_000_000_000n);
    const kept = await feed(USERS.owner, await r.click('Cancel'));
    expect(textOf(kept)).toContain('$0.00 spent of $900.00 this month');

    await show(kept, null);
    const members = await feed(USERS.owner, await r.click('All settings')).then(async (menu) => {
      await show(menu, null);
      return feed(USERS.owner, await r.click('Members'));
    });
    await show(members, 'settings-members');
    await r.select('Member', 'Bob (extra usage off)');
    const askBob = await feed(USERS.owner, await r.click('Set to unlimited'));
    expect(textOf(askBob)).toContain("Remove Bob's own monthly limit?");
    await show(askBob, null);
    const unlimited = await feed(USERS.owner, await r.click('Yes, set to unlimited'));
    expect(textOf(unlimited)).toContain("Bob's monthly limit is now unlimited");
    expect((await acme.member('bob')).extraUsageCapNanos).toBeNull();

    await show(unlimited, null);
    await r.select('Member', 'Bob (extra usage off)');
    await r.select('New seat', 'Standard seat');
    const seat = await feed(USERS.owner, await r.click('Set seat'));
    expect(textOf(seat)).toContain('Bob now has a standard seat.');
    expect((await acme.member('bob')).seatTier).toBe('standard');

    // The org gives extra usage to selected members: the owner picks Carol and turns hers on.
    await show(seat, null);
    await r.select('Member', 'Carol (extra usage off)');
    const carolOn = await feed(USERS.owner, await r.click('Turn extra usage on'));
    expect(textOf(carolOn)).toContain('Extra usage is now on for Carol.');
    await show(carolOn, 'settings-member-switched');
    expect((await acme.member('carol')).extraUsageEnabled).toBe(true);
    await r.select('Member', 'Carol (extra usage on)');
    expect(textOf(await feed(USERS.owner, await r.click('Turn extra usage off')))).toContain('Extra usage is now off for Carol.');
    expect((await acme.member('carol')).extraUsageEnabled).toBe(false);

    const extra = h.cardOf(await h.invoke(USERS.owner, 'settings.show', { verb: 'settings.show', screen: 'extra' }));
    await show(extra, 'settings-extra-usage');
    await r.toggle('Extra usage is on', false);
    const off = await feed(USERS.owner, await r.click('Save'));
    expect(textOf(off)).toContain('Extra usage is now off');
    await show(off, 'settings-saved');
    await r.toggle('Extra usage is on', true);
    await r.select('Who gets it', 'All members');
    const on = await feed(USERS.owner, await r.click('Save'));
    expect(textOf(on)).toContain('Extra usage is now on for all members.');
    expect(await db.organization.findUniqueOrThrow({ where: { id: acme.orgId } })).toMatchObject({ extraUsageEnabled: true, extraUsageScope: 'all_members' });
    await show(on, null);
    expect(textOf(await feed(USERS.owner, await r.click('Refresh')))).toContain('When members use up the usage included in their seat');
  });

  it('owner settings (Team): prepaid balance and auto-reload', async () => {
    const menu = h.cardOf(await h.invoke(USERS.owner, 'settings.show', { verb: 'settings.show' }, 'manual', 'tenant-small'));
    await show(menu, 'settings-team-menu');
    const card = await feed(USERS.owner, await r.click('Balance'), { tenantId: 'tenant-small' });
    await show(card, 'settings-team');
    expect(textOf(card)).toContain('Balance: $42.50');
    await r.toggle('Auto-reload is on', true);
    await r.fill('Reload when the balance reaches (USD)', '10');
    await r.fill('Reload amount (USD)', '');
    const refused = await feed(USERS.owner, await r.click('Save auto-reload'), { tenantId: 'tenant-small' });
    expect(textOf(refused)).toContain('Auto-reload needs both a threshold and an amount');
    await show(refused, 'settings-team-error');
    await r.fill('Reload amount (USD)', '50');
    const saved = await feed(USERS.owner, await r.click('Save auto-reload'), { tenantId: 'tenant-small' });
    expect(textOf(saved)).toContain('Auto-reload is on: $50.00 is added when the balance reaches $10.00.');
    expect(await scratch.db.prisma.organization.findUniqueOrThrow({ where: { id: small.orgId } })).toMatchObject({ autoReloadEnabled: true, autoReloadAmountNanos: 50_000_000_000n });
  });

  it('audit log card: opened from the settings card, paged with Older and Newer, read-only', async () => {
    const db = scratch.db.prisma;
    const [owner, admin, alice, bob] = await Promise.all([acme.member('owner-1'), acme.member('admin-1'), acme.member('alice'), acme.member('bob')]);
    // Entries at fixed times on top of the log, so the screenshot changes only when the card does.
    const at = (minutesAgo: number) => new Date(NOW.getTime() - minutesAgo * 60_000);
    const byOwner = `member:${owner.id} (owner-1)`;
    const byAdmin = `member:${admin.id} (admin-1)`;
    const entries = [
        { actor: 'operator', action: 'member.update', subject: `member:${bob.id}`, before: { seatTier: 'standard' }, after: { seatTier: 'premium' }, createdAt: at(300) },
        { actor: byOwner, action: 'extra_usage.set', subject: 'org', before: { enabled: false, scope: 'all_members' }, after: { enabled: true, scope: 'selected_members' }, createdAt: at(240) },
        { actor: byOwner, action: 'cap.org.set', subject: 'org', before: { cap: '1000.00' }, after: { cap: '900.00' }, createdAt: at(200) },
        { actor: byOwner, action: 'cap.tier.set', subject: 'tier:premium', before: { cap: null }, after: { cap: '300.00' }, createdAt: at(180) },
        { actor: byAdmin, action: 'extra_usage.member.set', subject: `member:${alice.id}`, before: { enabled: false, cap: '50.00' }, after: { enabled: true, cap: '25.00', viaRequest: 'r-1' }, createdAt: at(120) },
        { actor: byAdmin, action: 'request.decided', subject: 'request:r-1', before: { status: 'pending' }, after: { status: 'approved', decision: 'enable_extra_usage', cap: '25.00', reason: null, member: `member:${alice.id}` }, createdAt: at(120) },
        { actor: byOwner, action: 'request.decided', subject: 'request:r-2', before: { status: 'pending' }, after: { status: 'denied', decision: 'deny', cap: null, reason: 'No budget left', member: `member:${bob.id}` }, createdAt: at(90) },
        { actor: `${byOwner} via api_key:k-1`, action: 'cap.member.set', subject: `member:${bob.id}`, before: { cap: null }, after: { cap: '40.00' }, createdAt: at(60) },
        { actor: 'system', action: 'request.closed', subject: 'request:r-3', before: { status: 'pending' }, after: { status: 'expired', reason: null, member: `member:${bob.id}` }, createdAt: at(30) },
        { actor: byOwner, action: 'member.seat_tier.set', subject: `member:${bob.id}`, before: { seatTier: 'premium' }, after: { seatTier: 'standard' }, createdAt: at(5) },
    ];
    await db.auditEntry.createMany({ data: entries.map((e) => ({ orgId: acme.orgId, ...e })) });
    await h.message(USERS.owner, 'settings');
    const { card: settings } = await lastSentTo(USERS.owner, 'Usage settings');
    await show(settings, null);
    const latest = await feed(USERS.owner, await r.click('Audit log'));
    expect((await show(latest, 'audit-log')).buttons).toEqual(['Older', 'Usage settings']);
    expect(textOf(latest)).toContain("Bob's monthly limit · Unlimited → $40.00");
    expect(textOf(latest)).toContain('16 Nov 2026, 09:30 · Olivia Owner via an API key');
    expect(textOf(latest)).toContain("Bob's request decided · status pending → denied, decision deny, reason No budget left");
    expect(textOf(latest)).toContain('times in Europe/Paris');
    const older = await feed(USERS.owner, await r.click('Older'));
    expect((await show(older, null)).buttons).toEqual(expect.arrayContaining(['Newer', 'Usage settings']));
    const again = await feed(USERS.owner, await r.click('Newer'));
    expect(textOf(again)).toEqual(textOf(latest));
  });

  it('alerts, help and the unlinked card', async () => {
    const db = scratch.db.prisma;
    await h.bot.notifier.alert(
      { kind: 'org_cap_threshold', orgId: acme.orgId, orgName: 'Acme', title: 'Acme reached its monthly extra usage cap of $900.00', text: 'Extra usage is paused for everyone until 2026-12-01 00:00 (Europe/Paris), unless an owner raises the org cap.', facts: { Month: '2026-11', Spent: '$901.20', Cap: '$900.00', Threshold: '100%', Resets: '2026-11-30T23:00:00.000Z' } },
      await ownersOf(db, acme.orgId),
    );
    const { card: alert } = await lastSentTo(USERS.owner, 'monthly extra usage cap of $900.00');
    expect((await show(alert, 'alert-org-cap')).buttons).toEqual(['Adjust limit']);
    // "Adjust limit" opens the limits card itself.
    const limits = await feed(USERS.owner, await r.click('Adjust limit'));
    expect(textOf(limits)).toContain('Monthly limits');
    expect(textOf(limits)).toContain('spent of $900.00 this month');

    const alice = await acme.member('alice');
    await h.bot.notifier.alert(
      { kind: 'member_cap_reached', orgId: acme.orgId, orgName: 'Acme', title: 'You reached your extra usage cap of $25.00 for this month', text: 'Your extra usage is paused until 2026-12-01 00:00 (Europe/Paris), when the month ends. An owner can raise your cap sooner.', facts: { Month: '2026-11', Spent: '$25.40', Cap: '$25.00' }, member: { memberId: alice.id, externalId: 'alice', name: 'Alice', role: 'member', seatTier: 'standard', email: null, slackUserId: null, teamsUserId: USERS.alice.aadObjectId } },
      [{ memberId: alice.id, externalId: 'alice', name: 'Alice', role: 'member', seatTier: 'standard', email: null, slackUserId: null, teamsUserId: USERS.alice.aadObjectId }],
    );
    const { card: memberAlert } = await lastSentTo(USERS.alice, 'You reached your extra usage cap');
    expect((await show(memberAlert, 'alert-member-cap')).buttons).toEqual(['Show my usage']);
    expect(textOf(await feed(USERS.alice, await r.click('Show my usage')))).toContain('Your usage');

    await h.message(USERS.admin, 'help');
    const { card: help } = await lastSentTo(USERS.admin, 'Write one of these words');
    expect((await show(help, 'help-admin')).buttons).toEqual(['Show my usage', 'Pending requests']);
    const list = await feed(USERS.admin, await r.click('Pending requests'));
    expect(textOf(list)).toContain('Requests waiting for a decision');
    await show(list, 'pending-requests');

    await h.message(USERS.stranger, 'usage');
    const { card: unlinked } = await lastSentTo(USERS.stranger, 'not linked');
    expect((await show(unlinked, 'unlinked')).buttons).toEqual([]);
  });
  it('member usage card: "continue off" pauses her at the seat limit in the one wording, with the one button that lets her go on', async () => {
    await h.message(USERS.alice, 'continue off');
    const { card } = await lastSentTo(USERS.alice, "Saved: you stop at your seat's limit");
    const shown = await show(card, 'usage-continue-off');
    expect(textOf(card)).toContain('you chose not to continue on extra usage');
    expect(shown.buttons).toContain('Continue on extra usage');
    const after = await feed(USERS.alice, await r.click('Continue on extra usage'));
    expect(textOf(after)).toContain('Saved: you continue on extra usage');
    expect((await show(after, 'usage-continue-on')).buttons).toContain("Stop at my seat's limit");
  });
});
