// The tenant learnt at install, through the real adapter: an org with no
// teamsTenantId whose people never wrote to the bot cannot be reached proactively;
// operators are told once (log) and GET /health's facts name the org until the app
// is installed. Installing it in a team (installationUpdate) or adding the bot to a
// conversation (conversationUpdate) makes the next alert open the owner's chat.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownersOf, personOf } from '../../../src/ledger/settings/people.js';
import type { AlertView } from '../../../src/notify/port.js';
import type { RequestService } from '../../../src/services/requests.js';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import { provision } from '../../support/ledger.js';
import { personalConversationId } from '../../support/teams-connector.js';
import { BOT, startTeamsHarness, teamsEnterpriseDoc, textOf, USERS, type TeamsHarness } from '../../support/teams-harness.js';

let scratch: Scratch;
let h: TeamsHarness;
let orgId: string;
const requests = {} as RequestService;
const TEAM_TENANT = 'tenant-installed';

const alert = (title: string): AlertView => ({ kind: 'org_cap_threshold', orgId, orgName: 'Acme', title, text: 'Extra usage is at 80% of the cap.', facts: { Threshold: '80%' } });
const unknownLines = () => h.logs.filter((l) => l.includes('OPERATOR ACTION') && l.includes('Microsoft Teams tenant'));

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  orgId = (await provision(scratch.db.prisma, 'acme', teamsEnterpriseDoc())).orgId;
  h = await startTeamsHarness(scratch.db.prisma, requests);
});
afterAll(async () => {
  await h?.close();
  await scratch?.dispose();
});

