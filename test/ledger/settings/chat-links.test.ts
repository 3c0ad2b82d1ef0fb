// Linking chat users by the email their workspace verified (src/ledger/settings/chat-links.ts):
// exact and case-insensitive, never a pattern, audited, and the operator's document
// wins over a link (a member it gave a chat id keeps it; a held chat id never moves).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkChatUserByEmail } from '../../../src/ledger/settings/chat-links.js';
import { BACKENDS, migrated, type Scratch } from '../../support/databases.js';
import { harness, teamDoc, type Harness } from '../../support/fixtures.js';

describe.each(BACKENDS)('linking chat users by email on $kind', ({ open }) => {
  let scratch: Scratch;
  let h: Harness;
  beforeAll(async () => {
    scratch = await migrated(open);
    h = await harness(scratch.db.prisma);
  });
  afterAll(async () => {
    await h?.close();
    await scratch?.dispose();
  });
  const db = () => scratch.db.prisma;

  let n = 0;
  const members = [
    { externalId: 'owner-1', name: 'Olivia Owner', role: 'primary_owner', seatTier: 'standard', email: 'olivia@example.com', slackUserId: 'U_DOC' },
    { externalId: 'alice', name: 'Alice', role: 'member', seatTier: 'standard', email: 'Alice.Smith@Example.com' },
    { externalId: 'ab', name: 'A B', role: 'member', seatTier: 'standard', email: 'a_b@example.com' },
    { externalId: 'twin-1', name: 'Twin 1', role: 'member', seatTier: 'standard', email: 'shared@example.com' },
    { externalId: 'twin-2', name: 'Twin 2', role: 'member', seatTier: 'standard', email: 'SHARED@example.com' },
  ];
  async function org() {
    const slug = `links-${++n}`;
    const { orgId } = await h.provision(slug, teamDoc({ members: members as never }));
    const link = (channel: 'slack' | 'teams', chatUserId: string, email: string) => linkChatUserByEmail(db(), { orgId, channel, chatUserId, email, actor: `${channel}:${chatUserId} (verified email)` });
    const member = (externalId: string) => db().member.findUniqueOrThrow({ where: { orgId_externalId: { orgId, externalId } } });
    const audits = () => db().auditEntry.findMany({ where: { orgId, action: 'member.chat_link' }, orderBy: { id: 'asc' } });
    return { slug, orgId, link, member, audits };
  }

  it('links the one member with that address, whatever its case, and audits who linked', async () => {
    const o = await org();
    const linked = await o.link('slack', 'U_ALICE', 'alice.smith@example.COM');
    expect(linked?.externalId).toBe('alice');
    expect((await o.member('alice')).slackUserId).toBe('U_ALICE');
    const audits = await o.audits();
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ actor: 'slack:U_ALICE (verified email)', subject: `member:${linked!.id}`, before: { slackUserId: null }, after: { slackUserId: 'U_ALICE', by: 'verified_email' } });
    // Again (a second first contact): the same member, nothing new in the log.
    expect((await o.link('slack', 'U_ALICE', 'alice.smith@example.com'))?.externalId).toBe('alice');
    expect(await o.audits()).toHaveLength(1);
    // Teams is its own field.
    expect((await o.link('teams', '29:alice', 'ALICE.SMITH@example.com'))?.externalId).toBe('alice');
    expect(await o.member('alice')).toMatchObject({ slackUserId: 'U_ALICE', teamsUserId: '29:alice' });
  });

  it('never treats an address as a pattern', async () => {
    const o = await org();
    expect(await o.link('slack', 'U_X', 'axb@example.com')).toBeNull();
    expect(await o.link('slack', 'U_X', 'a%@example.com')).toBeNull();
    expect(await o.link('slack', 'U_X', '%')).toBeNull();
    expect((await o.member('ab')).slackUserId).toBeNull();
    expect((await o.link('slack', 'U_AB', 'a_b@example.com'))?.externalId).toBe('ab');
  });

  it('links nobody for an unknown address, a shared one, or a member who has left', async () => {
    const o = await org();
    expect(await o.link('slack', 'U_NEW', 'nobody@example.com')).toBeNull();
    expect(await o.link('slack', 'U_TWIN', 'shared@example.com')).toBeNull();
    expect((await o.member('twin-1')).slackUserId).toBeNull();
    expect((await o.member('twin-2')).slackUserId).toBeNull();
    await h.provision(o.slug, teamDoc({ members: members.filter((m) => m.externalId !== 'ab') as never }));
    expect(await o.link('slack', 'U_AB', 'a_b@example.com')).toBeNull();
    expect(await o.audits()).toEqual([]);
  });

  it('leaves the document in charge: a member it linked keeps their id, and a held id never moves', async () => {
    const o = await org();
    // Olivia's Slack id comes from the document: another Slack user with her address gets nothing.
    expect(await o.link('slack', 'U_IMPOSTOR', 'olivia@example.com')).toBeNull();
    expect((await o.member('owner-1')).slackUserId).toBe('U_DOC');
    // The document's chat id cannot be taken by a link to someone else.
    expect(await o.link('slack', 'U_DOC', 'alice.smith@example.com')).toBeNull();
    expect((await o.member('alice')).slackUserId).toBeNull();

    // A link survives the document being applied again unchanged...
    expect((await o.link('slack', 'U_ALICE', 'alice.smith@example.com'))?.externalId).toBe('alice');
    await h.provision(o.slug, teamDoc({ members: members as never }));
    expect((await o.member('alice')).slackUserId).toBe('U_ALICE');
    // ...and the document overrides it when it names another id.
    await h.provision(o.slug, teamDoc({ members: members.map((m) => (m.externalId === 'alice' ? { ...m, slackUserId: 'U_ALICE_2' } : m)) as never }));
    expect((await o.member('alice')).slackUserId).toBe('U_ALICE_2');
    expect(await o.audits()).toHaveLength(1);
  });

  it('links once when the same chat user makes first contact twice at the same moment', async () => {
    const o = await org();
    const both = await Promise.all([o.link('slack', 'U_RACE', 'alice.smith@example.com'), o.link('slack', 'U_RACE', 'alice.smith@example.com')]);
    expect(both.map((m) => m?.externalId)).toEqual(['alice', 'alice']);
    expect(await o.audits()).toHaveLength(1);
  });
});
