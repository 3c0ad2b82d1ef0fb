// The inbox end to end on a real Temporal dev server and PGlite, in Chromium: a member
// asks for extra usage in the console while chat is down (the notices' activities fail
// and are retried), each admin's inbox gets the request once, the header counts what
// is unread and the Inbox page marks it read when seen; an owner denies, and the
// member's inbox says who decided, the reason and when they may ask again, in the
// org's time. What the member and the owner are promised names only channels that
// reach the member: none here, Slack and email where the service has them.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { formatWhen } from '../../src/domain/display.js';
import type { Notifier } from '../../src/notify/port.js';
import { ledgerOnlyPayments } from '../../src/payments/port.js';
import { requestService } from '../../src/services/requests.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, harness, HAIKU, OPERATOR_TOKEN, usageOfCents, type Harness } from '../support/fixtures.js';
import { recordingNotifier } from '../support/recording-notifier.js';
import { devServerEnv, testWorker } from '../support/temporal.js';
import { consoleHarness, screenshot, seriousViolations, submitAndLand, type ConsoleHarness } from './support.js';

const HOUR = 3_600_000;
let env: TestWorkflowEnvironment;
let scratch: Scratch;
let worker: Awaited<ReturnType<typeof testWorker>>;
/** The console of a service with no chat app and no email. */
let h: ConsoleHarness;
/** The API of a service with Slack and email set up, on the same database. */
let withChat: Harness;
let orgId: string;

// Chat is down for the first two sends of each request notice: the activity is retried.
const rec = recordingNotifier();
const attempts = { requestOpened: 0, requestClosed: 0 };
const notifier: Notifier = {
  ...rec,
  async requestOpened(r, to, o) {
    if (++attempts.requestOpened <= 2) throw new Error('1 of 2 notification channel(s) failed (slack)');
    await rec.requestOpened(r, to, o);
  },
  async requestClosed(r, to, o) {
    if (++attempts.requestClosed <= 2) throw new Error('1 of 2 notification channel(s) failed (slack)');
    await rec.requestClosed(r, to, o);
  },
};

beforeAll(async () => {
  env = await devServerEnv();
  scratch = await migrated(scratchPglite);
  const db = scratch.db.prisma;
  worker = await testWorker(env, { db, notifier, payments: ledgerOnlyPayments(db), now: () => new Date(), cooldownAfterDenialMs: 24 * HOUR });
  const requests = requestService({ db, client: env.client, taskQueue: worker.taskQueue, timings: { remindAfterMs: 24 * HOUR, expireAfterMs: 7 * 24 * HOUR, cooldownAfterDenialMs: 24 * HOUR }, now: () => new Date() });
  h = await consoleHarness(db, new Date(), { requests, requestCooldownAfterDenialMs: 24 * HOUR });
  withChat = await harness(db, new Date(), { requests, requestCooldownAfterDenialMs: 24 * HOUR, console: { signInWays: { slack: true, teams: false, email: true } } });
  const doc = enterpriseDoc({ extraUsage: { enabled: true, scope: 'selected_members' } });
  // Adam is linked to Slack and has an address; Alice has neither.
  doc.members = doc.members.map((m) => (m.externalId === 'admin-1' ? { ...m, slackUserId: 'U_ADAM', email: 'adam@acme.example' } : m));
  await h.provision('acme', doc);
  const key = await h.issueKey('acme', ['usage']);
  orgId = (await db.organization.findUniqueOrThrow({ where: { slug: 'acme' } })).id;
  for (const ref of ['alice', 'admin-1']) {
    const res = await h.call('POST', '/v1/usage/record', { token: key, body: { requestId: `seat-${ref}`, member: ref, model: HAIKU, usage: usageOfCents(100) } });
    expect(res.status).toBe(200);
  }
}, 120_000);
afterAll(async () => {
  await withChat?.close();
  await h?.shutdown();
  await worker?.stop();
  await scratch?.dispose();
  await env?.teardown();
});

const db = () => scratch.db.prisma;
const member = (ref: string) => db().member.findFirstOrThrow({ where: { orgId, externalId: ref } });
const unreadOf = async (ref: string) => db().inboxEntry.count({ where: { memberId: (await member(ref)).id, readAt: null } });
/** The header's "(n new)", or null when nothing is unread. */
const headerCount = async (page: Page) => ((await page.getByTestId('unread-count').count()) ? page.getByTestId('unread-count').textContent() : null);