describe('Teams tenant captured at install', () => {
  it('without a tenant, tells operators once (log and health) and sends nothing', async () => {
    expect(await h.bot.health()).toEqual({ tenantUnknown: ['acme'] });
    const owners = await ownersOf(scratch.db.prisma, orgId);
    await h.bot.notifier.alert(alert('First alert'), owners);
    await h.bot.notifier.alert(alert('Second alert'), owners);
    await h.bot.health();
    expect(h.connector.of('create')).toHaveLength(0);
    expect(h.connector.of('send')).toHaveLength(0);
    expect(unknownLines()).toHaveLength(1);
    expect(unknownLines()[0]).toContain("org 'acme' has no known Microsoft Teams tenant");
  });

  it('learns it from the installation in a team, so the next alert opens the owner\'s chat in that tenant', async () => {
    const res = await h.post({
      type: 'installationUpdate',
      action: 'add',
      id: 'install-1',
      channelId: 'msteams',
      serviceUrl: h.connector.url,
      from: { id: USERS.admin.id, aadObjectId: USERS.admin.aadObjectId, name: USERS.admin.name },
      recipient: BOT,
      conversation: { id: '19:general@thread.tacv2', conversationType: 'channel', tenantId: TEAM_TENANT, isGroup: true },
      channelData: { tenant: { id: TEAM_TENANT }, team: { id: '19:general@thread.tacv2', name: 'Finance' } },
    });
    expect(res.status).toBe(200);
    expect(await h.bot.health()).toEqual({ tenantUnknown: [] });
    expect(h.logs.some((l) => l.includes(`is known now (${TEAM_TENANT}`))).toBe(true);
    // Nothing is posted to the team on install.
    expect(h.connector.of('send')).toHaveLength(0);

    await h.bot.notifier.alert(alert('Third alert'), await ownersOf(scratch.db.prisma, orgId));
    const [created] = await h.connector.waitFor('create');
    expect(created!.body).toMatchObject({ isGroup: false, tenantId: TEAM_TENANT, members: [{ id: USERS.owner.aadObjectId }], bot: { id: BOT.id } });
    const [sent] = await h.connector.waitFor('send');
    expect(sent!.conversationId).toBe(personalConversationId(USERS.owner.aadObjectId));
    expect(unknownLines()).toHaveLength(1);
  });

  it('links the team\'s members by their email when installed in a team (audited), so they are reachable at once', async () => {
    const db = scratch.db.prisma;
    await db.member.create({ data: { orgId, externalId: 'frank', name: 'Frank', role: 'admin', seatTier: 'standard', email: 'frank@acme.example' } });
    await db.member.create({ data: { orgId, externalId: 'gina', name: 'Gina', role: 'member', seatTier: 'standard', email: 'gina@acme.example' } });
    h.connector.setMember('29:frank', { id: '29:frank', name: 'Frank', aadObjectId: 'aad-frank', email: 'Frank@Acme.example' });
    h.connector.setMember('29:gina', { id: '29:gina', name: 'Gina', aadObjectId: 'aad-gina', userPrincipalName: 'gina@acme.example' });
    h.connector.setMember('29:other', { id: '29:other', name: 'Other', aadObjectId: 'aad-other', email: 'other@elsewhere.example' });
    const res = await h.post({
      type: 'conversationUpdate', id: 'install-team-2', channelId: 'msteams', serviceUrl: h.connector.url,
      from: { id: USERS.owner.id, aadObjectId: USERS.owner.aadObjectId }, recipient: BOT, membersAdded: [{ id: BOT.id }],
      conversation: { id: '19:general2@thread.tacv2', conversationType: 'channel', tenantId: TEAM_TENANT, isGroup: true },
      channelData: { tenant: { id: TEAM_TENANT }, team: { id: '19:general2@thread.tacv2', name: 'Finance' } },
    });
    expect(res.status).toBe(200);
    // Linked after the answer (the roster was read during the turn): wait for it.
    const until = Date.now() + 20_000;
    while ((await db.member.count({ where: { orgId, teamsUserId: { in: ['aad-frank', 'aad-gina'] } } })) < 2) {
      if (Date.now() > until) throw new Error('the team\'s members were not linked');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await db.member.count({ where: { orgId, teamsUserId: 'aad-other' } })).toBe(0);
    const audits = await db.auditEntry.findMany({ where: { orgId, action: 'member.chat_link' } });
    expect(audits.map((a) => a.actor).sort()).toEqual([`teams:${TEAM_TENANT}/aad-frank (verified email)`, `teams:${TEAM_TENANT}/aad-gina (verified email)`]);
    // The roster is read once per install (each team install reads it: it also gives the members' Teams user ids).
    expect(h.connector.of('member', (c) => c.path.endsWith('/pagedmembers') && decodeURIComponent(c.path).includes('general2@'))).toHaveLength(1);
  });

  it('reaches an admin after a team-only install by the Teams user id the roster gave, where a chat by object id is refused', async () => {
    const db = scratch.db.prisma;
    // Frank (an admin, linked from the roster above) has the app only through the team.
    h.connector.withoutPersonalApp(['aad-frank']);
    const until = Date.now() + 20_000;
    while (!(await db.teamsConversation.findUnique({ where: { orgId_aadObjectId: { orgId, aadObjectId: 'roster:aad-frank' } } }))) {
      if (Date.now() > until) throw new Error("the roster's ids were not kept");
      await new Promise((r) => setTimeout(r, 50));
    }
    const frank = await db.member.findUniqueOrThrow({ where: { orgId_externalId: { orgId, externalId: 'frank' } } });
    await h.bot.notifier.alert(alert('For Frank'), [personOf(frank)]);
    const [created] = await h.connector.waitFor('create', (c) => c.body.members[0].id === '29:frank');
    expect(created!.body).toMatchObject({ isGroup: false, tenantId: TEAM_TENANT });
    const [sent] = await h.connector.waitFor('send', (c) => textOf(h.connector.cardOf(c)).includes('For Frank'));
    expect(sent!.conversationId).toBe(personalConversationId('29:frank'));
    // Nobody outside the org is kept, and nothing was tried by his object id.
    expect(await db.teamsConversation.count({ where: { orgId, aadObjectId: 'roster:aad-other' } })).toBe(0);
    expect(h.connector.of('create', (c) => c.body.members[0].id === 'aad-frank')).toHaveLength(0);
  });

  it('forgets it when the app is removed from the team, and reports it again once', async () => {
    // The owner's chat is stored now, so their tenant stays known through it: drop it to see the install alone.
    await scratch.db.prisma.teamsConversation.deleteMany({ where: { orgId, aadObjectId: { not: `install:${TEAM_TENANT}` } } });
    const removal = {
      type: 'installationUpdate', action: 'remove', id: 'install-2', channelId: 'msteams', serviceUrl: h.connector.url,
      from: { id: USERS.admin.id, aadObjectId: USERS.admin.aadObjectId }, recipient: BOT,
      conversation: { id: '19:general@thread.tacv2', conversationType: 'channel', tenantId: TEAM_TENANT, isGroup: true },
      channelData: { tenant: { id: TEAM_TENANT } },
    };
    expect((await h.post(removal)).status).toBe(200);
    expect(await h.bot.health()).toEqual({ tenantUnknown: ['acme'] });
    expect(await h.bot.health()).toEqual({ tenantUnknown: ['acme'] });
    expect(unknownLines()).toHaveLength(2);

    // Adding the bot to a conversation (conversationUpdate) teaches it as well.
    const added = { ...removal, type: 'conversationUpdate', id: 'install-3', action: undefined, membersAdded: [{ id: BOT.id }] };
    expect((await h.post(added)).status).toBe(200);
    expect(await h.bot.health()).toEqual({ tenantUnknown: [] });
  });

  it('names on /health, and tells the operator and the owners once, who Teams refused a chat with and why; kept over a restart', async () => {
    // The admin has no app of their own and no roster id: Teams refuses a chat by object id.
    h.connector.withoutPersonalApp([USERS.admin.aadObjectId]);
    const admin = await scratch.db.prisma.member.findUniqueOrThrow({ where: { orgId_externalId: { orgId, externalId: 'admin-1' } } });
    await h.bot.notifier.alert(alert('For the admin'), [personOf(admin)]);
    await h.bot.notifier.alert(alert('For the admin again'), [personOf(admin)]);
    const health = await h.bot.health();
    expect(health.unreachable).toEqual([{ org: 'acme', member: 'Adam Admin', reason: expect.stringContaining('the app is not installed for them'), since: expect.any(String) }]);
    expect(h.logs.filter((l) => l.includes('OPERATOR ACTION: cannot reach Adam Admin'))).toHaveLength(1);
    expect(h.connector.of('send', (c) => textOf(h.connector.cardOf(c)).includes('For the admin'))).toHaveLength(0);

    // The owner reads it in their own chat, in words, once (two sends missed the admin).
    const told = h.connector.of('send', (c) => String(c.body?.text ?? '').startsWith('I cannot reach Adam Admin'));
    expect(told).toHaveLength(1);
    expect(told[0]!.conversationId).toBe(personalConversationId(USERS.owner.aadObjectId));
    expect(told[0]!.body.text).toContain('the app is not installed for them. Add the app to a team they belong to');
    expect(told[0]!.body.text).toContain('Until then they get no request cards, reminders and digests here.');

    // A restart keeps it: /health still names them, and neither the operator nor the owners are told again.
    const restarted = await startTeamsHarness(scratch.db.prisma, requests, { connector: h.connector });
    try {
      await restarted.bot.notifier.alert(alert('For the admin after a restart'), [personOf(admin)]);
      expect((await restarted.bot.health()).unreachable).toEqual(health.unreachable);
      expect(restarted.logs.filter((l) => l.includes('OPERATOR ACTION: cannot reach Adam Admin'))).toHaveLength(0);
      expect(h.connector.of('send', (c) => String(c.body?.text ?? '').startsWith('I cannot reach Adam Admin'))).toHaveLength(1);
    } finally {
      await restarted.close();
    }
  });

  it('forgets it once a chat with them works again, and says so', async () => {
    h.connector.allowPersonalApp([USERS.admin.aadObjectId]);
    const admin = await scratch.db.prisma.member.findUniqueOrThrow({ where: { orgId_externalId: { orgId, externalId: 'admin-1' } } });
    await h.bot.notifier.alert(alert('The admin is back'), [personOf(admin)]);
    await h.connector.waitFor('send', (c) => textOf(h.connector.cardOf(c)).includes('The admin is back'));
    expect((await h.bot.health()).unreachable).toBeUndefined();
    expect(h.logs.some((l) => l.includes('Adam Admin') && l.includes('can be reached again'))).toBe(true);
  });

  it('does not keep naming someone who has left the org', async () => {
    const db = scratch.db.prisma;
    const carol = await db.member.create({ data: { orgId, externalId: 'carol-left', name: 'Carol Left', role: 'admin', seatTier: 'standard', teamsUserId: 'aad-carol-left' } });
    h.connector.withoutPersonalApp(['aad-carol-left']);
    await h.bot.notifier.alert(alert('For Carol'), [personOf(carol)]);
    expect((await h.bot.health()).unreachable?.map((u) => u.member)).toContain('Carol Left');
    await db.member.update({ where: { id: carol.id }, data: { removedAt: new Date(), teamsUserId: null } });
    expect((await h.bot.health()).unreachable?.map((u) => u.member) ?? []).not.toContain('Carol Left');
  });
});
