// A connected org's request in the console (real Temporal dev server, PGlite, Chromium,
// the real @anthropic-ai/sdk against the Admin API stand-in): the owner reviews a
// request from Claude with the limit the member hit, where it comes from and their
// spend, and raises it with "Increase limit" (pre-filled, a period to choose): a bad
// amount is shown beside its field and nothing reaches Anthropic; then one approve.
import { randomBytes } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectOrg } from '../../src/anthropic/connection.js';
import { ledgerOnlyPayments } from '../../src/payments/port.js';
import { secretBox } from '../../src/secrets/secret-box.js';
import { requestService } from '../../src/services/requests.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc } from '../support/fixtures.js';
import { recordingNotifier } from '../support/recording-notifier.js';
import { devServerEnv, testWorker } from '../support/temporal.js';
import { startAdminApi, type AdminApiStandIn } from '../support/anthropic-admin-api.js';
import { consoleHarness, seriousViolations, type ConsoleHarness } from './support.js';

const HOUR = 3_600_000;
const KEY = 'sk-ant-admin01-console-test-key-0123456789';
let env: TestWorkflowEnvironment;
let scratch: Scratch;
let worker: Awaited<ReturnType<typeof testWorker>>;
let h: ConsoleHarness;
let api: AdminApiStandIn;
let orgId: string;

beforeAll(async () => {
  [env, scratch, api] = await Promise.all([devServerEnv(), migrated(scratchPglite), startAdminApi({ key: KEY })]);
  const db = scratch.db.prisma;
  const anthropic = { box: secretBox(randomBytes(32)), baseUrl: api.url };
  worker = await testWorker(env, { db, notifier: recordingNotifier(), payments: ledgerOnlyPayments(db), now: () => new Date(), anthropic });
  const requests = requestService({ db, client: env.client, taskQueue: worker.taskQueue, timings: { remindAfterMs: 24 * HOUR, expireAfterMs: 7 * 24 * HOUR }, now: () => new Date() });
  h = await consoleHarness(db, new Date(), { requests, anthropic });
  const doc = enterpriseDoc();
  doc.members = doc.members.map((m) => ({ ...m, email: `${m.externalId}@acme.example` }));
  await h.provision('acme', doc);
  orgId = (await db.organization.findUniqueOrThrow({ where: { slug: 'acme' } })).id;
  api.addUser({ id: 'user_owner', email: 'owner-1@acme.example', name: 'Olivia Owner', role: 'primary_owner' });
  api.addUser({ id: 'user_alice', email: 'alice@acme.example', name: 'Alice', role: 'user' });
  await connectOrg(db, anthropic, orgId, KEY, 'operator');
}, 120_000);
afterAll(async () => {
  await h?.shutdown();
  await worker?.stop();
  await api?.close();
  await scratch?.dispose();
  await env?.teardown();
});

describe('a request from Claude in the console', () => {
  it('shows the limit hit and its source, refuses a bad amount beside its field, and approves once', async () => {
    const db = scratch.db.prisma;
    const asked = api.addRequest('user_alice', { period: 'weekly', limitCents: '2000', spentCents: '2012.5', source: { type: 'seat_tier', seat_tier: 'standard' } });
    await env.client.workflow.execute('anthropicPoll', { taskQueue: worker.taskQueue, workflowId: 'anthropic-poll-console-1', args: [{ orgId, remindAfterMs: 24 * HOUR }] });
    // The poll started the request's own workflow; its row follows.
    await expect.poll(() => db.extraUsageRequest.count({ where: { orgId, anthropicRequestId: asked.id } }), { timeout: 20_000 }).toBe(1);
    const row = await db.extraUsageRequest.findFirstOrThrow({ where: { orgId, anthropicRequestId: asked.id } });

    const { context, page } = await h.signedIn('acme', 'owner-1', `/requests/${row.id}`);
    const card = page.locator(`[data-request="${row.id}"]`);
    expect(await card.textContent()).toContain('Their weekly limit in Claude');
    expect(await card.textContent()).toContain('$20.00');
    expect(await card.textContent()).toContain('their seat tier');
    expect(await card.textContent()).toContain('$20.125');
    // No seat or extra-usage decisions for a request from Claude.
    expect(await card.getByRole('button', { name: 'Enable extra usage' }).count()).toBe(0);
    await page.locator('summary', { hasText: 'Increase limit' }).click();
    expect(await page.locator('input[name=amount]').inputValue()).toBe('30.00');
    expect(await page.locator('select[name=period]').inputValue()).toBe('weekly');

    await page.locator('input[name=amount]').fill('thirty');
    const [res] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/decision')), page.getByRole('button', { name: 'Increase limit' }).click()]);
    expect(res.status()).toBe(400);
    const amount = page.locator('input[name=amount]');
    expect(await amount.getAttribute('aria-invalid')).toBe('true');
    expect(api.approves()).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);

    await page.locator('input[name=amount]').fill('45');
    await page.locator('select[name=period]').selectOption('monthly');
    await page.getByRole('button', { name: 'Increase limit' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('spend limit in Claude is raised');
    expect(await page.textContent('body')).toContain('Approved by Olivia Owner');
    expect(api.approves()).toEqual([{ id: asked.id, body: { amount: '4500', period: 'monthly' } }]);
    const audit = await db.auditEntry.findFirstOrThrow({ where: { orgId, action: 'anthropic.spend_limit.user.set' } });
    expect(audit.actor).toContain('(owner-1) via console');
    await context.close();
  });
});
