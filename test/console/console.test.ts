// The console in Chromium as an owner, an admin and a member of an enterprise org on
// PGlite: signing in with a link (once), what each role is offered and what the
// server refuses when forced, errors beside their field, CSRF, the money shown equal
// to the reports API, and no serious or critical axe-core violation on any page.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, HAIKU, OPERATOR_TOKEN, teamDoc, usageOfCents } from '../support/fixtures.js';
import { usdCents } from '../../src/domain/display.js';
import { consoleHarness, csrfOf, focusedId, screenshot, seriousViolations, submitAndLand, type ConsoleHarness } from './support.js';

let scratch: Scratch;
let h: ConsoleHarness;
let key: string;
let orgId: string;
const SLUG = 'acme';

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  h = await consoleHarness(scratch.db.prisma, new Date());
  await h.provision(SLUG, enterpriseDoc({
    members: [
      ...enterpriseDoc().members,
      // Enough members for three pages of the seat-limits table.
      ...Array.from({ length: 110 }, (_, i) => ({ externalId: `m-${String(i).padStart(3, '0')}`, name: `Member ${String(i).padStart(3, '0')}`, role: 'member' as const, seatTier: 'standard' as const })),
    ],
  }));
  key = await h.issueKey(SLUG, ['usage']);
  orgId = (await scratch.db.prisma.organization.findUniqueOrThrow({ where: { slug: SLUG } })).id;
  // Some spend this month: Alice past her seat ($1.00 included) into extra usage, Bob on his seat.
  for (const [member, cents, n] of [['alice', 250, 1], ['bob', 120, 2], ['m-007', 180, 3]] as const) {
    const res = await h.call('POST', '/v1/usage/record', { token: key, body: { requestId: `r-${n}`, member, model: HAIKU, usage: usageOfCents(cents) } });
    expect(res.status).toBe(200);
  }
}, 60_000);
afterAll(async () => {
  await h?.shutdown();
  await scratch?.dispose();
});

