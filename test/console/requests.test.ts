// Requests through the console, end to end on a real Temporal dev server and PGlite:
// a member at their seat limit clicks "Request extra usage" and reads "Request sent to
// admin"; admins review it with who, seat, when and spend; an owner approves with a
// cap (a bad cap shown beside its field first, nothing changed) or denies with a
// reason on a confirmation page (a seat upgrade is confirmed too); nobody is offered, or allowed, a decision on their own request.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerOnlyPayments } from '../../src/payments/port.js';
import { requestService } from '../../src/services/requests.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, HAIKU, usageOfCents } from '../support/fixtures.js';
import { recordingNotifier } from '../support/recording-notifier.js';
import { devServerEnv, testWorker } from '../support/temporal.js';
import { consoleHarness, csrfOf, focusedId, screenshot, seriousViolations, submitAndLand, type ConsoleHarness } from './support.js';

const HOUR = 3_600_000;
let env: TestWorkflowEnvironment;
let scratch: Scratch;
let worker: Awaited<ReturnType<typeof testWorker>>;
let h: ConsoleHarness;
let orgId: string;
let key: string;
const notifier = recordingNotifier();

beforeAll(async () => {
  env = await devServerEnv();
  scratch = await migrated(scratchPglite);
  const db = scratch.db.prisma;
  worker = await testWorker(env, { db, notifier, payments: ledgerOnlyPayments(db), now: () => new Date() });
  const requests = requestService({ db, client: env.client, taskQueue: worker.taskQueue, timings: { remindAfterMs: 24 * HOUR, expireAfterMs: 7 * 24 * HOUR, cooldownAfterDenialMs: 24 * HOUR }, now: () => new Date() });
  h = await consoleHarness(db, new Date(), { requests, requestCooldownAfterDenialMs: 24 * HOUR });
  // Extra usage for selected members, nobody selected yet: a member at the seat limit may ask.
  await h.provision('acme', enterpriseDoc({ extraUsage: { enabled: true, scope: 'selected_members' } }));
  key = await h.issueKey('acme', ['usage']);
  orgId = (await db.organization.findUniqueOrThrow({ where: { slug: 'acme' } })).id;
  // Alice and Adam (both standard seats, $1.00 included) use up their seats.
  for (const ref of ['alice', 'admin-1']) {
    const res = await h.call('POST', '/v1/usage/record', { token: key, body: { requestId: `seat-${ref}`, member: ref, model: HAIKU, usage: usageOfCents(100) } });
    expect(res.status).toBe(200);
  }
}, 120_000);
afterAll(async () => {
  await h?.shutdown();
  await worker?.stop();
  await scratch?.dispose();
  await env?.teardown();
});

const db = () => scratch.db.prisma;
const member = (ref: string) => db().member.findFirstOrThrow({ where: { orgId, externalId: ref } });
const openRequestOf = async (ref: string) => db().extraUsageRequest.findFirstOrThrow({ where: { orgId, memberId: (await member(ref)).id, status: 'pending' } });

async function ask(ref: string) {
  const { context, page } = await h.signedIn('acme', ref, '/me');
  await page.getByLabel('Note for your admins (optional)').fill('release week');
  await page.getByRole('button', { name: 'Request extra usage' }).click();
  await expect.poll(() => page.getByTestId('request-sent').textContent()).toContain('Request sent to admin');
  return { context, page };
}

