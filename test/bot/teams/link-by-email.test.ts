// Linking by email through the real adapter: a Teams user no member is linked to is
// looked up in the tenant's roster (TeamsInfo.getMember against the Bot Connector
// stand-in); the member with that email is linked to them (audited) and served at
// once. No match, no email, or a member the operator's document already links to
// another Teams account: the "not linked" card, written for the employee.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestService } from '../../../src/services/requests.js';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import { provision } from '../../support/ledger.js';
import { personalConversationId } from '../../support/teams-connector.js';
import { startTeamsHarness, teamsEnterpriseDoc, textOf, type TeamsHarness, type TeamsUser } from '../../support/teams-harness.js';

let scratch: Scratch;
let h: TeamsHarness;
let acme: Awaited<ReturnType<typeof provision>>;
const requests = {} as RequestService;

const DANA: TeamsUser = { id: '29:dana', aadObjectId: 'aad-dana', name: 'Dana' };
const ERIN: TeamsUser = { id: '29:erin', aadObjectId: 'aad-erin', name: 'Erin' };
const NOBODY: TeamsUser = { id: '29:nobody', aadObjectId: 'aad-nobody', name: 'No Body' };
const NOMAIL: TeamsUser = { id: '29:nomail', aadObjectId: 'aad-nomail', name: 'No Mail' };

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  const doc = teamsEnterpriseDoc();
  acme = await provision(scratch.db.prisma, 'acme', {
    ...doc,
    members: [
      ...doc.members,
      { externalId: 'dana', name: 'Dana', role: 'member', seatTier: 'standard', email: 'dana@acme.example' },
      // The document links Erin to another Teams account: it wins.
      { externalId: 'erin', name: 'Erin', role: 'member', seatTier: 'standard', email: 'erin@acme.example', teamsUserId: 'aad-erin-other' },
    ],
  });
  h = await startTeamsHarness(scratch.db.prisma, requests);
  const roster = (u: TeamsUser, extra: Record<string, unknown>) => h.connector.setMember(u.id, { id: u.id, name: u.name, aadObjectId: u.aadObjectId, ...extra });
  roster(DANA, { email: 'Dana@Acme.example', userPrincipalName: 'dana@acme.example' });
  roster(ERIN, { email: 'erin@acme.example' });
  roster(NOBODY, { email: 'nobody@elsewhere.example' });
  roster(NOMAIL, {});
});
afterAll(async () => {
  await h?.close();
  await scratch?.dispose();
});

const replyTo = async (u: TeamsUser, n = 1) => {
  const sent = await h.connector.waitFor('send', (c) => c.conversationId === personalConversationId(u.aadObjectId), n);
  return textOf(h.connector.cardOf(sent[n - 1]!));
};

describe('linking Teams users by the email of their roster entry', () => {
  it('links the member with that email (case-insensitively) on their first message, audited, and shows their usage', async () => {
    await h.message(DANA, 'usage');
    const text = await replyTo(DANA);
    expect(text).toContain('Your usage');
    expect(text).toContain('Dana · Acme');
    expect(h.connector.of('member', (c) => c.path.endsWith(`/members/${encodeURIComponent(DANA.id)}`))).toHaveLength(1);
    expect((await acme.member('dana')).teamsUserId).toBe(DANA.aadObjectId);
    const audit = await scratch.db.prisma.auditEntry.findFirstOrThrow({ where: { orgId: acme.orgId, action: 'member.chat_link' } });
    expect(audit).toMatchObject({ subject: `member:${(await acme.member('dana')).id}`, actor: 'teams:tenant-acme/aad-dana (verified email)', after: { teamsUserId: DANA.aadObjectId, by: 'verified_email' } });
    // Linked now: the next activity needs no roster call.
    await h.message(DANA, 'usage');
    await replyTo(DANA, 2);
    expect(h.connector.of('member', (c) => c.path.endsWith(`/members/${encodeURIComponent(DANA.id)}`))).toHaveLength(1);
  });

  it('links on a card click too (an invoke), answering with the card asked for', async () => {
    h.connector.setMember('29:dana2', { id: '29:dana2', aadObjectId: 'aad-dana2', email: 'dana2@acme.example' });
    await scratch.db.prisma.member.create({ data: { orgId: acme.orgId, externalId: 'dana2', name: 'Dana Two', role: 'member', seatTier: 'standard', email: 'dana2@acme.example' } });
    const card = h.cardOf(await h.invoke({ id: '29:dana2', aadObjectId: 'aad-dana2', name: 'Dana Two' }, 'usage.show', { verb: 'usage.show' }));
    expect(textOf(card)).toContain('Dana Two · Acme');
    expect((await acme.member('dana2')).teamsUserId).toBe('aad-dana2');
  });

  it('does not move a member the document links to another Teams account', async () => {
    await h.message(ERIN, 'usage');
    const text = await replyTo(ERIN);
    expect(text).toContain('not linked');
    expect(text).toContain('No member of Acme has the email erin@acme.example');
    expect((await acme.member('erin')).teamsUserId).toBe('aad-erin-other');
  });

  it('tells someone whose email matches nobody, or who has none, what to ask an owner, with no operator API in it', async () => {
    await h.message(NOBODY, 'usage');
    const nobody = await replyTo(NOBODY);
    expect(nobody).toContain('No member of Acme has the email nobody@elsewhere.example');
    expect(nobody).toContain('Ask an owner of Acme to add you with that address');
    expect(nobody).not.toContain('/v1/operator');
    await h.message(NOMAIL, 'usage');
    const nomail = await replyTo(NOMAIL);
    expect(nomail).toContain('Microsoft Teams did not give an email address for your account');
    expect(nomail).not.toContain('/v1/operator');
    expect(await scratch.db.prisma.member.count({ where: { orgId: acme.orgId, teamsUserId: { in: [NOBODY.aadObjectId, NOMAIL.aadObjectId] } } })).toBe(0);
  });
});
