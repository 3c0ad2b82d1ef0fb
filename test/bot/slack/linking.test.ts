// First contact from a Slack user nobody linked: the real Bolt app asks Slack for the
// user's email (users.info, users:read.email) and links them to the one member with
// that address, so /usage answers at once; otherwise it says what to do, naming the
// member list's keeper, never an admin in Slack (who cannot link anyone).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import { provision } from '../../support/ledger.js';
import { noRequests, slackEnterpriseDoc, startSlackHarness, USERS, type SlackHarness } from '../../support/slack-harness.js';

let scratch: Scratch;
let h: SlackHarness;
let orgId: string;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  const doc = slackEnterpriseDoc();
  // Dana and Erin are listed by email only; Olivia (owner) has the document's Slack id.
  doc.members.push(
    { externalId: 'dana', name: 'Dana', role: 'member', seatTier: 'standard', email: 'Dana@Example.com', slackUserId: null } as never,
    { externalId: 'erin', name: 'Erin', role: 'admin', seatTier: 'standard', email: 'erin@example.com', slackUserId: null } as never,
  );
  doc.members = doc.members.map((m) => (m.externalId === 'owner-1' ? { ...m, email: 'olivia@example.com' } : m));
  ({ orgId } = await provision(scratch.db.prisma, 'acme', doc));
  h = await startSlackHarness(scratch.db.prisma, noRequests());
});
afterAll(async () => {
  h?.expectWithinLimits();
  await h?.close();
  await scratch?.dispose();
});

const member = (externalId: string) => scratch.db.prisma.member.findUniqueOrThrow({ where: { orgId_externalId: { orgId, externalId } } });
async function usage(user: string) {
  const { responseUrl } = await h.command(user);
  const [reply] = await h.api.waitFor('response_url', (c) => responseUrl.endsWith(c.args.url));
  return JSON.stringify(reply!.args.blocks);
}

describe('Slack users linked by their Slack email', () => {
  it('links a listed member on their first /usage and answers with their usage', async () => {
    h.api.users.set('U_DANA', { profile: { email: 'dana@example.com' }, is_email_confirmed: true });
    const text = await usage('U_DANA');
    expect(text).toContain('Your monthly limit');
    expect(text).not.toContain('not linked');
    expect((await member('dana')).slackUserId).toBe('U_DANA');
    const audit = await scratch.db.prisma.auditEntry.findFirstOrThrow({ where: { orgId, action: 'member.chat_link' } });
    expect(audit).toMatchObject({ actor: 'slack:U_DANA (email verified by Slack)', after: { slackUserId: 'U_DANA', by: 'verified_email' } });
    // Known from now on: Slack is not asked again.
    const asked = h.api.of('users.info').filter((c) => c.args.user === 'U_DANA').length;
    await usage('U_DANA');
    expect(h.api.of('users.info').filter((c) => c.args.user === 'U_DANA')).toHaveLength(asked);
  });

  it('links an admin who opens the Home first, with the Requests tab their stored role gives', async () => {
    h.api.users.set('U_ERIN', { profile: { email: 'ERIN@example.com' } });
    await h.openHome('U_ERIN');
    const [home] = await h.api.waitFor('views.publish', (c) => c.args.user_id === 'U_ERIN');
    expect(JSON.stringify(home!.args.view.blocks)).toContain('Requests');
    expect((await member('erin')).slackUserId).toBe('U_ERIN');
  });

  it('tells someone whose email matches nobody which address to have listed, and by whom', async () => {
    h.api.users.set('U_FRANK', { profile: { email: 'frank@example.com' } });
    const text = await usage('U_FRANK');
    expect(text).toContain('not linked to a member of *Acme*');
    expect(text).toContain('frank@example.com');
    expect(text).toContain("member list");
    expect(text).not.toMatch(/ask an admin/i);
    expect(text).toContain('U_FRANK');
  });

  it('links nobody on an unconfirmed address, a bot, a Slack Connect guest or an address the document gave another Slack id', async () => {
    h.api.users.set('U_UNCONFIRMED', { profile: { email: 'dana@example.com' }, is_email_confirmed: false });
    h.api.users.set('U_OTHER_ORG', { team_id: 'T_ELSEWHERE', profile: { email: 'olivia@example.com' } });
    h.api.users.set('U_BOTTY', { is_bot: true, profile: { email: 'olivia@example.com' } });
    h.api.users.set('U_TWIN', { profile: { email: 'olivia@example.com' } });
    for (const user of ['U_UNCONFIRMED', 'U_OTHER_ORG', 'U_BOTTY', 'U_TWIN']) expect(await usage(user)).toContain('not linked');
    expect((await member('owner-1')).slackUserId).toBe(USERS.owner);
    expect(await scratch.db.prisma.member.count({ where: { orgId, slackUserId: { in: ['U_UNCONFIRMED', 'U_OTHER_ORG', 'U_BOTTY', 'U_TWIN'] } } })).toBe(0);
  });

  it('says what to do when Slack shares no email (the users:read.email scope not granted)', async () => {
    h.api.failNext('users.info', 'missing_scope');
    const text = await usage('U_NOSCOPE');
    expect(text).toContain('did not share a confirmed email');
    expect(text).toContain('U_NOSCOPE');
    expect(text).not.toMatch(/ask an admin/i);
  });
});