async function snapshot() {
  const [requests, members, audit] = await Promise.all([
    db().extraUsageRequest.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    db().member.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    db().auditEntry.count({ where: { orgId, NOT: { action: { startsWith: 'sign_in_link' } } } }),
  ]);
  return JSON.stringify({ requests, members, audit }, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
}

describe('requests in the console', () => {
  it('a member asks from their page; an owner approves with a cap after a bad one is refused beside its field', async () => {
    // Her page says why she is paused in the very words the gateway gets from authorize (its link is this page).
    const refused = (await h.call('POST', '/v1/usage/authorize', { token: key, body: { member: 'alice', model: HAIKU } })).body;
    expect(refused).toMatchObject({ allowed: false, reason: 'seat_limit_reached' });
    const seen = await h.signedIn('acme', 'alice', '/me');
    const words = await seen.page.getByTestId('refusal').textContent();
    expect(words).toMatch(/^you have used the usage included in your seat, and extra usage is not on for you; it lifts \d+ \w+ \d{4}, \d\d:\d\d \(Europe\/Paris\)\. To go on sooner, request extra usage from your admins\.$/);
    expect(refused.message.toLowerCase()).toContain(words!.slice(0, -1).toLowerCase());
    expect(await seriousViolations(seen.page)).toEqual([]);
    await screenshot(seen.page, 'me-paused');
    await seen.context.close();
    const alice = await ask('alice');
    expect(await seriousViolations(alice.page)).toEqual([]);
    await screenshot(alice.page, 'me-request-sent');
    const request = await openRequestOf('alice');
    expect(request.note).toBe('release week');
    await notifier.waitFor('requestOpened');
    // Reloading still says so: the request is open.
    await alice.page.reload();
    expect(await alice.page.getByTestId('request-sent').count()).toBe(1);
    await alice.context.close();

    // The admin's list: who, seat, spend and limit, with the decisions offered.
    const adam = await h.signedIn('acme', 'admin-1', '/requests');
    const card = adam.page.locator(`[data-request="${request.id}"]`);
    expect(await card.getByRole('heading').textContent()).toBe('Alice');
    expect(await card.textContent()).toContain('Standard seat');
    expect(await card.textContent()).toContain('(Europe/Paris)');
    // Her extra usage is off (selected members, nobody selected): her limit says so, not "Unlimited" or a limit she cannot use.
    expect(await card.getByTestId('their-limit').innerText()).toBe('Extra usage off ($50.00 once it is on)');
    expect(await card.textContent()).toMatch(/waiting (less than a minute|\d+ minutes?)/);
    expect(await card.getByText('Increase limit').count()).toBe(1);
    expect(await seriousViolations(adam.page)).toEqual([]);
    await screenshot(adam.page, 'requests');
    await adam.context.close();

    const olivia = await h.signedIn('acme', 'owner-1', `/requests/${request.id}`);
    const page = olivia.page;
    await page.locator('summary', { hasText: 'Increase limit' }).click();
    const before = await snapshot();
    await page.locator('input[name=cap]').fill('forty');
    const res = await submitAndLand(page, () => page.getByRole('button', { name: 'Enable extra usage' }).click());
    expect(res.status()).toBe(400);
    expect(new URL(page.url()).pathname).toBe(`/requests/${request.id}`);
    expect(await focusedId(page)).toBe('error-summary');
    const cap = page.locator('input[name=cap]');
    expect(await cap.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator(`#${await cap.getAttribute('aria-describedby')}`).textContent()).toContain('monthly limit in US dollars');
    expect(await snapshot()).toBe(before);
    expect(await seriousViolations(page)).toEqual([]);

    // Typed as people write money.
    await page.locator('input[name=cap]').fill('$40.00');
    await page.getByRole('button', { name: 'Enable extra usage' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Approved: extra usage is on');
    // Decided: who and when, no longer how long it waits; her limit now on.
    const done = page.locator(`[data-request="${request.id}"]`);
    expect(await done.getByTestId('decided').innerText()).toMatch(/^Approved by Olivia Owner on \d{1,2} [A-Z][a-z]{2} 20\d\d, \d\d:\d\d \(Europe\/Paris\): extra usage, limit \$40\.00\.$/);
    expect(await done.innerText()).not.toContain('waiting');
    expect(await done.getByTestId('their-limit').innerText()).toBe('$40.00');
    const decided = await db().extraUsageRequest.findUniqueOrThrow({ where: { id: request.id } });
    expect(decided).toMatchObject({ status: 'approved', decision: 'enable_extra_usage', decisionCapNanos: 40_000_000_000n });
    expect(await member('alice')).toMatchObject({ extraUsageEnabled: true, extraUsageCapNanos: 40_000_000_000n });
    const audit = await db().auditEntry.findFirstOrThrow({ where: { orgId, action: 'request.decided' } });
    expect(audit.actor).toContain('(owner-1) via console');
    await olivia.context.close();
  });

  it('nobody is offered their own request, and the server refuses it when forced; a member cannot decide; an owner denies with a reason', async () => {
    const asked = await ask('admin-1');
    const request = await openRequestOf('admin-1');
    await asked.page.goto(`${h.base}/requests/${request.id}`);
    expect(await asked.page.getByText('Your own request').count()).toBe(1);
    expect(await asked.page.getByText('Increase limit').count()).toBe(0);
    const before = await snapshot();
    const forced = await asked.page.request.post(`${h.base}/requests/${request.id}/decision`, { form: { decision: 'enable_extra_usage', capMode: 'unlimited', _csrf: await csrfOf(asked.page) } });
    expect(forced.status()).toBe(403);
    expect(await forced.text()).toContain('Nobody decides their own request');
    await asked.context.close();

    const bob = await h.signedIn('acme', 'bob', '/me');
    const byMember = await bob.page.request.post(`${h.base}/requests/${request.id}/decision`, { form: { decision: 'deny', _csrf: await csrfOf(bob.page) } });
    expect(byMember.status()).toBe(403);
    expect(await snapshot()).toBe(before);
    await bob.context.close();

    const olivia = await h.signedIn('acme', 'owner-1', `/requests/${request.id}`);
    const p = olivia.page;
    // Upgrading the seat is confirmed first, saying what changes; Cancel changes nothing.
    await p.locator('summary', { hasText: 'Increase limit' }).click();
    await submitAndLand(p, () => p.getByRole('button', { name: 'Upgrade to a Premium seat' }).click());
    expect(new URL(p.url()).pathname).toBe(`/requests/${request.id}/upgrade`);
    expect(await p.getByRole('heading', { level: 1 }).textContent()).toBe('Move Adam Admin to a Premium seat?');
    expect(await p.getByTestId('effect').textContent()).toContain('Adam Admin moves from a Standard to a Premium seat');
    expect(await p.getByTestId('effect').textContent()).toContain('billed at the Premium seat\'s price');
    expect(await seriousViolations(p)).toEqual([]);
    await p.getByRole('link', { name: 'Cancel' }).click();
    await p.waitForURL(`${h.base}/requests/${request.id}`);
    expect(await snapshot()).toBe(before);

    // Deny: on its own page, with the reason and what the requester is told; Cancel changes nothing.
    await p.getByRole('link', { name: 'Deny…' }).click();
    await p.waitForURL(`${h.base}/requests/${request.id}/deny`);
    expect(await p.getByRole('heading', { level: 1 }).textContent()).toBe('Deny Adam Admin\'s request?');
    expect(await p.getByTestId('effect').textContent()).toContain('Adam Admin is told their request was denied, with your reason if you give one, and cannot ask again for 24 hours');
    expect(await seriousViolations(p)).toEqual([]);
    await screenshot(p, 'request-deny');
    await p.getByRole('link', { name: 'Cancel' }).click();
    await p.waitForURL(`${h.base}/requests/${request.id}`);
    expect(await snapshot()).toBe(before);
    await p.getByRole('link', { name: 'Deny…' }).click();
    await p.getByLabel(/Reason/).fill('Not this month');
    await submitAndLand(p, () => p.getByRole('button', { name: 'Deny request' }).click());
    expect(new URL(p.url()).pathname).toBe(`/requests/${request.id}`);
    await expect.poll(() => olivia.page.getByRole('status').textContent()).toContain('Denied');
    expect(await db().extraUsageRequest.findUniqueOrThrow({ where: { id: request.id } })).toMatchObject({ status: 'denied', reason: 'Not this month' });
    await olivia.context.close();
  });
});
