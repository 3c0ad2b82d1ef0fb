// Emails that point at the console sign their recipient in (issue 10's missing piece):
// each recipient's copy carries a single-use link minted for them (audited as issued
// by "email"), going through /signin?token=…&next=<page>; opened in Chromium, the
// confirm button signs them in and lands on the request. Chat's `signin` answer
// names the console URL too.
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestView } from '../../src/ledger/requests/requests.js';
import { EmailNotifier } from '../../src/notify/email.js';
import { digestEmail } from '../../src/notify/email-format.js';
import { personOf } from '../../src/ledger/settings/people.js';
import { emailSignInTokens, handOutSignInLink } from '../../src/services/sign-in.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc } from '../support/fixtures.js';
import { consoleHarness, type ConsoleHarness } from './support.js';

let scratch: Scratch;
let h: ConsoleHarness;
let smtp: SMTPServer;
let smtpUrl: string;
const received: { to: string[]; mail: ParsedMail }[] = [];
let orgId: string;

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream).then((mail) => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), mail });
        callback();
      }).catch(callback);
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  smtpUrl = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;
  scratch = await migrated(scratchPglite);
  h = await consoleHarness(scratch.db.prisma, new Date());
  const doc = enterpriseDoc();
  await h.provision('acme', { ...doc, members: doc.members.map((m) => ({ ...m, email: `${m.externalId}@acme.test` })) });
  orgId = (await scratch.db.prisma.organization.findUniqueOrThrow({ where: { slug: 'acme' } })).id;
}, 60_000);
afterAll(async () => {
  await h?.shutdown();
  await scratch?.dispose();
  await new Promise<void>((resolve) => smtp?.close(() => resolve()));
});

const member = (externalId: string) => scratch.db.prisma.member.findFirstOrThrow({ where: { orgId, externalId } });

/** A pending request, as the request workflow would have opened it. */
async function requestOf(externalId: string) {
  const m = await member(externalId);
  const row = await scratch.db.prisma.extraUsageRequest.create({
    data: { orgId, memberId: m.id, workflowId: `wf-${externalId}`, runId: `run-${externalId}`, openForMember: m.id, seatTierAtRequest: m.seatTier, note: 'release week', requestedAt: new Date(Date.now() - 3_600_000) },
  });
  return requestView(scratch.db.prisma, row.id);
}

describe('links in emails', () => {
  it('formats every console link through /signin with the token and the page to land on', () => {
    const links = digestEmail({ orgId: 'org-1', orgName: 'Acme', at: new Date().toISOString(), requests: [] }, { publicUrl: 'https://usage.acme.test/', signInToken: 'T0K', now: new Date() });
    expect(links.text).toContain(`https://usage.acme.test/signin?token=T0K&next=${encodeURIComponent('/requests?orgId=org-1')}`);
  });

  it('sends each admin their own copy whose link signs them in once and opens the request', async () => {
    const view = await requestOf('alice');
    const [olivia, adam] = [await member('owner-1'), await member('admin-1')];
    const email = new EmailNotifier({ transport: smtpUrl, from: 'Extra usage <eu@acme.test>', publicUrl: h.base, signInToken: emailSignInTokens(scratch.db.prisma) });
    try {
      await email.requestOpened(view, [personOf(olivia), personOf(adam)]);
    } finally {
      email.close();
    }
    expect(received.map((r) => r.to)).toEqual([['owner-1@acme.test'], ['admin-1@acme.test']]);
    const linkIn = (mail: ParsedMail) => /decide: (\S+)/.exec(mail.text ?? '')?.[1];
    const [oliviaLink, adamLink] = received.map((r) => linkIn(r.mail)!);
    expect(oliviaLink).toMatch(new RegExp(`^${h.base}/signin\\?token=[A-Za-z0-9_-]{43}&next=${encodeURIComponent(`/requests/${view.requestId}`)}$`));
    expect(oliviaLink).not.toBe(adamLink);
    // The HTML part carries the same link as its "Decide" button.
    expect(received[0]!.mail.html).toContain(oliviaLink!.replace(/&/g, '&amp;'));
    const issued = await scratch.db.prisma.auditEntry.findMany({ where: { orgId, action: 'sign_in_link.issue' } });
    expect(issued.map((a) => a.actor)).toEqual(['email', 'email']);

    const context = await h.browser.newContext();
    const page = await context.newPage();
    await page.goto(oliviaLink!);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${h.base}/requests/${view.requestId}`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Request from Alice');
    expect(await page.getByText('release week').count()).toBe(1);
    const used = await scratch.db.prisma.auditEntry.findFirstOrThrow({ where: { orgId, action: 'sign_in_link.use' } });
    expect(used.actor).toContain('(owner-1)');
    await context.close();
  });

  it('mints nothing for an email without console links (the outcome, to the requester)', async () => {
    received.length = 0;
    const view = { ...(await requestOf('bob')), status: 'denied' as const, decision: 'deny' as const };
    const before = await scratch.db.prisma.signInLink.count();
    const email = new EmailNotifier({ transport: smtpUrl, from: 'Extra usage <eu@acme.test>', publicUrl: h.base, signInToken: emailSignInTokens(scratch.db.prisma) });
    try {
      await email.requestClosed(view);
    } finally {
      email.close();
    }
    expect(received.map((r) => r.to)).toEqual([['bob@acme.test']]);
    expect(await scratch.db.prisma.signInLink.count()).toBe(before);
  });
});

describe('chat sign-in', () => {
  it('answers with the console URL, which signs the member in', async () => {
    const alice = await member('alice');
    const link = await handOutSignInLink(scratch.db.prisma, { orgId, memberId: alice.id, channel: 'slack', publicUrl: h.base });
    expect(link.instructions).toContain(`Web console: open ${h.base}/signin?token=${link.token}`);
    const context = await h.browser.newContext();
    const page = await context.newPage();
    await page.goto(link.url);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${h.base}/me`);
    await context.close();
  });
});