/** What a refused action must leave as it was. */
async function state() {
  const db = scratch.db.prisma;
  const [org, members, audit] = await Promise.all([
    db.organization.findUniqueOrThrow({ where: { id: orgId } }),
    db.member.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    db.auditEntry.count({ where: { orgId, NOT: { action: { startsWith: 'sign_in_link' } } } }),
  ]);
  return JSON.stringify({ org, members, audit }, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
}

describe('signing in', () => {
  it('a link opens a page with a button (a previewer fetching it uses nothing); the button signs in once', async () => {
    const token = await h.linkFor(SLUG, 'owner-1');
    // A link previewer: GET only.
    const preview = await fetch(`${h.base}/signin?token=${token}`);
    expect(preview.status).toBe(200);
    expect(await scratch.db.prisma.signInLink.count({ where: { orgId, usedAt: { not: null } } })).toBe(0);

    const context = await h.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${h.base}/signin?token=${token}&next=/usage`);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'signin-link');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${h.base}/usage`);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Usage');
    const cookie = (await context.cookies()).find((c) => c.name === 'eu_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: false });

    // The same link again, in another browser: refused, and nobody is signed in.
    const other = await h.browser.newContext();
    const again = await other.newPage();
    await again.goto(`${h.base}/signin?token=${token}`);
    const [res] = await Promise.all([again.waitForResponse((r) => r.url() === `${h.base}/signin` && r.request().method() === 'POST'), again.getByRole('button', { name: 'Sign in' }).click()]);
    expect(res.status()).toBe(401);
    await expect.poll(() => again.getByRole('alert').textContent()).toContain('already been used');
    expect((await other.cookies()).find((c) => c.name === 'eu_session')).toBeUndefined();
    await again.goto(`${h.base}/usage`);
    expect(new URL(again.url()).pathname).toBe('/signin');

    // Signing out ends the browser's session.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Signed out');
    await page.goto(`${h.base}/usage`);
    expect(new URL(page.url()).pathname).toBe('/signin');
    await context.close();
    await other.close();
  });

  it('GET / sends the signed-out to sign-in, owners and admins to Usage, members to their own page', async () => {
    const anon = await fetch(`${h.base}/`, { redirect: 'manual' });
    expect(anon.status).toBe(303);
    expect(anon.headers.get('location')).toBe('/signin');
    for (const [member, path] of [['owner-1', '/usage'], ['admin-1', '/usage'], ['alice', '/me']] as const) {
      const { context, page } = await h.signedIn(SLUG, member);
      await page.goto(`${h.base}/`);
      expect(new URL(page.url()).pathname).toBe(path);
      await context.close();
    }
  });

  it('npm run console:link prints a console address that signs the first owner in (the operator\'s way in on embedded defaults)', async () => {
    const port = new URL(h.base).port;
    const { stdout } = await promisify(execFile)(process.execPath, [resolve(import.meta.dirname, '../../scripts/console-link.mjs'), SLUG, 'owner-1'], { env: { ...process.env, PORT: port, HOST: '127.0.0.1', OPERATOR_TOKEN } });
    const url = /(http:\/\/\S+)/.exec(stdout)?.[1];
    expect(url).toMatch(new RegExp(`^${h.base}/signin\\?token=[A-Za-z0-9_-]{43}$`));
    const context = await h.browser.newContext();
    const page = await context.newPage();
    await page.goto(url!);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${h.base}/usage`);
    await context.close();
  });

  it('a next that names another site is ignored', async () => {
    const { context, page } = await h.signedIn(SLUG, 'owner-1', '//evil.example/x');
    expect(new URL(page.url()).origin).toBe(h.base);
    await context.close();
  });
});

describe('Usage as the owner', () => {
  it('shows the same money as the reports API, and sets the spending cap through "Adjust limit"', async () => {
    const { context, page } = await h.signedIn(SLUG, 'owner-1', '/usage');
    const session = await h.apiSession(SLUG, 'owner-1');
    const api = (await h.call('GET', '/v1/settings/usage', { token: session })).body;
    const limits = (await h.call('GET', '/v1/reports/seat-limits', { token: session })).body;
    // The API's exact amounts, read in cents with thousands separators.
    expect(await page.getByTestId('org-cap').textContent()).toBe(usdCents(api.orgCap.cap));
    expect(await page.getByTestId('org-mtd').textContent()).toBe(usdCents(api.orgCap.monthToDateExtra));
    expect(api.orgCap.monthToDateExtra).not.toBe('0.00');
    for (const tier of api.seatTiers) {
      expect(await page.getByTestId(`tier-cap-${tier.tier}`).textContent()).toBe(tier.cap === null ? 'Unlimited' : usdCents(tier.cap));
      expect(await page.getByTestId(`tier-mtd-${tier.tier}`).textContent()).toBe(usdCents(tier.monthToDateExtra));
    }
    // Every member row on the first page (highest spend first) shows the report's limit and MTD Spend.
    const rows = page.getByTestId('members').locator('tbody tr');
    expect(await rows.count()).toBe(50);
    for (let i = 0; i < 5; i++) {
      const ext = await rows.nth(i).getAttribute('data-member');
      const m = limits.members.find((x: { externalId: string }) => x.externalId === ext);
      expect(await rows.nth(i).locator('[data-col=limit]').textContent()).toBe(m.cap === null ? 'Unlimited' : usdCents(m.cap));
      expect(await rows.nth(i).locator('[data-col=mtd]').textContent()).toBe(usdCents(m.monthToDateExtra));
    }
    expect(await rows.first().getAttribute('data-member')).toBe('alice');
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'usage-owner');

    await page.getByText('Adjust limit', { exact: false }).first().click();
    // Typed as people write money: a thousands separator and a $ are fine.
    await page.getByLabel('Organisation spending cap in USD').fill('$1,250.00');
    await page.getByRole('button', { name: 'Set cap' }).first().click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Spending cap saved');
    expect(await page.getByTestId('org-cap').textContent()).toBe('$1,250.00');
    expect((await scratch.db.prisma.organization.findUniqueOrThrow({ where: { id: orgId } })).orgMonthlyCapNanos).toBe(1_250_000_000_000n);
    const audit = await scratch.db.prisma.auditEntry.findFirstOrThrow({ where: { orgId, action: 'cap.org.set' }, orderBy: { id: 'desc' } });
    expect(audit.actor).toContain('(owner-1) via console');

    await page.getByText('Adjust limit', { exact: false }).first().click();
    await submitAndLand(page, () => page.getByRole('button', { name: 'Set to unlimited' }).first().click());
    // Confirmed first (docs/console.md): the cap is removed only by the confirmation's button.
    expect(new URL(page.url()).pathname).toBe('/usage/confirm');
    await page.getByRole('button', { name: 'Set to unlimited' }).click();
    await expect.poll(() => page.getByTestId('org-cap').textContent()).toBe('Unlimited');
    expect((await scratch.db.prisma.organization.findUniqueOrThrow({ where: { id: orgId } })).orgMonthlyCapNanos).toBeNull();
    await context.close();
  });

  it('a bad cap is shown next to its field and changes nothing', async () => {
    const { context, page } = await h.signedIn(SLUG, 'owner-1', '/usage');
    const before = await state();
    await page.getByText('Adjust limit', { exact: false }).first().click();
    const input = page.getByLabel('Organisation spending cap in USD');
    await input.fill('12.345');
    const res = await submitAndLand(page, () => page.getByRole('button', { name: 'Set cap' }).first().click());
    expect(res.status()).toBe(400);
    // Post-redirect-get: the address is the page, and the summary on top has the focus and links to the field.
    expect(new URL(page.url()).pathname).toBe('/usage');
    const summary = page.getByTestId('error-summary');
    expect(await summary.textContent()).toContain('Enter an amount in US dollars');
    expect(await focusedId(page)).toBe('error-summary');
    const again = page.getByLabel('Organisation spending cap in USD');
    expect(await summary.getByRole('link').getAttribute('href')).toBe(`#${await again.getAttribute('id')}`);
    expect(await again.inputValue()).toBe('12.345');
    expect(await again.getAttribute('aria-invalid')).toBe('true');
    const errorId = await again.getAttribute('aria-describedby');
    expect(await page.locator(`#${errorId}`).textContent()).toContain('Enter an amount in US dollars');
    expect(await state()).toBe(before);
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  });

  it('edits a member\'s limit, sets it to unlimited and changes their seat from the "…" menu', async () => {
    const { context, page } = await h.signedIn(SLUG, 'owner-1', '/usage?q=Member%20007');
    const row = page.locator('tr[data-member="m-007"]');
    await row.getByText('…').click();
    await row.getByLabel('Edit limit (USD)').fill('1,500');
    await row.getByRole('button', { name: 'Set cap' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Member limit saved');
    // The filter survives the round trip.
    expect(new URL(page.url()).searchParams.get('q')).toBe('Member 007');
    const m = () => scratch.db.prisma.member.findFirstOrThrow({ where: { orgId, externalId: 'm-007' } });
    expect((await m()).extraUsageCapNanos).toBe(1_500_000_000_000n);
    expect(await page.locator('tr[data-member="m-007"] [data-col=limit]').textContent()).toBe('$1,500.00');
    await page.locator('tr[data-member="m-007"]').getByText('…').click();
    await page.locator('tr[data-member="m-007"]').getByLabel('Seat').selectOption('premium');
    await submitAndLand(page, () => page.locator('tr[data-member="m-007"]').getByRole('button', { name: 'Change seat' }).click());
    await submitAndLand(page, () => page.getByRole('button', { name: 'Upgrade to a Premium seat' }).click());
    await expect.poll(async () => (await m()).seatTier).toBe('premium');
    expect(new URL(page.url()).searchParams.get('q')).toBe('Member 007');
    await page.locator('tr[data-member="m-007"]').getByText('…').click();
    await submitAndLand(page, () => page.locator('tr[data-member="m-007"]').getByRole('button', { name: 'Set to unlimited' }).click());
    await page.getByRole('button', { name: 'Set to unlimited' }).click();
    await expect.poll(async () => (await m()).extraUsageCapNanos).toBeNull();
    await context.close();
  });

  it('pages, sorts and filters the seat-limits table', async () => {
    {
      // A NUL byte in the filter (PostgreSQL text cannot hold one) is no filter, not a 500.
      const { context, page } = await h.signedIn(SLUG, 'owner-1', '/usage');
      const res = await page.goto(`${h.base}/usage?q=%00x`);
      expect(res?.status()).toBe(200);
      await context.close();
    }
    const { context, page } = await h.signedIn(SLUG, 'owner-1', '/usage?sort=name');
    const names = () => page.getByTestId('members').locator('tbody tr th').allTextContents();
    expect((await names())[0]).toContain('Adam Admin');
    await expect.poll(() => page.getByText(/Page 1 of 3/).count()).toBe(1);
    await page.getByRole('link', { name: 'Next page' }).click();
    await expect.poll(() => page.getByText(/Page 2 of 3/).count()).toBe(1);
    await page.getByRole('link', { name: 'Next page' }).click();
    expect((await names()).length).toBe(114 - 100);
    await page.getByLabel('Filter by name').fill('alice');
    await page.getByRole('button', { name: 'Filter' }).click();
    expect((await names()).map((n) => n.split(' (')[0])).toEqual(['Alice']);
    await context.close();
  });

  it('a POST without the CSRF token is refused and changes nothing', async () => {
    const { context, page } = await h.signedIn(SLUG, 'owner-1', '/usage');
    const before = await state();
    const res = await page.request.post(`${h.base}/usage/org-cap`, { form: { action: 'set', cap: '1.00' } });
    expect(res.status()).toBe(403);
    expect(await res.text()).toContain('expired or did not come from this site');
    // A token from another session does not fit this one either.
    const admin = await h.signedIn(SLUG, 'admin-1', '/me');
    const foreign = await csrfOf(admin.page);
    const res2 = await page.request.post(`${h.base}/usage/org-cap`, { form: { action: 'set', cap: '1.00', _csrf: foreign } });
    expect(res2.status()).toBe(403);
    expect(await state()).toBe(before);
    await admin.context.close();
    await context.close();
  });
});

describe('Usage: the switch, seat-tier caps and a team\'s balance', () => {
  it('turns extra usage to selected members and sets a seat-tier cap, audited, as the API would', async () => {
    const { context, page } = await h.signedIn(SLUG, 'owner-1', '/usage');
    await page.getByLabel('Scope', { exact: true }).selectOption('selected_members');
    await submitAndLand(page, () => page.getByRole('button', { name: 'Save' }).click());
    // Members lose extra usage: confirmed first (test/console/confirmations.test.ts has the words).
    await page.getByRole('button', { name: 'Switch to selected members' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Extra usage settings saved');
    expect(await scratch.db.prisma.organization.findUniqueOrThrow({ where: { id: orgId } })).toMatchObject({ extraUsageEnabled: true, extraUsageScope: 'selected_members' });
    // Members now get an on/off switch of their own.
    const bob = page.locator('tr[data-member="bob"]');
    await bob.getByText('…').click();
    await bob.getByRole('button', { name: /Turn extra usage (on|off)/ }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Member extra usage saved');

    const row = page.getByRole('row', { name: /Premium/ }).filter({ has: page.getByTestId('tier-cap-premium') });
    await row.getByText('Adjust limit').click();
    await row.getByLabel(/Premium seats' spending cap in USD/).fill('80.5');
    await row.getByRole('button', { name: 'Set cap' }).click();
    await expect.poll(() => page.getByTestId('tier-cap-premium').textContent()).toBe('$80.50');
    const api = (await h.call('GET', '/v1/settings/usage', { token: await h.apiSession(SLUG, 'owner-1') })).body;
    expect(api.seatTiers.find((t: { tier: string }) => t.tier === 'premium').cap).toBe('80.50');
    expect(await scratch.db.prisma.auditEntry.count({ where: { orgId, action: { in: ['extra_usage.set', 'cap.tier.set', 'extra_usage.member.set'] }, actor: { contains: 'via console' } } })).toBe(3);

    // Back as it was for the other tests.
    await page.getByLabel('Scope', { exact: true }).selectOption('all_members');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(async () => (await scratch.db.prisma.organization.findUniqueOrThrow({ where: { id: orgId } })).extraUsageScope).toBe('all_members');
    await context.close();
  });

  it('shows a team\'s prepaid balance and auto-reload exactly as the settings API, and no seat-tier caps', async () => {
    await h.provision('small', teamDoc());
    const { context, page } = await h.signedIn('small', 'owner-1', '/usage');
    const api = (await h.call('GET', '/v1/settings/usage', { token: await h.apiSession('small', 'owner-1') })).body;
    expect(await page.getByTestId('balance').textContent()).toBe(usdCents(api.prepaid.balance));
    const balanceCard = await page.getByRole('region', { name: 'Team balance' }).textContent();
    expect(balanceCard).toContain(`reload when balance reaches ${usdCents(api.prepaid.autoReload.threshold)} with ${usdCents(api.prepaid.autoReload.amount)}`);
    expect(await page.getByRole('heading', { name: 'Spending cap per seat tier' }).count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  });
});

describe('Usage as an admin (read-only)', () => {
  it('shows the settings without any form that changes them, and the server refuses a forced change with 403', async () => {
    const { context, page } = await h.signedIn(SLUG, 'admin-1', '/usage');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Usage');
    expect(await page.getByText('Adjust limit').count()).toBe(0);
    expect(await page.locator('form[method=post][action^="/usage/"]').count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'usage-admin');

    const before = await state();
    const csrf = await csrfOf(page);
    const alice = (await scratch.db.prisma.member.findFirstOrThrow({ where: { orgId, externalId: 'alice' } })).id;
    for (const [url, form] of [
      ['/usage/org-cap', { action: 'set', cap: '1.00' }],
      ['/usage/member-cap', { member: alice, action: 'unlimited' }],
      ['/usage/extra-usage', { enabled: 'off', scope: 'all_members' }],
      ['/usage/member-seat', { member: alice, seatTier: 'premium' }],
    ] as const) {
      const res = await page.request.post(`${h.base}${url}`, { form: { ...form, _csrf: csrf } });
      expect(res.status(), url).toBe(403);
      expect(await res.text()).toContain('only an owner can change extra usage settings');
    }
    expect(await state()).toBe(before);
    await context.close();
  });
});

describe('as a member', () => {
  it('sees their own usage, is kept out of Usage and Requests, and is refused a forced change', async () => {
    const { context, page } = await h.signedIn(SLUG, 'alice');
    expect(new URL(page.url()).pathname).toBe('/me');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('My usage');
    expect(await page.getByRole('link', { name: 'Usage', exact: true }).count()).toBe(0);
    // Alice spent $1.50 of extra usage against her $50.00 limit.
    const limits = (await h.call('GET', '/v1/reports/seat-limits', { token: await h.apiSession(SLUG, 'owner-1') })).body;
    const mine = limits.members.find((m: { externalId: string }) => m.externalId === 'alice');
    await expect.poll(() => page.getByRole('row', { name: /Your monthly limit/ }).textContent()).toContain(`$${mine.monthToDateExtra}`);
    expect(await page.getByRole('row', { name: /Your monthly limit/ }).textContent()).toContain('$50.00');
    expect(await page.getByTestId('next').textContent()).toContain('You are on extra usage');
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'me-member');

    await page.goto(`${h.base}/usage`);
    expect(new URL(page.url()).pathname).toBe('/me');
    await page.goto(`${h.base}/requests`);
    expect(new URL(page.url()).pathname).toBe('/me');

    const before = await state();
    const csrf = await csrfOf(page);
    const res = await page.request.post(`${h.base}/usage/org-cap`, { form: { action: 'unlimited', _csrf: csrf } });
    expect(res.status()).toBe(403);
    expect(await state()).toBe(before);
    await context.close();
  });
});

describe('public pages', () => {
  it('privacy and terms carry the default text and pass axe', async () => {
    const context = await h.browser.newContext();
    const page = await context.newPage();
    for (const [path, heading] of [['/privacy', 'Privacy'], ['/terms', 'Terms of use'], ['/signin', 'Sign in to Extra usage']] as const) {
      const res = await page.goto(`${h.base}${path}`);
      expect(res!.status()).toBe(200);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(heading);
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, path.slice(1));
    }
    await context.close();
  });

  it('the JSON API still refuses a form body with 415 (the console\'s parsers stay in the console)', async () => {
    const res = await fetch(`${h.base}/v1/sign-in`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=x' });
    expect(res.status).toBe(415);
  });
});
