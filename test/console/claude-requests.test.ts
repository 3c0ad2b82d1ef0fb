// A connected org's request in the console (real Temporal dev server, PGlite, Chromium,
// the real @anthropic-ai/sdk against the Admin API stand-in): the owner reviews a
// request from Claude with the limit the member hit, where it comes from and their
// spend, and raises it with "Increase limit" (pre-filled, a period to choose): a bad
// amount is shown beside its field and nothing reaches Anthropic; then one approve.
import { randomBytes } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectOrg } from '../../src/anthropic/connection.js';
import { adminClient } from '../../src/anthropic/client.js';
import { listEffective, mirrorEffectiveLimits } from '../../src/anthropic/effective-limits.js';
import { ledgerOnlyPayments } from '../../src/payments/port.js';
import { secretBox } from '../../src/secrets/secret-box.js';
import { requestService } from '../../src/services/requests.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc } from '../support/fixtures.js';
import { recordingNotifier } from '../support/recording-notifier.js';
import { devServerEnv, testWorker } from '../support/temporal.js';
import { startAdminApi, type AdminApiStandIn } from '../support/anthropic-admin-api.js';
import { consoleHarness, type ConsoleHarness, seriousViolations, submitAndLand } from './support.js';

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
    const res = await submitAndLand(page, () => page.getByRole('button', { name: 'Increase limit' }).click());
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

  it('shows each member\'s limit in Claude and where it comes from; an owner edits one (one set); writes not enabled is said beside the field', async () => {
    const db = scratch.db.prisma;
    api.effective.push({
      actor: { type: 'user_actor', user_id: 'user_alice', name: 'Alice', email_address: 'alice@acme.example', deleted: false },
      amount: '5000', currency: 'USD', period: 'monthly', period_to_date_spend: '1234.5', scope: { type: 'user', user_id: 'user_alice' },
      source: { type: 'seat_tier', seat_tier: 'standard' }, spend_limit_id: 'spl_alice',
    });
    await mirrorEffectiveLimits(db, orgId, await listEffective(adminClient(KEY, { baseUrl: api.url })), new Date());

    const { context, page } = await h.signedIn('acme', 'owner-1', '/usage');
    const row = page.locator('[data-claude-member="alice"][data-period="monthly"]');
    expect(await row.textContent()).toContain('$50.00');
    expect(await row.textContent()).toContain('Seat tier');
    expect(await row.textContent()).toContain('change this in claude.ai');
    // Spend in cents ($12.345 exactly).
    expect(await row.textContent()).toContain('$12.35');
    expect(await seriousViolations(page)).toEqual([]);

    const sets = api.sets().length;
    await row.locator('summary', { hasText: 'Edit limit' }).click();
    await row.locator('input[name=cap]').fill('100');
    await row.getByRole('button', { name: 'Set cap' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('limit is set in Claude');
    expect(api.sets().slice(sets)).toEqual([{ scope: { type: 'user', user_id: 'user_alice' }, period: 'monthly', amount: '10000' }]);
    const after = page.locator('[data-claude-member="alice"][data-period="monthly"]');
    expect(await after.textContent()).toContain('$100.00');
    expect(await after.textContent()).toContain('Their own limit');

    // Anthropic has not enabled Admin API writes for the organization: the owner reads what to do; nothing changes.
    api.writesEnabled = false;
    await after.locator('summary', { hasText: 'Edit limit' }).click();
    await after.locator('input[name=cap]').fill('150');
    const res = await submitAndLand(page, () => after.getByRole('button', { name: 'Set cap' }).click());
    expect(res.status()).toBe(409);
    const field = page.locator('[data-claude-member="alice"][data-period="monthly"] input[name=cap]');
    expect(await page.locator(`#${await field.getAttribute('aria-describedby')}`).textContent()).toContain('change the limit in claude.ai');
    expect((await db.anthropicEffectiveLimit.findFirstOrThrow({ where: { orgId, period: 'monthly' } })).amountNanos).toBe(100_000_000_000n);
    api.writesEnabled = true;
    await context.close();

    // An admin sees the limits, read-only.
    const adam = await h.signedIn('acme', 'admin-1', '/usage');
    expect(await adam.page.locator('[data-testid="claude-limits"] summary').count()).toBe(0);
    await adam.context.close();
  });
});
