// The owner's settings through the real adapter: a short menu and one card per area
// (extra usage, limits, balance, members); the extra-usage switch, org / tier /
// member caps with "Set cap" / "Set to unlimited" (which asks first), a member's
// seat with "Set seat" and their own extra-usage switch, auto-reload on a Team
// org; bad values come back in the card under their input; only owners change
// anything, whatever the card data says. "Audit log" pages the org's audit log for
// owners only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestService } from '../../../src/services/requests.js';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import { provision } from '../../support/ledger.js';
import { activityFrom, buttonData, buttonsOf, startTeamsHarness, teamsEnterpriseDoc, teamsTeamDoc, textOf, USERS, type TeamsHarness, type TeamsUser } from '../../support/teams-harness.js';

let scratch: Scratch;
let h: TeamsHarness;
let acme: Awaited<ReturnType<typeof provision>>;
let small: Awaited<ReturnType<typeof provision>>;
const requests = {} as RequestService;
const USD = 1_000_000_000n;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  const extra = Array.from({ length: 12 }, (_, i) => ({ externalId: `m${String(i + 1).padStart(2, '0')}`, name: `Member ${String(i + 1).padStart(2, '0')}`, role: 'member' as const, seatTier: 'standard' as const }));
  const doc = teamsEnterpriseDoc();
  acme = await provision(scratch.db.prisma, 'acme', { ...doc, members: [...doc.members, ...extra] });
  small = await provision(scratch.db.prisma, 'small', teamsTeamDoc({ autoReload: { enabled: false } }));
  await scratch.db.prisma.organization.update({ where: { id: small.orgId }, data: { teamsTenantId: 'tenant-small' } });
  h = await startTeamsHarness(scratch.db.prisma, requests);
});
afterAll(async () => {
  await h?.close();
  await scratch?.dispose();
});

