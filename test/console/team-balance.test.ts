// A Team org's balance on the Usage page in Chromium: owners buy balance (counted once
// however often the form is sent), the primary owner sets auto-reload, owners set the
// low-balance warning; bad input is shown next to its field and changes nothing; an
// owner who is not the primary owner is not offered auto-reload and is refused when
// forcing it; an admin is offered none of it and is refused; the numbers are the
// settings API's. The ledger purchase provider (development default) credits at once;
// with Stripe (the real SDK against the local stand-in) "Buy" goes to Checkout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stripePurchases } from '../../src/payments/purchases.js';
import { createStripeClient } from '../../src/payments/stripe-client.js';
import { stripeWebhook } from '../../src/payments/stripe-webhook.js';
import { creditBalance } from '../../src/ledger/settings/balance.js';
import { formatDayTime } from '../../src/domain/display.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { startStripeStandIn } from '../support/stripe-api.js';
import { teamDoc } from '../support/fixtures.js';
import { type ConsoleHarness, consoleHarness, csrfOf, screenshot, seriousViolations, submitAndLand } from './support.js';

let scratch: Scratch;
let h: ConsoleHarness;
let orgId: string;
const SLUG = 'small';

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  h = await consoleHarness(scratch.db.prisma, new Date());
  await h.provision(SLUG, teamDoc({
    members: [
      ...teamDoc().members,
      { externalId: 'owner-2', name: 'Otto Owner', role: 'owner', seatTier: 'standard' },
      { externalId: 'admin-1', name: 'Adam Admin', role: 'admin', seatTier: 'standard' },
    ],
  }));
  orgId = (await scratch.db.prisma.organization.findUniqueOrThrow({ where: { slug: SLUG } })).id;
}, 60_000);
afterAll(async () => {
  await h?.shutdown();
  await scratch?.dispose();
});

const org = () => scratch.db.prisma.organization.findUniqueOrThrow({ where: { id: orgId } });
const apiUsage = async () => (await h.call('GET', '/v1/settings/usage', { token: await h.apiSession(SLUG, 'owner-1') })).body;

