// The Spend pages in Chromium as an owner, an admin and a member of an enterprise org
// (Europe/Paris) on PGlite: every figure shown equals the reports API's for the same
// org (GET /v1/reports/spend, /spend/members/:member, /products, /v1/settings/usage),
// to the cent; the chart is an image with a text alternative and a table; a bad month
// is refused next to its field; members are kept out; no serious axe violation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUsd, roundToCents, formatUsd } from '../../src/domain/money.js';
import { periodOf, periodStart } from '../../src/domain/periods.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, HAIKU, usageOfCents } from '../support/fixtures.js';
import { consoleHarness, screenshot, seriousViolations, type ConsoleHarness } from './support.js';
import type { Page } from 'playwright-core';

let scratch: Scratch;
let h: ConsoleHarness;
const SLUG = 'acme';
const TZ = 'Europe/Paris';
const NOW = new Date();
const cents = (usd: string | null) => (usd === null ? 'Unlimited' : `$${formatUsd(roundToCents(parseUsd(usd)!))}`);

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  h = await consoleHarness(scratch.db.prisma, NOW);
  await h.provision(SLUG, enterpriseDoc({
    extraUsage: { enabled: true, scope: 'all_members', orgMonthlyCap: '40.00', tierCaps: { standard: '500.00', premium: null } },
  }));
  const key = await h.issueKey(SLUG, ['usage']);
  // Usage spread over the month so far (instants between its start and now, whatever the day or hour),
  // on two models and three products; amounts that do not fall on whole cents.
  const start = periodStart(periodOf(NOW, TZ), TZ).getTime();
  const span = NOW.getTime() - start;
  const uses: [string, string, number, string | undefined][] = [
    ['alice', HAIKU, 250, 'claude_code'], ['alice', HAIKU, 333, 'claude'], ['alice', 'claude-sonnet-4-5', 120, 'claude_code'],
    ['bob', HAIKU, 410, 'api'], ['bob', 'claude-sonnet-4-5', 95, undefined], ['admin-1', HAIKU, 175, 'claude'],
  ];
  for (const [i, [member, model, c, product]] of uses.entries()) {
    const at = new Date(start + Math.floor((span * (i + 1)) / (uses.length + 1)));
    const usage = { ...usageOfCents(c), input_tokens: 777 };
    const res = await h.call('POST', '/v1/usage/record', { token: key, body: { requestId: `r-${i}`, member, model, at: at.toISOString(), usage, ...(product ? { product } : {}) } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }
}, 60_000);
afterAll(async () => {
  await h?.shutdown();
  await scratch?.dispose();
});

const cell = (page: Page, row: string, col: string) => page.locator(`${row} [data-col="${col}"]`).textContent();

