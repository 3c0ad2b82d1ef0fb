// Nobody decides their own request, in Teams: an admin who asked gets their own
// request read-only when Teams refreshes the request card and the digest for them
// (the other requests keep their decisions), and decisions they send anyway are
// refused with the server's words, nothing changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminsOf } from '../../../src/ledger/settings/people.js';
import { requestView } from '../../../src/ledger/requests/requests.js';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import { exhaustSeat, provision } from '../../support/ledger.js';
import { personalConversationId } from '../../support/teams-connector.js';
import { buttonData, buttonsOf, ledgerRequests, startTeamsHarness, teamsEnterpriseDoc, textOf, USERS, type TeamsHarness } from '../../support/teams-harness.js';

const OWN_TEXT = 'Your request: another admin or an owner decides it.';
const REFUSED = 'Nobody decides their own request: another admin or an owner must. Nothing was changed.';
let scratch: Scratch;
let h: TeamsHarness;
let acme: Awaited<ReturnType<typeof provision>>;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  const db = scratch.db.prisma;
  acme = await provision(db, 'acme', teamsEnterpriseDoc({ extraUsage: { enabled: true, scope: 'selected_members', orgMonthlyCap: '1000.00', tierCaps: { standard: '500.00', premium: null } } }));
  // Neither has extra usage and both used up their seat: both may ask.
  for (const m of ['admin-1', 'bob']) await exhaustSeat(db, acme.orgId, m);
  h = await startTeamsHarness(db, ledgerRequests(db));
});
afterAll(async () => {
  await h?.close();
  await scratch?.dispose();
});

const pendingOf = async (externalId: string) => scratch.db.prisma.extraUsageRequest.findFirstOrThrow({ where: { memberId: (await acme.member(externalId)).id, status: 'pending' } });

describe('an admin\'s own request in Teams', () => {
  it('is read-only in their refreshed request card and digest; decisions sent anyway are refused and change nothing', async () => {
    const db = scratch.db.prisma;
    expect(textOf(h.cardOf(await h.invoke(USERS.admin, 'usage.request', { verb: 'usage.request' })))).toContain('Request sent to your admins');
    await h.invoke(USERS.bob, 'usage.request', { verb: 'usage.request' });
    const own = await pendingOf('admin-1');
    const bobs = await pendingOf('bob');

    // Teams refreshes the posted card into each viewer's own view.
    const refresh = { verb: 'request.view', requestId: own.id, card: 'request' };
    const adminView = h.cardOf(await h.invoke(USERS.admin, 'request.view', refresh, 'automatic'));
    expect(buttonsOf(adminView)).toEqual([]);
    expect(textOf(adminView)).toContain(OWN_TEXT);
    const ownerView = h.cardOf(await h.invoke(USERS.owner, 'request.view', refresh, 'automatic'));
    expect(buttonsOf(ownerView)).toEqual(['Upgrade to premium seat', 'Enable extra usage…', 'Enable extra usage', 'Deny…', 'Deny request']);
    expect(textOf(ownerView)).not.toContain(OWN_TEXT);

    // The digest goes to every admin; refreshed for the requester, only Bob's request has decisions.
    const views = await Promise.all([own.id, bobs.id].map((id) => requestView(db, id)));
    await h.bot.notifier.digest({ orgId: acme.orgId, orgName: 'Acme', at: new Date().toISOString(), requests: views }, await adminsOf(db, acme.orgId));
    const [posted] = await h.connector.waitFor('send', (c) => c.conversationId === personalConversationId(USERS.admin.aadObjectId) && textOf(h.connector.cardOf(c)).includes('Daily digest'));
    const digestRefresh = h.connector.cardOf(posted!).refresh.action;
    const digest = h.cardOf(await h.invoke(USERS.admin, digestRefresh.verb, digestRefresh.data, 'automatic'));
    expect(buttonsOf(digest)).toEqual(['Enable extra usage…', 'Enable extra usage', 'Deny…', 'Deny request']);
    expect(JSON.stringify(digest)).toContain(`"id":"own:${own.id}"`);
    expect(JSON.stringify(digest)).toContain(`"id":"actions:${bobs.id}"`);
    expect(JSON.stringify(digest)).not.toContain(`"id":"actions:${own.id}"`);

    // The admin sends the owner's decisions on their own request anyway.
    const before = await db.auditEntry.count({ where: { orgId: acme.orgId } });
    for (const title of ['Upgrade to premium seat', 'Enable extra usage', 'Deny request']) {
      const { verb, data } = buttonData(ownerView, title);
      const res = h.cardOf(await h.invoke(USERS.admin, verb, { ...data, [`cap:${own.id}`]: '999', [`reason:${own.id}`]: 'self-service' }));
      expect(textOf(res)).toContain(REFUSED);
      expect(buttonsOf(res)).toEqual([]);
    }
    expect(await db.extraUsageRequest.findUniqueOrThrow({ where: { id: own.id } })).toMatchObject({ status: 'pending', decidedById: null });
    expect(await acme.member('admin-1')).toMatchObject({ seatTier: 'standard', extraUsageEnabled: false });
    expect(await db.auditEntry.count({ where: { orgId: acme.orgId } })).toBe(before);

    // The owner can decide it.
    const upgrade = buttonData(ownerView, 'Upgrade to premium seat');
    expect(textOf(h.cardOf(await h.invoke(USERS.owner, upgrade.verb, upgrade.data)))).toContain('Adam Admin now has a premium seat');
    expect((await acme.member('admin-1')).seatTier).toBe('premium');
  });
});