describe('Team balance on the Usage page', () => {
  it('an owner buys balance: credited once even when the same form is sent twice, as the API shows it', async () => {
    const { context, page } = await h.signedIn(SLUG, 'owner-2', '/usage');
    const before = (await org()).balanceNanos;
    const region = page.getByRole('region', { name: 'Team balance' });
    await region.getByText('Buy', { exact: true }).first().click();
    await region.getByLabel('Amount in USD').fill('25');
    // The form as the browser would send it a second time (a double click, a resend).
    const form = region.locator('form[action="/usage/buy"]');
    const key = await form.locator('input[name=idempotencyKey]').inputValue();
    const csrf = await form.locator('input[name=_csrf]').inputValue();
    await region.getByRole('button', { name: 'Buy' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Balance bought');
    const again = await page.request.post(`${h.base}/usage/buy`, { form: { _csrf: csrf, idempotencyKey: key, amount: '25' }, maxRedirects: 0 });
    expect(again.status()).toBe(303);
    expect((await org()).balanceNanos).toBe(before + 25_000_000_000n);
    const api = await apiUsage();
    await page.reload();
    expect(await page.getByTestId('balance').textContent()).toBe(`$${api.prepaid.balance}`);
    const entries = await scratch.db.prisma.balanceEntry.findMany({ where: { orgId, kind: 'purchase' } });
    expect(entries).toHaveLength(1);
    expect(entries[0]!.actor).toContain('via console');
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  });

  it('a bad amount is shown next to its field and buys nothing', async () => {
    const { context, page } = await h.signedIn(SLUG, 'owner-1', '/usage');
    const before = (await org()).balanceNanos;
    const region = page.getByRole('region', { name: 'Team balance' });
    await region.getByText('Buy', { exact: true }).first().click();
    await region.getByLabel('Amount in USD').fill('12.345');
    const res = await submitAndLand(page, () => region.getByRole('button', { name: 'Buy' }).click());
    expect(res.status()).toBe(400);
    const input = page.getByRole('region', { name: 'Team balance' }).getByLabel('Amount in USD');
    expect(await input.getAttribute('aria-invalid')).toBe('true');
    const said = await page.locator(`#${await input.getAttribute('aria-describedby')}`).textContent();
    expect(said).toMatch(/amount|dollars/i);
    // Words, not the API's pattern.
    expect(said).not.toMatch(/must be a USD amount|leading zeros|as a string/);
    expect(await input.inputValue()).toBe('12.345');
    for (const [typed, words] of [['abc', 'is not an amount in dollars'], ['-5', 'no minus sign'], ['0', 'more than $0.00']] as const) {
      await input.fill(typed);
      // Post-redirect-get: the form's page is shown again, once, with the 400.
      const again = await submitAndLand(page, () => page.getByRole('region', { name: 'Team balance' }).getByRole('button', { name: 'Buy' }).click());
      expect(again.status()).toBe(400);
      expect(new URL(page.url()).pathname).toBe('/usage');
      expect(await page.locator(`#${await input.getAttribute('aria-describedby')}`).textContent()).toContain(words);
    }
    expect((await org()).balanceNanos).toBe(before);
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  });

  it('the primary owner sets auto-reload; "On" without an amount is refused next to the amount', async () => {
    const { context, page } = await h.signedIn(SLUG, 'owner-1', '/usage');
    const region = () => page.getByRole('region', { name: 'Team balance' });
    await region().getByText('Change auto-reload').click();
    await region().getByLabel('On', { exact: true }).check();
    await region().getByLabel('Reload when balance reaches (USD)').fill('5');
    await region().getByLabel('with (USD)').fill('');
    const before = await org();
    const res = await submitAndLand(page, () => region().getByRole('button', { name: 'Save auto-reload' }).click());
    expect(res.status()).toBe(422);
    const amount = region().getByLabel('with (USD)');
    expect(await amount.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator(`#${await amount.getAttribute('aria-describedby')}`).textContent()).toContain('amount');
    expect((await org()).autoReloadThresholdNanos).toBe(before.autoReloadThresholdNanos);

    await amount.fill('40');
    await region().getByLabel('Reload at most this much a month (USD)').fill('0');
    await region().getByRole('button', { name: 'Save auto-reload' }).click();
    const limit = region().getByLabel('Reload at most this much a month (USD)');
    await expect.poll(() => limit.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator(`#${await limit.getAttribute('aria-describedby')}`).textContent()).toContain('more than $0.00');
    // Less than one reload: no reload could happen, said beside the limit in words.
    await limit.fill('$30');
    await region().getByRole('button', { name: 'Save auto-reload' }).click();
    await expect.poll(async () => page.locator(`#${await region().getByLabel('Reload at most this much a month (USD)').getAttribute('aria-describedby')}`).textContent()).toContain('less than one reload of $40.00');
    // What was typed is still there to correct, not the stored settings.
    expect(await region().getByLabel('with (USD)').inputValue()).toBe('40');
    expect(await region().getByLabel('Reload when balance reaches (USD)').inputValue()).toBe('5');

    // Typed as people write money: "$1,200.00" is $1,200.
    await region().getByLabel('Reload at most this much a month (USD)').fill('$1,200.00');
    await region().getByRole('button', { name: 'Save auto-reload' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Auto-reload saved');
    const api = await apiUsage();
    expect(api.prepaid.autoReload).toEqual({ enabled: true, threshold: '5.00', amount: '40.00', monthlyMax: '1200.00', monthlyLimit: 30 });
    expect(await page.getByTestId('auto-reload').textContent()).toContain('reload when balance reaches $5.00 with $40.00, at most $1,200.00 of reloads a month');
    await screenshot(page, 'usage-team');
    await context.close();
  });

  it('owners set the low-balance warning, and blank means none', async () => {
    const { context, page } = await h.signedIn(SLUG, 'owner-2', '/usage');
    const region = () => page.getByRole('region', { name: 'Team balance' });
    await region().getByText('Change the warning').click();
    await region().getByLabel('Warn owners below (USD)').fill('15');
    await region().getByRole('button', { name: 'Save warning' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Low-balance warning saved');
    expect((await org()).balanceWarningNanos).toBe(15_000_000_000n);
    // Auto-reload is on (the test above): the warning is not sent, and the page says so.
    expect((await org()).autoReloadEnabled).toBe(true);
    const warning = await page.getByTestId('balance-warning').textContent();
    expect(warning).toContain('$15.00');
    expect(warning).toContain('not sent while auto-reload is on');
    expect(warning).not.toContain('while auto-reload is off');
    await region().getByText('Change the warning').click();
    await region().getByLabel('Warn owners below (USD)').fill('');
    await region().getByRole('button', { name: 'Save warning' }).click();
    await expect.poll(async () => (await org()).balanceWarningNanos).toBeNull();
    await context.close();
  });

  it('an owner who is not the primary owner is not offered auto-reload, and is refused when forcing it', async () => {
    const { context, page } = await h.signedIn(SLUG, 'owner-2', '/usage');
    const region = page.getByRole('region', { name: 'Team balance' });
    expect(await region.getByText('Change auto-reload').count()).toBe(0);
    expect(await region.textContent()).toContain('Only the primary owner changes auto-reload');
    const before = await org();
    const res = await page.request.post(`${h.base}/usage/auto-reload`, { form: { _csrf: await csrfOf(page), enabled: 'off' } });
    expect(res.status()).toBe(403);
    expect((await org()).autoReloadEnabled).toBe(before.autoReloadEnabled);
    await context.close();
  });

  it('an admin sees the balance with no form, and is refused when forcing a purchase or a warning', async () => {
    const { context, page } = await h.signedIn(SLUG, 'admin-1', '/usage');
    const region = page.getByRole('region', { name: 'Team balance' });
    expect(await region.locator('form').count()).toBe(0);
    const before = await org();
    const csrf = await csrfOf(page);
    for (const [url, form] of [['/usage/buy', { amount: '10', idempotencyKey: 'forced-1' }], ['/usage/balance-warning', { level: '1' }], ['/usage/auto-reload', { enabled: 'off' }]] as const) {
      const res = await page.request.post(`${h.base}${url}`, { form: { _csrf: csrf, ...form } });
      expect(res.status(), url).toBe(403);
    }
    const after = await org();
    expect([after.balanceNanos, after.balanceWarningNanos, after.autoReloadEnabled]).toEqual([before.balanceNanos, before.balanceWarningNanos, before.autoReloadEnabled]);
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  });
});

describe('Recent purchases and reloads', () => {
  it('lists who bought or reloaded, when in the org\'s timezone, and how much in cents; "$1,500.00" is read as people write it', async () => {
    const { orgId: id } = await h.provision('history', teamDoc({ timezone: 'America/New_York', autoReload: { enabled: false } }));
    const { context, page } = await h.signedIn('history', 'owner-1', '/usage');
    const region = () => page.getByRole('region', { name: 'Team balance' });
    expect(await page.getByTestId('balance-history').textContent()).toContain('No purchases or reloads yet');
    await region().getByText('Buy', { exact: true }).first().click();
    await region().getByLabel('Amount in USD').fill('$1,500.00');
    await region().getByRole('button', { name: 'Buy' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Balance bought');
    const org = await scratch.db.prisma.organization.findUniqueOrThrow({ where: { id } });
    expect(org.balanceNanos).toBe(1_500_000_000_000n);
    await creditBalance(scratch.db.prisma, org, { kind: 'reload', amountNanos: 50_000_000_000n, idempotencyKey: `auto-reload/${id}/e1/1`, actor: 'auto-reload' });
    await page.reload();
    const table = page.getByTestId('balance-history');
    expect(await table.locator('thead').textContent()).toContain('When (America/New_York)');
    const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent)));
    const entries = await scratch.db.prisma.balanceEntry.findMany({ where: { orgId: id }, orderBy: { createdAt: 'desc' } });
    expect(rows).toEqual([
      [formatDayTime(entries[0]!.createdAt, 'America/New_York'), 'Auto-reload', 'Auto-reload', '$50.00', 'Credited'],
      [formatDayTime(entries[1]!.createdAt, 'America/New_York'), 'Purchase', 'Olivia Owner', '$1,500.00', 'Credited'],
    ]);
    expect(await seriousViolations(page)).toEqual([]);
    // A phone's width and a laptop's: the page never scrolls sideways (the table scrolls in its own box).
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      await page.reload();
      expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), `${width} px`).toBeLessThanOrEqual(0);
    }
    await context.close();
  });
});

describe('Team: prompted to pay', () => {
  it('turning extra usage on with a zero balance leads straight into buying; every page says nobody can use it; owners are told once', async () => {
    const { orgId: id } = await h.provision('zero', teamDoc({ extraUsage: { enabled: false, scope: 'all_members', orgMonthlyCap: null }, autoReload: { enabled: false } }));
    const { context, page } = await h.signedIn('zero', 'owner-1', '/usage');
    const extra = () => page.getByRole('region', { name: 'Extra usage' });
    expect(await page.getByTestId('no-balance-banner').count()).toBe(0);
    await extra().getByLabel('On', { exact: true }).check();
    await extra().getByRole('button', { name: 'Save' }).click();
    await page.waitForURL((u) => u.searchParams.get('saved') === 'extra-usage-pay');
    expect(new URL(page.url()).hash).toBe('#buy');
    expect(await page.getByRole('status').textContent()).toContain('nobody can use it until there is a balance');
    // The Buy form is open, ready for an amount.
    expect(await page.locator('details#buy').getAttribute('open')).not.toBeNull();
    expect(await page.getByRole('region', { name: 'Team balance' }).getByLabel('Amount in USD').isVisible()).toBe(true);
    expect(await page.getByTestId('no-balance-banner').textContent()).toContain('Balance $0.00: nobody can use extra usage yet');
    expect(await page.getByTestId('no-balance').textContent()).toContain('Balance $0.00: nobody can use extra usage yet');
    expect(await page.locator('tr[data-member="alice"]').textContent()).toContain('On — no balance');
    expect(await page.locator('tr[data-member="alice"]').textContent()).not.toContain('Active');
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'usage-team-no-balance');

    // Off and on again: owners were told once. Off is confirmed first, on its own page.
    await extra().getByLabel('Off', { exact: true }).check();
    await submitAndLand(page, () => extra().getByRole('button', { name: 'Save' }).click());
    expect(new URL(page.url()).pathname).toBe('/usage/confirm');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Turn extra usage off?');
    await page.getByRole('button', { name: 'Turn extra usage off' }).click();
    await page.waitForURL((u) => u.searchParams.get('saved') === 'extra-usage');
    expect(await page.getByTestId('no-balance-banner').count()).toBe(0);
    await extra().getByLabel('On', { exact: true }).check();
    await extra().getByRole('button', { name: 'Save' }).click();
    await page.waitForURL((u) => u.searchParams.get('saved') === 'extra-usage-pay');
    const told = await scratch.db.prisma.outboxEvent.findMany({ where: { orgId: id, type: 'balance_exhausted' } });
    expect(told.map((e) => e.payload)).toEqual([{ balanceNanos: '0', extraUsageTurnedOn: true }]);

    // A member reads it on their own page, with who can change it.
    const member = await h.signedIn('zero', 'alice', '/me');
    expect(await member.page.getByTestId('no-balance-banner').textContent()).toContain('Balance $0.00: nobody can use extra usage yet. An owner can add funds.');
    await member.context.close();

    // Bought: the banner is gone and members are active again.
    await page.getByRole('region', { name: 'Team balance' }).getByLabel('Amount in USD').fill('1,500');
    await page.getByRole('region', { name: 'Team balance' }).getByRole('button', { name: 'Buy' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Balance bought');
    expect(await page.getByTestId('no-balance-banner').count()).toBe(0);
    expect(await page.locator('tr[data-member="alice"]').textContent()).toContain('Active');
    await context.close();
  });
});

describe('Buying through Stripe from the console', () => {
  let stripeScratch: Scratch;
  let s: ConsoleHarness;
  let standIn: Awaited<ReturnType<typeof startStripeStandIn>>;
  beforeAll(async () => {
    stripeScratch = await migrated(scratchPglite);
    standIn = await startStripeStandIn();
    const stripe = createStripeClient({ secretKey: standIn.secretKey, apiBase: standIn.base });
    const log = { warn: () => undefined, error: () => undefined };
    s = await consoleHarness(stripeScratch.db.prisma, new Date(), {
      payments: {
        purchases: stripePurchases(stripeScratch.db.prisma, stripe, { publicUrl: 'https://usage.example.com' }),
        stripeWebhook: stripeWebhook({ db: stripeScratch.db.prisma, stripe, webhookSecret: standIn.webhookSecret, log }),
      },
    });
    await s.provision(SLUG, teamDoc({ autoReload: { enabled: false } }));
  }, 60_000);
  afterAll(async () => {
    await s?.shutdown();
    await standIn?.close();
    await stripeScratch?.dispose();
  });

  it('sends the owner to Stripe Checkout for the amount, and credits nothing before Stripe says paid', async () => {
    const { context, page } = await s.signedIn(SLUG, 'owner-1', '/usage');
    const region = page.getByRole('region', { name: 'Team balance' });
    await region.getByText('Buy', { exact: true }).first().click();
    await region.getByLabel('Amount in USD').fill('30');
    await region.getByRole('button', { name: 'Buy' }).click();
    // A page with the way to pay (the console's forms post only to itself), then Stripe.
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Pay at Stripe');
    expect(await page.getByText('$30.00').count()).toBeGreaterThan(0);
    expect(await seriousViolations(page)).toEqual([]);
    const checkout = page.waitForRequest((r) => r.url().startsWith(`${standIn.base}/c/pay/cs_test_`));
    await page.getByRole('link', { name: 'Continue to Stripe Checkout' }).click();
    await checkout;
    const session = standIn.calls.find((c) => c.path === '/v1/checkout/sessions')!;
    expect(session.params).toMatchObject({ mode: 'payment', line_items: { 0: { price_data: { currency: 'usd', unit_amount: '3000' } } } });
    const org = await stripeScratch.db.prisma.organization.findUniqueOrThrow({ where: { slug: SLUG } });
    expect(org.balanceNanos).toBe(0n);
    // Stripe sends the owner back (success_url): they land on Usage, told what happens next.
    const back = await context.newPage();
    await back.goto(`${s.base}/v1/payments/stripe/return?outcome=paid&session_id=cs_test_x`);
    expect(new URL(back.url()).pathname).toBe('/usage');
    expect(await back.getByRole('status').textContent()).toContain('payment was received');
    // A program asking for JSON still gets JSON.
    const json = await s.call('GET', '/v1/payments/stripe/return?outcome=cancelled');
    expect(json.body.message).toContain('cancelled');
    await context.close();
  });

  it('shows the saved card from Stripe and each purchase with Stripe\'s status', async () => {
    const { context, page } = await s.signedIn(SLUG, 'owner-1', '/usage');
    expect(await page.getByTestId('payment-method').textContent()).toContain('none saved yet');
    // The $30.00 Checkout of the test above, not paid yet.
    const rows = () => page.getByTestId('balance-history').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).slice(1).map((td) => td.textContent)));
    expect(await rows()).toEqual([['Purchase', 'Olivia Owner', '$30.00', 'Checkout open: waiting for payment']]);
    expect(await page.getByTestId('balance-history').locator('thead').textContent()).toContain('Stripe');

    // The owner pays at Stripe with a Mastercard; Stripe's signed webhook arrives.
    const session = [...standIn.sessions.values()][0]!;
    const { completed } = standIn.payCheckout(session.id, 'pm_card_mastercard');
    const { payload, signature } = standIn.sign(completed);
    const res = await s.app.inject({ method: 'POST', url: '/v1/payments/stripe/webhook', payload, headers: { 'content-type': 'application/json', 'stripe-signature': signature } });
    expect(res.statusCode).toBe(200);
    await page.reload();
    expect(await page.getByTestId('payment-method').textContent()).toBe('Mastercard ending in 4444');
    expect(await rows()).toEqual([['Purchase', 'Olivia Owner', '$30.00', 'Paid']]);
    expect(standIn.calls.some((c) => c.method === 'GET' && c.path.startsWith('/v1/payment_methods/pm_card_mastercard'))).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'usage-team-stripe');
    await context.close();
  });
});