describe('the inbox in the console', () => {
  it('a request reaches each admin\'s inbox once although chat was down; read when seen; the denial reaches the member\'s', { timeout: 120_000 }, async () => {
    // No chat or email here: Alice is promised the console only.
    const alice = await h.signedIn('acme', 'alice', '/me');
    await alice.page.getByRole('button', { name: 'Request extra usage' }).click();
    await expect.poll(() => alice.page.getByTestId('request-sent').textContent()).toContain('Request sent to admin');
    const sent = await alice.page.getByTestId('request-sent').textContent();
    expect(sent).toBe("Request sent to admin. You'll see the answer in your Inbox in the console (no chat or email is set up for you).");
    expect(sent).not.toMatch(/chat or by email|Slack/);
    const request = await db().extraUsageRequest.findFirstOrThrow({ where: { orgId, memberId: (await member('alice')).id } });

    // Sent after two failed attempts; the inbox kept it at the first, and once.
    await rec.waitFor('requestOpened', 1, 60_000);
    expect(attempts.requestOpened).toBe(3);
    for (const ref of ['owner-1', 'admin-1']) {
      const entries = await db().inboxEntry.findMany({ where: { memberId: (await member(ref)).id, link: `/requests/${request.id}` } });
      expect(entries.map((e) => [e.kind, e.title])).toEqual([['request_opened', 'Alice asks for extra usage']]);
    }
    // Nobody decides their own request: Alice's inbox has nothing about it.
    expect(await unreadOf('alice')).toBe(0);

    // Olivia: the header counts it; the Inbox shows it as new and marks it read.
    const olivia = await h.signedIn('acme', 'owner-1', '/me');
    expect(await headerCount(olivia.page)).toBe(`(${await unreadOf('owner-1')} new)`);
    await olivia.page.getByRole('link', { name: /^Inbox/ }).click();
    await olivia.page.waitForURL((u) => u.pathname === '/inbox');
    const entry = olivia.page.getByTestId('inbox-entry').filter({ hasText: 'Alice asks for extra usage' });
    expect(await entry.getByTestId('new').count()).toBe(1);
    expect(await entry.textContent()).toContain('(Europe/Paris)');
    expect(await olivia.page.getByTestId('channels').textContent()).toContain('this Inbox is where they reach you');
    expect(await headerCount(olivia.page)).toBeNull();
    expect(await unreadOf('owner-1')).toBe(0);
    expect(await seriousViolations(olivia.page)).toEqual([]);
    await screenshot(olivia.page, 'inbox');
    await olivia.page.reload();
    expect(await olivia.page.getByTestId('new').count()).toBe(0);

    // Its link opens the request; Olivia denies it with a reason.
    await entry.getByRole('link', { name: 'Open the request' }).click();
    await olivia.page.waitForURL((u) => u.pathname === `/requests/${request.id}`);
    // Deny… opens its own confirmation page, where the reason is given.
    await olivia.page.getByRole('link', { name: 'Deny…' }).click();
    await olivia.page.waitForURL((u) => u.pathname === `/requests/${request.id}/deny`);
    await olivia.page.getByLabel(/Reason/).fill('The budget is spent this month');
    await submitAndLand(olivia.page, () => olivia.page.getByRole('button', { name: 'Deny request' }).click());
    expect(new URL(olivia.page.url()).pathname).toBe(`/requests/${request.id}`);
    expect(await olivia.page.getByTestId('decision-notice').textContent()).toBe('Denied. Alice sees it in their Inbox in the console (no chat or email reaches them).');
    expect(await olivia.page.locator(`[data-request="${request.id}"]`).getByTestId('decided').textContent()).toContain('Denied by Olivia Owner');
    await olivia.context.close();

    // Alice's inbox: who decided, the reason, when she may ask again, in Paris time.
    await rec.waitFor('requestClosed', 1, 60_000);
    expect(attempts.requestClosed).toBe(3);
    const decided = await db().extraUsageRequest.findUniqueOrThrow({ where: { id: request.id } });
    const closed = await db().inboxEntry.findMany({ where: { memberId: (await member('alice')).id } });
    expect(closed).toHaveLength(1);
    expect(closed[0]!.title).toBe('Your extra usage request was declined');
    expect(closed[0]!.body).toContain(`Declined by Olivia Owner on ${formatWhen(decided.decidedAt!, 'Europe/Paris')}. Reason given: "The budget is spent this month". You may ask again from ${formatWhen(new Date(decided.decidedAt!.getTime() + 24 * HOUR), 'Europe/Paris')}.`);
    await alice.page.reload();
    expect(await headerCount(alice.page)).toBe('(1 new)');
    await alice.page.goto(`${h.base}/inbox`);
    expect(await alice.page.getByTestId('inbox-entry').textContent()).toContain('Reason given: "The budget is spent this month"');
    expect(await headerCount(alice.page)).toBeNull();
    await alice.context.close();

    // Adam's entry about it says how it ended, as his chat copy would.
    const adams = await db().inboxEntry.findFirstOrThrow({ where: { memberId: (await member('admin-1')).id, link: `/requests/${request.id}` } });
    expect(adams.title).toBe("Alice's request was declined by Olivia Owner");
  });

  it('with Slack and email set up, the API promises the channels that reach the member, and only those', async () => {
    const session = async (ref: string) => {
      const link = await withChat.call('POST', '/v1/operator/orgs/acme/sign-in-links', { token: OPERATOR_TOKEN, body: { member: ref } });
      return (await withChat.call('POST', '/v1/sign-in', { body: { token: link.body.token } })).body.session as string;
    };
    const asked = await withChat.call('POST', '/v1/requests', { token: await session('admin-1'), body: { note: null } });
    expect(asked.status).toBe(202);
    expect(asked.body.message).toBe("Request sent to admin. You'll see the answer in your Inbox in the console, in Slack and by email.");
    const decided = await withChat.call('POST', `/v1/requests/${asked.body.requestId}/decision`, { token: await session('owner-1'), body: { decision: 'enable_extra_usage', cap: '10.00' } });
    expect(decided.status).toBe(200);
    expect(decided.body).toMatchObject({ status: 'approved', message: 'Adam Admin sees it in their Inbox in the console, in Slack and by email.' });
  });
});
