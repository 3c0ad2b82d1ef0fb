// Owners' alerts in a team channel, through the real adapter: an owner writes
// "@Extra usage alerts here" in a channel (audited); owners' alerts are then posted
// there once per notice as well as in each owner's personal chat; a member's own
// alert never is; admins cannot choose the channel; "alerts off" stops it; nothing
// personal is ever posted in a channel.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownersOf } from '../../../src/ledger/settings/people.js';
import type { AlertView, Person } from '../../../src/notify/port.js';
import type { RequestService } from '../../../src/services/requests.js';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import { provision } from '../../support/ledger.js';
import { personalConversationId } from '../../support/teams-connector.js';
import { BOT, buttonsOf, startTeamsHarness, teamsEnterpriseDoc, TENANT, textOf, USERS, type TeamsHarness, type TeamsUser } from '../../support/teams-harness.js';

let scratch: Scratch;
let h: TeamsHarness;
let acme: Awaited<ReturnType<typeof provision>>;
const requests = {} as RequestService;
const CHANNEL = '19:finance@thread.tacv2';
let seq = 0;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  acme = await provision(scratch.db.prisma, 'acme', teamsEnterpriseDoc());
  h = await startTeamsHarness(scratch.db.prisma, requests);
});
afterAll(async () => {
  await h?.close();
  await scratch?.dispose();
});

/** A message in the Finance channel, in a thread of its own (as Teams sends a channel post). */
const inChannel = (user: TeamsUser, text: string) =>
  h.post({
    type: 'message', id: `ch-${++seq}`, channelId: 'msteams', serviceUrl: h.connector.url, text: `<at>Extra usage</at> ${text}`,
    from: { id: user.id, name: user.name, aadObjectId: user.aadObjectId }, recipient: BOT,
    conversation: { id: `${CHANNEL};messageid=${1000 + seq}`, conversationType: 'channel', isGroup: true, tenantId: TENANT },
    channelData: { tenant: { id: TENANT }, team: { id: '19:team@thread.tacv2', name: 'Acme' }, channel: { id: CHANNEL, name: 'Finance' } },
  });
const replies = () => h.connector.of('send', (c) => c.conversationId?.startsWith(`${CHANNEL};messageid=`) ?? false);
const lastReply = async (n: number) => (await h.connector.waitFor('send', (c) => c.conversationId?.startsWith(`${CHANNEL};messageid=`) ?? false, n))[n - 1]!.body.text as string;
const channelPosts = () => h.connector.of('send', (c) => c.conversationId === CHANNEL);
const orgAlert = (title: string): AlertView => ({ kind: 'org_cap_threshold', orgId: acme.orgId, orgName: 'Acme', title, text: 'Extra usage is at 80% of the organisation cap.', facts: { Threshold: '80%', Spent: '$800.00' } });

describe('owners\' alerts in a team channel', () => {
  it('refuses an admin, and posts nothing personal in a channel', async () => {
    await inChannel(USERS.admin, 'alerts here');
    expect(await lastReply(1)).toContain('Only owners of Acme can choose where its alerts go. Nothing was changed.');
    await inChannel(USERS.alice, 'usage');
    expect(await lastReply(2)).toContain('write to me in a personal chat');
    expect(replies().every((c) => !c.body.attachments?.length)).toBe(true);
    expect(await scratch.db.prisma.teamsConversation.count({ where: { orgId: acme.orgId, aadObjectId: 'channel:alerts' } })).toBe(0);
    expect(await scratch.db.prisma.auditEntry.count({ where: { orgId: acme.orgId, action: 'alerts.teams_channel.set' } })).toBe(0);
  });

  it('lets an owner choose the channel (audited); owners\' alerts are then posted there once per notice', async () => {
    await inChannel(USERS.owner, 'alerts here');
    expect(await lastReply(3)).toContain("Done: owners' alerts of Acme are posted here too");
    const audit = await scratch.db.prisma.auditEntry.findFirstOrThrow({ where: { orgId: acme.orgId, action: 'alerts.teams_channel.set' } });
    expect(audit).toMatchObject({ actor: expect.stringContaining('(owner-1)'), before: { channel: null }, after: { channel: 'Finance' } });

    const owners = await ownersOf(scratch.db.prisma, acme.orgId);
    await h.bot.notifier.alert(orgAlert('Acme used 80% of its monthly extra usage cap'), owners, { deliveryKey: 'alert:k-1' });
    const [post] = await h.connector.waitFor('send', (c) => c.conversationId === CHANNEL);
    expect(textOf(h.connector.cardOf(post!))).toContain('Acme used 80% of its monthly extra usage cap');
    expect(buttonsOf(h.connector.cardOf(post!))).toEqual(['Adjust limit']);
    await h.connector.waitFor('send', (c) => c.conversationId === personalConversationId(USERS.owner.aadObjectId) && textOf(h.connector.cardOf(c)).includes('80%'));
    // The same notice again (a retry): not posted twice.
    await h.bot.notifier.alert(orgAlert('Acme used 80% of its monthly extra usage cap'), owners, { deliveryKey: 'alert:k-1' });
    expect(channelPosts()).toHaveLength(1);
  });

  it('never posts a member\'s own alert there', async () => {
    const alice = await acme.member('alice');
    const person: Person = { memberId: alice.id, externalId: 'alice', name: 'Alice', role: 'member', seatTier: 'standard', email: null, slackUserId: null, teamsUserId: USERS.alice.aadObjectId };
    await h.bot.notifier.alert({ kind: 'member_cap_reached', orgId: acme.orgId, orgName: 'Acme', title: 'You reached your extra usage cap', text: 'Paused until the month ends.', facts: {}, member: person }, [person], { deliveryKey: 'alert:k-2' });
    await h.connector.waitFor('send', (c) => c.conversationId === personalConversationId(USERS.alice.aadObjectId));
    expect(channelPosts()).toHaveLength(1);
  });

  it('"alerts off" stops it (audited); later alerts reach owners\' chats only', async () => {
    await inChannel(USERS.owner, 'alerts off');
    expect(await lastReply(4)).toContain('no longer posted to a channel');
    const entries = await scratch.db.prisma.auditEntry.findMany({ where: { orgId: acme.orgId, action: 'alerts.teams_channel.set' }, orderBy: { id: 'asc' } });
    expect(entries.map((e) => e.after)).toEqual([{ channel: 'Finance' }, { channel: null }]);
    const ownerChat = () => h.connector.of('send', (c) => c.conversationId === personalConversationId(USERS.owner.aadObjectId)).length;
    const before = ownerChat();
    await h.bot.notifier.alert(orgAlert('Acme used 100% of its monthly extra usage cap'), await ownersOf(scratch.db.prisma, acme.orgId), { deliveryKey: 'alert:k-3' });
    await h.connector.waitFor('send', (c) => c.conversationId === personalConversationId(USERS.owner.aadObjectId), before + 1);
    expect(channelPosts()).toHaveLength(1);
  });
});
