// "Ask to raise my limit" in the console, in Chromium on a real Temporal dev server and
// PGlite: a member stopped by their own cap reads the suggestion pre-filled, a raise
// above the org's cap is refused beside its field (nothing stored), the button gives
// way to "Request sent to owners"; an admin reviewing it reads that an owner must
// decide; an owner clicks "Increase limit" and the member may go on.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerOnlyPayments } from '../../src/payments/port.js';
import { requestService } from '../../src/services/requests.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, HAIKU, usageOfCents } from '../support/fixtures.js';
import { recordingNotifier } from '../support/recording-notifier.js';
import { devServerEnv, testWorker } from '../support/temporal.js';
import { consoleHarness, screenshot, seriousViolations, type ConsoleHarness } from './support.js';

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
  await h.provision('acme', enterpriseDoc());
  key = await h.issueKey('acme', ['usage']);
  orgId = (await db.organization.findUniqueOrThrow({ where: { slug: 'acme' } })).id;
  // Alice (cap $50.00) goes past her cap: $1.00 included, $51.00 extra.
  const res = await h.call('POST', '/v1/usage/record', { token: key, body: { requestId: 'alice-past-cap', member: 'alice', model: HAIKU, usage: usageOfCents(5200) } });
  expect(res.status).toBe(200);
}, 120_000);
afterAll(async () => {
  await h?.shutdown();
  await worker?.stop();
  await scratch?.dispose();
  await env?.teardown();
});

const db = () => scratch.db.prisma;
const requestsOfOrg = () => db().extraUsageRequest.findMany({ where: { orgId } });

describe('asking to raise a limit in the console', () => {
  it('a member stopped by their cap asks with the suggestion; an admin is told an owner decides; an owner raises it', async () => {
    expect((await h.call('POST', '/v1/usage/authorize', { token: key, body: { member: 'alice', model: HAIKU } })).body).toMatchObject({ allowed: false, reason: 'member_cap_reached' });
    const alice = await h.signedIn('acme', 'alice', '/me');
    const amount = alice.page.getByLabel('New monthly limit in USD');
    const suggested = await amount.inputValue();
    expect(suggested).toMatch(/^\d+\.00$/);
    expect(Number(suggested)).toBeGreaterThan(50);
    expect(await alice.page.getByText('You cannot request extra usage now').count()).toBe(0);
    expect(await seriousViolations(alice.page)).toEqual([]);
    await screenshot(alice.page, 'me-raise-limit');

    // Above the org's $1,000.00 cap: said beside the field, nothing stored.
    await amount.fill('1500');
    await alice.page.getByRole('button', { name: 'Ask to raise my limit' }).click();
    await expect.poll(() => alice.page.locator('p.error').first().textContent().catch(() => '')).toContain("above the organisation's monthly limit of $1,000.00");
    expect(await requestsOfOrg()).toEqual([]);

    await alice.page.getByLabel('New monthly limit in USD').fill(suggested);
    await alice.page.getByLabel('Note for the owners (optional)').fill('launch week');
    await alice.page.getByRole('button', { name: 'Ask to raise my limit' }).click();
    await expect.poll(() => alice.page.getByTestId('request-sent').textContent().catch(() => '')).toContain('Request sent to owners');
    const [request] = await requestsOfOrg();
    expect(request).toMatchObject({ status: 'pending', raiseScope: 'member', note: 'launch week' });
    await alice.page.reload();
    expect(await alice.page.getByTestId('request-sent').textContent()).toContain('Request sent to owners');
    await screenshot(alice.page, 'me-raise-sent');
    await alice.context.close();

    const adam = await h.signedIn('acme', 'admin-1', `/requests/${request!.id}`);
    expect(await adam.page.getByTestId('raise').textContent()).toContain(`Their monthly limit, $50.00: suggested $${suggested}`);
    expect(await adam.page.getByTestId('owner-must-decide').textContent()).toContain('an owner must decide this request');
    expect(await adam.page.getByRole('button', { name: 'Increase limit' }).count()).toBe(0);
    await adam.context.close();

    const olivia = await h.signedIn('acme', 'owner-1', `/requests/${request!.id}`);
    await olivia.page.getByText('Increase limit', { exact: true }).first().click();
    expect(await olivia.page.getByLabel('New monthly limit in USD').inputValue()).toBe(suggested);
    expect(await seriousViolations(olivia.page)).toEqual([]);
    await screenshot(olivia.page, 'request-raise-limit');
    await olivia.page.getByRole('button', { name: 'Increase limit' }).click();
    await expect.poll(() => olivia.page.getByRole('status').first().textContent().catch(() => '')).toContain('Approved: the limit is raised');
    await olivia.context.close();
    const alicesCap = (await db().member.findFirstOrThrow({ where: { orgId, externalId: 'alice' } })).extraUsageCapNanos;
    expect(alicesCap).toBe(BigInt(Number(suggested)) * 1_000_000_000n);
    expect((await h.call('POST', '/v1/usage/authorize', { token: key, body: { member: 'alice', model: HAIKU } })).body).toMatchObject({ allowed: true, mode: 'extra' });
  }, 180_000);
});