describe('Spend as the owner', () => {
  it('shows the month, top members, models and products exactly as the reports API, to the cent', async () => {
    const { context, page } = await h.signedIn(SLUG, 'owner-1', '/spend');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Spend');
    const session = await h.apiSession(SLUG, 'owner-1');
    const api = (await h.call('GET', '/v1/reports/spend', { token: session })).body;
    const settings = (await h.call('GET', '/v1/settings/usage', { token: session })).body;
    const products = (await h.call('GET', '/v1/reports/products', { token: session })).body;

    expect(api.monthToDate.extra).not.toBe('0.00');
    expect(await page.getByTestId('mtd-extra').textContent()).toBe(cents(api.monthToDate.extra));
    // The month's total is the usage page's month-to-date (the ledger's own row).
    expect(api.monthToDate.extra).toBe(settings.orgCap.monthToDateExtra);
    expect(api.monthToDate.included).toBe(settings.orgCap.monthToDateIncluded);
    expect(await page.getByTestId('mtd-included').textContent()).toBe(cents(api.monthToDate.included));
    expect(await page.getByTestId('org-cap').textContent()).toBe('$40.00');

    // Every day so far, in the table view; the days sum to the month.
    const pastDays = api.days.filter((d: { future: boolean }) => !d.future);
    expect(await page.getByTestId('days').locator('tbody tr').count()).toBe(pastDays.length);
    let sum = 0n;
    for (const d of pastDays) {
      sum += parseUsd(d.extra)!;
      expect(await cell(page, `tr[data-day="${d.date}"]`, 'extra')).toBe(cents(d.extra));
      expect(await cell(page, `tr[data-day="${d.date}"]`, 'cumulative')).toBe(cents(d.cumulativeExtra));
      expect(await cell(page, `tr[data-day="${d.date}"]`, 'requests')).toBe(String(d.requests));
    }
    expect(formatUsd(sum)).toBe(api.monthToDate.extra);

    // Top members, by model, by product (the products report's own numbers).
    expect(api.topMembers.map((m: { externalId: string }) => m.externalId)).toEqual(['alice', 'bob', 'admin-1']);
    for (const m of api.topMembers) {
      for (const col of ['extra', 'included', 'cost'] as const) expect(await cell(page, `[data-testid=top-members] tr[data-member="${m.externalId}"]`, col)).toBe(cents(m[col]));
      expect(await cell(page, `[data-testid=top-members] tr[data-member="${m.externalId}"]`, 'requests')).toBe(String(m.requests));
    }
    expect(api.models.map((m: { model: string }) => m.model).sort()).toEqual(['claude-haiku-4-5', 'claude-sonnet-4-5']);
    for (const m of api.models) {
      for (const col of ['extra', 'included', 'cost'] as const) expect(await cell(page, `[data-testid=models] tr[data-model="${m.model}"]`, col)).toBe(cents(m[col]));
    }
    expect(api.products).toEqual(products.products);
    expect(products.products.map((p: { product: string }) => p.product)).toEqual(['api', 'claude', 'claude_code', 'unspecified']);
    for (const p of products.products) {
      for (const col of ['extra', 'included', 'cost'] as const) expect(await cell(page, `[data-testid=products] tr[data-product="${p.product}"]`, col)).toBe(cents(p[col]));
      expect(await cell(page, `[data-testid=products] tr[data-product="${p.product}"]`, 'requests')).toBe(String(p.requests));
    }
    expect(await page.locator('[data-testid=products] tr[data-product="claude_code"] th').textContent()).toBe('Claude Code');

    // The forecast says what the report says; the chart is an image named by a sentence with the same total.
    const forecast = await page.getByTestId('forecast').textContent();
    if (api.forecast.kind === 'on') expect(forecast).toBe(new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short' }).format(new Date(`${api.forecast.day}T00:00:00Z`)));
    else expect(['not_this_month', 'reached']).toContain(api.forecast.kind);
    const chart = page.getByRole('img', { name: /Extra usage in/ });
    expect(await chart.getAttribute('aria-label')).toContain(`${cents(api.monthToDate.extra)} of a $40.00 cap`);
    expect(await chart.locator('rect.bar').count()).toBe(pastDays.length);

    expect(await seriousViolations(page)).toEqual([]);
    await page.getByText('Table view (per day)').click();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'spend');

    // A member's month, from the top members table.
    await page.locator('[data-testid=top-members] tr[data-member="alice"] a').click();
    await page.waitForURL(/\/spend\/members\/alice/);
    const mine = (await h.call('GET', '/v1/reports/spend/members/alice', { token: session })).body;
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Alice');
    expect(await page.getByTestId('mtd-extra').textContent()).toBe(cents(mine.monthToDate.extra));
    expect(await page.getByTestId('member-cap').textContent()).toBe('$50.00');
    expect(mine.monthToDate.extra).toBe(api.topMembers[0].extra);
    for (const p of mine.products) expect(await cell(page, `[data-testid=products] tr[data-product="${p.product}"]`, 'extra')).toBe(cents(p.extra));
    for (const m of mine.models) expect(await cell(page, `[data-testid=models] tr[data-model="${m.model}"]`, 'cost')).toBe(cents(m.cost));
    expect(mine.products).toEqual(products.members.find((m: { externalId: string }) => m.externalId === 'alice').products);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'spend-member');

    // Someone who is not a member of the org: a 404 page.
    const res = await page.goto(`${h.base}/spend/members/nobody`);
    expect(res!.status()).toBe(404);
    const hostile = await page.goto(`${h.base}/spend/members/a%00b`);
    expect(hostile!.status()).toBe(404);
    await context.close();
  });

  it('a bad month is refused next to its field; an earlier month shows that month', async () => {
    const { context, page } = await h.signedIn(SLUG, 'owner-1', '/spend');
    const field = page.getByLabel('Month (YYYY-MM)');
    for (const [value, message] of [['2026-13', 'Enter a month as YYYY-MM'], ['2999-01', 'has not begun']] as const) {
      await field.fill(value);
      const [res] = await Promise.all([page.waitForResponse((r) => r.url().includes('/spend?')), page.getByRole('button', { name: 'Show' }).click()]);
      expect(res.status()).toBe(400);
      const input = page.getByLabel('Month (YYYY-MM)');
      expect(await input.getAttribute('aria-invalid')).toBe('true');
      const described = await input.getAttribute('aria-describedby');
      expect(await page.locator(`#${described}`).textContent()).toContain(message);
      expect(await seriousViolations(page)).toEqual([]);
    }
    await page.goto(`${h.base}/spend?period=2026-01`);
    expect(await page.getByTestId('mtd-extra').textContent()).toBe('$0.00');
    expect(await page.getByTestId('forecast').textContent()).toBe('A past month');
    await context.close();
  });
});

describe('Spend as an admin and as a member', () => {
  it('admins read it; members are sent to their own page, get no Spend link, and the API refuses them', async () => {
    const admin = await h.signedIn(SLUG, 'admin-1', '/spend');
    expect(await admin.page.getByRole('heading', { level: 1 }).textContent()).toBe('Spend');
    expect(await admin.page.getByRole('link', { name: 'Spend' }).count()).toBe(1);
    expect(await seriousViolations(admin.page)).toEqual([]);
    await admin.context.close();

    const member = await h.signedIn(SLUG, 'alice', '/me');
    expect(await member.page.getByRole('link', { name: 'Spend' }).count()).toBe(0);
    for (const path of ['/spend', '/spend/members/bob', '/spend/members/alice']) {
      await member.page.goto(`${h.base}${path}`);
      expect(new URL(member.page.url()).pathname, path).toBe('/me');
    }
    const session = await h.apiSession(SLUG, 'alice');
    expect((await h.call('GET', '/v1/reports/spend', { token: session })).status).toBe(403);
    expect((await h.call('GET', '/v1/reports/spend/members/bob', { token: session })).status).toBe(403);
    await member.context.close();
  });
});