const invokeIn = (tenant: string, user: TeamsUser, verb: string, data: Record<string, unknown>) =>
  h.post(activityFrom(user, h.connector.url, { type: 'invoke', name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', verb, data } } }, tenant));
const org = (id: string) => scratch.db.prisma.organization.findUniqueOrThrow({ where: { id } });
const audits = (orgId: string) => scratch.db.prisma.auditEntry.count({ where: { orgId } });

async function settingsCardOf(user: TeamsUser, tenant = 'tenant-acme', screen = 'menu') {
  return h.cardOf(await invokeIn(tenant, user, 'settings.show', { verb: 'settings.show', screen }));
}

describe('owner settings card in Teams', () => {
  it('opens on a short menu of where things stand; each area is a card of its own, members paged', async () => {
    await h.message(USERS.owner, 'settings');
    const [sent] = await h.connector.waitFor('send', (c) => textOf(h.connector.cardOf(c)).includes('Usage settings'));
    const card = h.connector.cardOf(sent!);
    const text = textOf(card);
    expect(text).toContain('Acme · Enterprise plan');
    expect(text).toContain('Extra usage: On for all members');
    expect(text).toContain('Organisation: $0.00 of $1,000.00 this month');
    expect(text).toContain('Standard seats: $0.00 of $500.00');
    expect(text).not.toContain('Balance');
    expect(buttonsOf(card)).toEqual(['Extra usage', 'Limits', 'Members', 'Audit log']);
    expect(JSON.stringify(card)).not.toContain('Input.');

    const limits = h.cardOf(await h.invoke(USERS.owner, 'settings.show', buttonData(card, 'Limits').data));
    expect(textOf(limits)).toContain('$0.00 spent of $1,000.00 this month');
    expect(textOf(limits)).toContain('Premium seats');
    expect(textOf(limits)).toContain('$0.00 spent of Unlimited this month');
    expect(buttonsOf(limits)).toEqual(['Set cap', 'Set to unlimited', 'Set cap', 'Set to unlimited', 'Set cap', 'Set to unlimited', 'All settings', 'Refresh']);

    const extra = h.cardOf(await h.invoke(USERS.owner, 'settings.show', buttonData(card, 'Extra usage').data));
    expect(buttonsOf(extra)).toEqual(['Save', 'All settings', 'Refresh']);

    const members = h.cardOf(await h.invoke(USERS.owner, 'settings.show', buttonData(card, 'Members').data));
    expect(textOf(members)).toContain('Members 1–10 of 16');
    expect(textOf(members)).toContain('Alice · Standard');
    expect(buttonsOf(members)).toEqual(['Next', 'Set cap', 'Set to unlimited', 'Set seat', 'All settings', 'Refresh']);
    const next = h.cardOf(await h.invoke(USERS.owner, 'settings.show', buttonData(members, 'Next').data));
    expect(textOf(next)).toContain('Members 11–16 of 16');
    expect(buttonsOf(next)).toContain('Previous');
    const menu = h.cardOf(await h.invoke(USERS.owner, 'settings.show', buttonData(next, 'All settings').data));
    expect(buttonsOf(menu)).toEqual(buttonsOf(card));
  });

  it('shows a bad amount under its input, keeps what was typed and changes nothing', async () => {
    const before = await audits(acme.orgId);
    const card = await settingsCardOf(USERS.owner, 'tenant-acme', 'caps');
    const set = buttonData(card, 'Set cap');
    const res = h.cardOf(await h.invoke(USERS.owner, set.verb, { ...set.data, 'cap.org': 'lots' }));
    expect(textOf(res)).toContain('"lots" is not an amount. Enter an amount in US dollars with at most 2 decimals');
    expect(JSON.stringify(res)).toContain('"id":"cap.org","label":"New organisation limit (USD)","value":"lots"');
    const empty = h.cardOf(await h.invoke(USERS.owner, set.verb, { ...set.data, 'cap.org': '  ' }));
    expect(textOf(empty)).toContain('Enter an amount, or use "Set to unlimited".');
    expect((await org(acme.orgId)).orgMonthlyCapNanos).toBe(1000n * USD);
    expect(await audits(acme.orgId)).toBe(before);
  });

  it('sets the org cap, a tier cap to unlimited, and a member cap; each change audited', async () => {
    const before = await audits(acme.orgId);
    const res = h.cardOf(await h.invoke(USERS.owner, 'settings.cap', { verb: 'settings.cap', target: 'org', page: 0, 'cap.org': '$1,250.50' }));
    expect(textOf(res)).toContain("The organisation's monthly limit is now $1,250.50.");
    expect(textOf(res)).toContain('$0.00 spent of $1,250.50 this month');
    expect((await org(acme.orgId)).orgMonthlyCapNanos).toBe(1250_500_000_000n);

    // "Set to unlimited" asks first and changes nothing; "Cancel" leaves it so; the yes does it.
    const ask = h.cardOf(await h.invoke(USERS.owner, 'settings.cap', { verb: 'settings.cap', target: 'standard', page: 0, unlimited: true }));
    expect(textOf(ask)).toContain("Remove the standard seats' monthly limit?");
    expect(buttonsOf(ask).slice(0, 2)).toEqual(['Yes, set to unlimited', 'Cancel']);
    expect((await org(acme.orgId)).standardTierCapNanos).toBe(500n * USD);
    const cancelled = h.cardOf(await h.invoke(USERS.owner, 'settings.show', buttonData(ask, 'Cancel').data));
    expect(textOf(cancelled)).not.toContain('Remove the');
    expect(textOf(cancelled)).toContain('Monthly limits');
    const yes = buttonData(ask, 'Yes, set to unlimited');
    const tier = h.cardOf(await h.invoke(USERS.owner, yes.verb, yes.data));
    expect(textOf(tier)).toContain("Standard seats' monthly limit is now unlimited.");
    expect((await org(acme.orgId)).standardTierCapNanos).toBeNull();
    const orgAsk = h.cardOf(await h.invoke(USERS.owner, 'settings.cap', { verb: 'settings.cap', target: 'org', page: 0, unlimited: true }));
    expect(textOf(orgAsk)).toContain("Remove the organisation's monthly limit?");
    expect((await org(acme.orgId)).orgMonthlyCapNanos).toBe(1250_500_000_000n);

    const alice = await acme.member('alice');
    const m = h.cardOf(await h.invoke(USERS.owner, 'settings.cap', { verb: 'settings.cap', target: 'member', page: 0, capMemberId: alice.id, 'cap.member': '75' }));
    expect(textOf(m)).toContain("Alice's monthly limit is now $75.00.");
    expect((await acme.member('alice')).extraUsageCapNanos).toBe(75n * USD);
    const askMember = h.cardOf(await h.invoke(USERS.owner, 'settings.cap', { verb: 'settings.cap', target: 'member', page: 0, unlimited: true, capMemberId: alice.id }));
    expect(textOf(askMember)).toContain("Remove Alice's own monthly limit?");
    expect((await acme.member('alice')).extraUsageCapNanos).toBe(75n * USD);
    // The yes carries the member chosen, whatever the picker shows by then.
    const yesMember = buttonData(askMember, 'Yes, set to unlimited');
    const u = h.cardOf(await h.invoke(USERS.owner, yesMember.verb, yesMember.data));
    expect(textOf(u)).toContain('(seat-tier and organisation limits still apply)');
    expect((await acme.member('alice')).extraUsageCapNanos).toBeNull();
    expect(await audits(acme.orgId)).toBe(before + 4);
    const last = await scratch.db.prisma.auditEntry.findFirstOrThrow({ where: { orgId: acme.orgId }, orderBy: { id: 'desc' } });
    expect(last).toMatchObject({ action: 'cap.member.set', actor: expect.stringContaining('(owner-1)') });
  });

  it('moves a member\'s seat up and down with "Set seat", audited; a missing choice is shown under its input', async () => {
    const before = await audits(acme.orgId);
    const bob = await acme.member('bob');
    const card = await settingsCardOf(USERS.owner, 'tenant-acme', 'members');
    const set = buttonData(card, 'Set seat');
    const none = h.cardOf(await h.invoke(USERS.owner, set.verb, { ...set.data, capMemberId: bob.id }));
    expect(JSON.stringify(none)).toContain('"id":"error:seat.member"');
    expect(textOf(none)).toContain('Choose a seat: standard or premium.');
    expect(await audits(acme.orgId)).toBe(before);

    const down = h.cardOf(await h.invoke(USERS.owner, set.verb, { ...set.data, capMemberId: bob.id, 'seat.member': 'standard' }));
    expect(textOf(down)).toContain('Bob now has a standard seat.');
    expect(textOf(down)).toContain('Bob · Standard');
    expect((await acme.member('bob')).seatTier).toBe('standard');
    const same = h.cardOf(await h.invoke(USERS.owner, set.verb, { ...set.data, capMemberId: bob.id, 'seat.member': 'standard' }));
    expect(textOf(same)).toContain('Bob already has a standard seat. Nothing was changed.');
    const up = h.cardOf(await h.invoke(USERS.owner, set.verb, { ...set.data, capMemberId: bob.id, 'seat.member': 'premium' }));
    expect(textOf(up)).toContain('Bob now has a premium seat.');
    expect((await acme.member('bob')).seatTier).toBe('premium');

    const entries = await scratch.db.prisma.auditEntry.findMany({ where: { orgId: acme.orgId, action: 'member.seat_tier.set' }, orderBy: { id: 'asc' } });
    expect(entries.map((e) => [e.subject, e.before, e.after])).toEqual([
      [`member:${bob.id}`, { seatTier: 'premium' }, { seatTier: 'standard' }],
      [`member:${bob.id}`, { seatTier: 'standard' }, { seatTier: 'premium' }],
    ]);
    expect(entries.every((e) => e.actor.includes('(owner-1)'))).toBe(true);
    expect(await audits(acme.orgId)).toBe(before + 2);
  });

  it('turns extra usage off and on again for selected members', async () => {
    const off = h.cardOf(await h.invoke(USERS.owner, 'settings.extraUsage', { verb: 'settings.extraUsage', page: 0, extraUsageEnabled: 'false', extraUsageScope: 'all_members' }));
    expect(textOf(off)).toContain('Extra usage is now off');
    expect((await org(acme.orgId)).extraUsageEnabled).toBe(false);
    const on = h.cardOf(await h.invoke(USERS.owner, 'settings.extraUsage', { verb: 'settings.extraUsage', page: 0, extraUsageEnabled: 'true', extraUsageScope: 'selected_members' }));
    expect(textOf(on)).toContain('Extra usage is now on for selected members.');
    expect(await org(acme.orgId)).toMatchObject({ extraUsageEnabled: true, extraUsageScope: 'selected_members' });
  });

  it('with "Selected members only", turns one member\'s extra usage on and off from the member picker, audited', async () => {
    const before = await audits(acme.orgId);
    const bob = await acme.member('bob');
    await scratch.db.prisma.member.update({ where: { id: bob.id }, data: { extraUsageEnabled: false } });
    const card = await settingsCardOf(USERS.owner, 'tenant-acme', 'members');
    expect(buttonsOf(card)).toEqual(expect.arrayContaining(['Turn extra usage on', 'Turn extra usage off']));
    expect(JSON.stringify(card)).toContain(`"title":"Bob (extra usage off)","value":"${bob.id}"`);
    const on = buttonData(card, 'Turn extra usage on');
    const none = h.cardOf(await h.invoke(USERS.owner, on.verb, on.data));
    expect(textOf(none)).toContain('Choose a member.');
    const res = h.cardOf(await h.invoke(USERS.owner, on.verb, { ...on.data, capMemberId: bob.id }));
    expect(textOf(res)).toContain('Extra usage is now on for Bob.');
    expect(JSON.stringify(res)).toContain(`"title":"Bob (extra usage on)","value":"${bob.id}"`);
    expect((await acme.member('bob')).extraUsageEnabled).toBe(true);
    const again = h.cardOf(await h.invoke(USERS.owner, on.verb, { ...on.data, capMemberId: bob.id }));
    expect(textOf(again)).toContain('Extra usage is already on for Bob. Nothing was changed.');
    const off = buttonData(card, 'Turn extra usage off');
    expect(textOf(h.cardOf(await h.invoke(USERS.owner, off.verb, { ...off.data, capMemberId: bob.id })))).toContain('Extra usage is now off for Bob.');
    expect((await acme.member('bob')).extraUsageEnabled).toBe(false);
    const entries = await scratch.db.prisma.auditEntry.findMany({ where: { orgId: acme.orgId, action: 'extra_usage.member.set', subject: `member:${bob.id}`, id: { gt: (await scratch.db.prisma.auditEntry.findFirstOrThrow({ where: { orgId: acme.orgId }, orderBy: { id: 'desc' }, skip: 2 })).id } }, orderBy: { id: 'asc' } });
    expect(entries.map((e) => [e.before, e.after])).toEqual([[{ enabled: false }, { enabled: true }], [{ enabled: true }, { enabled: false }]]);
    expect(entries.every((e) => e.actor.includes('(owner-1)'))).toBe(true);
    expect(await audits(acme.orgId)).toBe(before + 2);
  });

  it('refuses members and admins, whatever the card data says, and changes nothing', async () => {
    const before = await audits(acme.orgId);
    const cap = (await org(acme.orgId)).orgMonthlyCapNanos;
    const alice = await acme.member('alice');
    for (const user of [USERS.alice, USERS.admin]) {
      const res = h.cardOf(await h.invoke(user, 'settings.cap', { verb: 'settings.cap', target: 'org', page: 0, unlimited: true }));
      expect(textOf(res)).toContain('Only owners can change usage settings. Nothing was changed.');
      expect(textOf(res)).toContain('Your usage');
      const seat = h.cardOf(await h.invoke(user, 'settings.seat', { verb: 'settings.seat', page: 0, capMemberId: alice.id, 'seat.member': 'premium' }));
      expect(textOf(seat)).toContain('Only owners can change usage settings. Nothing was changed.');
      const own = h.cardOf(await h.invoke(user, 'settings.memberExtraUsage', { verb: 'settings.memberExtraUsage', page: 0, enabled: !alice.extraUsageEnabled, capMemberId: alice.id }));
      expect(textOf(own)).toContain('Only owners can change usage settings. Nothing was changed.');
      const confirmed = h.cardOf(await h.invoke(user, 'settings.cap', { verb: 'settings.cap', target: 'org', page: 0, unlimited: true, confirmed: true }));
      expect(textOf(confirmed)).toContain('Only owners can change usage settings. Nothing was changed.');
      const show = h.cardOf(await h.invoke(user, 'settings.show', { verb: 'settings.show' }));
      expect(buttonsOf(show)).not.toContain('Set cap');
    }
    await h.message(USERS.alice, 'settings');
    const [reply] = await h.connector.waitFor('send', (c) => c.conversationId === 'a:dm-aad-alice');
    expect(textOf(h.connector.cardOf(reply!))).toContain('Only owners can change usage settings');
    expect((await org(acme.orgId)).orgMonthlyCapNanos).toBe(cap);
    expect(await acme.member('alice')).toMatchObject({ seatTier: alice.seatTier, extraUsageEnabled: alice.extraUsageEnabled });
    expect(await audits(acme.orgId)).toBe(before);
  });

  it('on a Team org (its own tenant): prepaid balance and auto-reload, with errors under the inputs', async () => {
    const menu = await settingsCardOf(USERS.owner, 'tenant-small');
    expect(textOf(menu)).toContain('Small Team · Team plan');
    expect(textOf(menu)).toContain('Balance: $0.00');
    expect(textOf(menu)).not.toContain('seats');
    expect(buttonsOf(menu)).toEqual(['Extra usage', 'Limits', 'Balance', 'Members', 'Audit log']);
    const card = h.cardOf(await invokeIn('tenant-small', USERS.owner, 'settings.show', buttonData(menu, 'Balance').data));
    expect(textOf(card)).toContain('Balance: $0.00');
    const save = buttonData(card, 'Save auto-reload');
    const missing = h.cardOf(await invokeIn('tenant-small', USERS.owner, save.verb, { ...save.data, autoReloadEnabled: 'true', autoReloadThreshold: '10', autoReloadAmount: '' }));
    expect(textOf(missing)).toContain('Auto-reload needs both a threshold and an amount when enabled.');
    expect(JSON.stringify(missing)).toContain('"id":"error:autoReloadAmount"');
    const bad = h.cardOf(await invokeIn('tenant-small', USERS.owner, save.verb, { ...save.data, autoReloadEnabled: 'true', autoReloadThreshold: '-5', autoReloadAmount: '50' }));
    expect(JSON.stringify(bad)).toContain('"id":"error:autoReloadThreshold"');
    const ok = h.cardOf(await invokeIn('tenant-small', USERS.owner, save.verb, { ...save.data, autoReloadEnabled: 'true', autoReloadThreshold: '10', autoReloadAmount: '50' }));
    expect(textOf(ok)).toContain('Auto-reload is on: $50.00 is added when the balance reaches $10.00.');
    expect(await org(small.orgId)).toMatchObject({ autoReloadEnabled: true, autoReloadThresholdNanos: 10n * USD, autoReloadAmountNanos: 50n * USD });
    // A tier cap does not exist on the Team plan: refused in the card.
    const tier = h.cardOf(await invokeIn('tenant-small', USERS.owner, 'settings.cap', { verb: 'settings.cap', target: 'premium', page: 0, unlimited: true, confirmed: true }));
    expect(textOf(tier)).toContain('only available on the enterprise plan');
  });
  it('opens the audit log from "Audit log": latest first, names for actors, paged back to the first entry and up again', async () => {
    const all = (await scratch.db.prisma.auditEntry.findMany({ where: { orgId: acme.orgId }, orderBy: { id: 'desc' }, select: { id: true } })).map((e) => String(e.id));
    expect(all.length).toBeGreaterThan(20);
    const entryIds = (card: unknown) => [...JSON.stringify(card).matchAll(/"id":"audit:(\d+)"/g)].map((m) => m[1]!);
    const open = buttonData(await settingsCardOf(USERS.owner), 'Audit log');
    let card = h.cardOf(await h.invoke(USERS.owner, open.verb, open.data));
    const latest = card;
    expect(textOf(card)).toContain('Acme · newest first · times in Europe/Paris');
    expect(entryIds(card)).toEqual(all.slice(0, 10));
    expect(textOf(card)).toContain('Olivia Owner');
    expect(textOf(card)).not.toContain('member:');
    expect(buttonsOf(card)).toEqual(['Older', 'Usage settings']);

    const seen = [...entryIds(card)];
    while (buttonsOf(card).includes('Older')) {
      const older = buttonData(card, 'Older');
      card = h.cardOf(await h.invoke(USERS.owner, older.verb, older.data));
      seen.push(...entryIds(card));
    }
    expect(seen).toEqual(all);
    expect(textOf(card)).toContain('This is where the log begins.');
    expect(textOf(card)).toContain('Organisation created');
    while (buttonsOf(card).includes('Newer')) {
      const newer = buttonData(card, 'Newer');
      card = h.cardOf(await h.invoke(USERS.owner, newer.verb, newer.data));
    }
    expect(entryIds(card)).toEqual(entryIds(latest));
    const back = buttonData(card, 'Usage settings');
    expect(buttonsOf(h.cardOf(await h.invoke(USERS.owner, back.verb, back.data)))).toEqual(['Extra usage', 'Limits', 'Members', 'Audit log']);
  });

  it('shows admins and members nothing of the audit log, whatever the card data says', async () => {
    const cursor = String((await scratch.db.prisma.auditEntry.findFirstOrThrow({ where: { orgId: acme.orgId }, orderBy: { id: 'desc' } })).id);
    for (const user of [USERS.admin, USERS.alice]) {
      for (const data of [{ verb: 'audit.show' }, { verb: 'audit.show', before: cursor }]) {
        const res = h.cardOf(await h.invoke(user, 'audit.show', data));
        expect(textOf(res)).toContain('Only owners can read the audit log.');
        expect(JSON.stringify(res)).not.toContain('"id":"audit:');
      }
    }
    await h.message(USERS.admin, 'audit');
    const [reply] = await h.connector.waitFor('send', (c) => c.conversationId === 'a:dm-aad-admin' && textOf(h.connector.cardOf(c)).includes('Only owners can read the audit log.'));
    expect(JSON.stringify(h.connector.cardOf(reply!))).not.toContain('"id":"audit:');
  });
});
