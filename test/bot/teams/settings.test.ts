// The owner's settings card through the real adapter: the extra-usage switch,
// org / tier / member caps with "Set cap" / "Set to unlimited", a member's seat
// with "Set seat", auto-reload on a Team org; bad values come back in the card
// under their input; only owners change anything, whatever the card data says.
// "Audit log" pages the org's audit log for owners only.
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

async function settingsCardOf(user: TeamsUser, tenant = 'tenant-acme') {
  return h.cardOf(await invokeIn(tenant, user, 'settings.show', { verb: 'settings.show' }));
}

describe('owner settings card in Teams', () => {
  it('shows the switch, caps, MTD spend and the seat limits table, paged', async () => {
    await h.message(USERS.owner, 'settings');
    const [sent] = await h.connector.waitFor('send', (c) => textOf(h.connector.cardOf(c)).includes('Usage settings'));
    const card = h.connector.cardOf(sent!);
    const text = textOf(card);
    expect(text).toContain('Acme · Enterprise plan');
    expect(text).toContain('$0.00 spent of $1,000.00 this month');
    expect(text).toContain('Standard seats: $0.00 spent of $500.00 this month');
    expect(text).toContain('Premium seats: $0.00 spent of Unlimited this month');
    expect(text).toContain('Members 1–10 of 16');
    expect(text).not.toContain('Prepaid balance');
    expect(buttonsOf(card)).toEqual(['Save', 'Set cap', 'Set to unlimited', 'Set cap', 'Set to unlimited', 'Set cap', 'Set to unlimited', 'Next', 'Set cap', 'Set to unlimited', 'Set seat', 'Audit log', 'Refresh']);
    expect(text).toContain('Alice · Standard');
    const next = h.cardOf(await h.invoke(USERS.owner, 'settings.show', buttonData(card, 'Next').data));
    expect(textOf(next)).toContain('Members 11–16 of 16');
    expect(buttonsOf(next)).toContain('Previous');
  });

  it('shows a bad amount under its input, keeps what was typed and changes nothing', async () => {
    const before = await audits(acme.orgId);
    const card = await settingsCardOf(USERS.owner);
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

    const tier = h.cardOf(await h.invoke(USERS.owner, 'settings.cap', { verb: 'settings.cap', target: 'standard', page: 0, unlimited: true }));
    expect(textOf(tier)).toContain("Standard seats' monthly limit is now unlimited.");
    expect((await org(acme.orgId)).standardTierCapNanos).toBeNull();

    const alice = await acme.member('alice');
    const m = h.cardOf(await h.invoke(USERS.owner, 'settings.cap', { verb: 'settings.cap', target: 'member', page: 0, capMemberId: alice.id, 'cap.member': '75' }));
    expect(textOf(m)).toContain("Alice's monthly limit is now $75.00.");
    expect((await acme.member('alice')).extraUsageCapNanos).toBe(75n * USD);
    const u = h.cardOf(await h.invoke(USERS.owner, 'settings.cap', { verb: 'settings.cap', target: 'member', page: 0, unlimited: true, capMemberId: alice.id }));
    expect(textOf(u)).toContain('(seat-tier and organisation limits still apply)');
    expect((await acme.member('alice')).extraUsageCapNanos).toBeNull();
    expect(await audits(acme.orgId)).toBe(before + 4);
    const last = await scratch.db.prisma.auditEntry.findFirstOrThrow({ where: { orgId: acme.orgId }, orderBy: { id: 'desc' } });
    expect(last).toMatchObject({ action: 'cap.member.set', actor: expect.stringContaining('(owner-1)') });
  });

  it('moves a member\'s seat up and down with "Set seat", audited; a missing choice is shown under its input', async () => {
    const before = await audits(acme.orgId);
    const bob = await acme.member('bob');
    const card = await settingsCardOf(USERS.owner);
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
      const show = h.cardOf(await h.invoke(user, 'settings.show', { verb: 'settings.show' }));
      expect(buttonsOf(show)).not.toContain('Set cap');
    }
    await h.message(USERS.alice, 'settings');
    const [reply] = await h.connector.waitFor('send', (c) => c.conversationId === 'a:dm-aad-alice');
    expect(textOf(h.connector.cardOf(reply!))).toContain('Only owners can change usage settings');
    expect((await org(acme.orgId)).orgMonthlyCapNanos).toBe(cap);
    expect((await acme.member('alice')).seatTier).toBe(alice.seatTier);
    expect(await audits(acme.orgId)).toBe(before);
  });

  it('on a Team org (its own tenant): prepaid balance and auto-reload, with errors under the inputs', async () => {
    const card = await settingsCardOf(USERS.owner, 'tenant-small');
    expect(textOf(card)).toContain('Small Team · Team plan');
    expect(textOf(card)).toContain('Balance: $0.00');
    expect(textOf(card)).not.toContain('Seat-tier');
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
    const tier = h.cardOf(await invokeIn('tenant-small', USERS.owner, 'settings.cap', { verb: 'settings.cap', target: 'premium', page: 0, unlimited: true }));
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
    expect(textOf(h.cardOf(await h.invoke(USERS.owner, back.verb, back.data)))).toContain('Individual seat limits');
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
