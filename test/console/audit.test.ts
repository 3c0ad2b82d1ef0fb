// The audit log in Chromium: an owner pages from the newest entry back to the first
// (the same entries, in the same order, as GET /v1/reports/audit-log, sign-ins hidden
// until asked for), reads each entry as a sentence with names and cents, opens the raw
// entry (amounts as the API's dollars), filters by actor, action and dates (bad dates
// shown beside their field, 400); admins and members are not offered it and are
// refused (403).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc } from '../support/fixtures.js';
import { consoleHarness, screenshot, seriousViolations, type ConsoleHarness } from './support.js';

let scratch: Scratch;
let h: ConsoleHarness;
let orgId: string;
const TZ = 'Europe/Paris';
interface ApiEntry { id: string; actor: string; action: string; createdAt: string; before: unknown; after: unknown }
let all: ApiEntry[];
let ownerToken: string;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  h = await consoleHarness(scratch.db.prisma, new Date());
  await h.provision('acme', enterpriseDoc());
  orgId = (await scratch.db.prisma.organization.findUniqueOrThrow({ where: { slug: 'acme' } })).id;
  // More changes than one page holds: three pages: the owner's cap changes and a seat change.
  const owner = await h.apiSession('acme', 'owner-1');
  for (let i = 0; i < 110; i++) {
    const res = await h.call('PUT', '/v1/settings/caps/org', { token: owner, body: { cap: `${100 + i}.45` } });
    expect(res.status).toBe(200);
  }
  expect((await h.call('PUT', '/v1/settings/members/alice/seat', { token: owner, body: { seatTier: 'premium' } })).status).toBe(200);
  ownerToken = owner;
  all = await apiLog();
}, 60_000);

/** The whole log from the API, paged the API's way (signing in adds entries: read it after). */
async function apiLog(): Promise<ApiEntry[]> {
  const out: ApiEntry[] = [];
  let before: string | null = null;
  do {
    const res: { status: number; body: { entries: ApiEntry[]; nextCursor: string | null } } = await h.call('GET', `/v1/reports/audit-log?limit=20${before ? `&before=${before}` : ''}`, { token: ownerToken });
    expect(res.status).toBe(200);
    out.push(...res.body.entries);
    before = res.body.nextCursor;
  } while (before);
  return out;
}
afterAll(async () => {
  await h?.shutdown();
  await scratch?.dispose();
});

const SIGN_INS = ['sign_in_link.issue', 'sign_in_link.use', 'sign_in_link.refuse', 'console.sign_in'];
const changes = (entries: ApiEntry[]) => entries.filter((e) => !SIGN_INS.includes(e.action));
const idsOn = (page: import('playwright-core').Page) => page.locator('[data-entry]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-entry')!));
/** Decimal dollar strings anywhere in an API value ("160.45"). */
const dollarsIn = (v: unknown) => [...JSON.stringify(v ?? null).matchAll(/"(-?\d+\.\d{2,9})"/g)].map((m) => `$${m[1]}`).sort();
const localDay = (iso: string) => new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(iso));

describe('the audit log as an owner', () => {
  it('pages from the newest entry back to the first, the same entries as the API, amounts in dollars', async () => {
    expect(all.length).toBeGreaterThan(100);
    const { context, page } = await h.signedIn('acme', 'owner-1', '/usage');
    all = await apiLog();
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.waitForURL(`${h.base}/audit`);
    expect(await seriousViolations(page)).toEqual([]);

    // Each entry is a sentence: who by name, amounts in cents; no id, no action code, no ISO instant.
    const newest = changes(all)[0]!;
    expect(newest.action).toBe('member.seat_tier.set');
    const newestRow = page.locator(`[data-entry="${newest.id}"]`);
    expect(await newestRow.locator('[data-sentence]').textContent()).toBe('Olivia Owner moved Alice from a Standard seat to a Premium seat.');
    const capRow = page.locator(`[data-entry="${changes(all)[1]!.id}"]`);
    expect(await capRow.locator('[data-sentence]').textContent()).toBe("Olivia Owner raised the organisation's spending cap from $208.45 to $209.45.");
    const visible = await page.locator('main').innerText();
    expect(visible).not.toMatch(/member:|cap\.org\.set|seat_tier|\d{4}-\d{2}-\d{2}T|seatTier/);
    // The raw entry, one click away: the action, the actor's label, amounts exactly the API's dollar strings.
    await capRow.getByText('Raw entry').click();
    expect(await capRow.locator('[data-raw]').innerText()).toContain('cap.org.set');
    expect(await capRow.locator('[data-raw]').innerText()).toContain('(owner-1)');
    for (const entry of changes(all).slice(0, 50)) {
      const row = page.locator(`[data-entry="${entry.id}"]`);
      expect((await row.locator('[data-after]').textContent())!.match(/\$-?\d+\.\d+/g)?.sort() ?? [], entry.action).toEqual(dollarsIn(entry.after));
      expect((await row.locator('[data-before]').textContent())!.match(/\$-?\d+\.\d+/g)?.sort() ?? [], entry.action).toEqual(dollarsIn(entry.before));
    }

    const seen: string[] = [];
    for (;;) {
      seen.push(...(await idsOn(page)));
      const older = page.getByRole('link', { name: 'Older entries' });
      if ((await older.count()) === 0) break;
      await older.click();
      await page.waitForURL(/before=/);
    }
    // Sign-ins hidden: every other entry, in the API's order.
    expect(all.some((e) => SIGN_INS.includes(e.action))).toBe(true);
    expect(seen).toEqual(changes(all).map((e) => e.id));
    expect(await page.getByTestId('first-entry').count()).toBe(1);
    // The last page (the org's first changes) is the screenshot: short, and every kind of entry.
    await screenshot(page, 'audit');
    // The first entry is the provisioning's: ledger nanos shown as dollars, never as nanos.
    const first = page.locator(`[data-entry="${all.at(-1)!.id}"]`);
    expect(await first.innerText()).not.toMatch(/\d{10,}/);
    await page.getByRole('link', { name: 'Newest entries' }).click();
    expect((await idsOn(page))[0]).toBe(newest.id);

    // Sign-ins behind the filter: ticked, they are there too, in words.
    await page.getByLabel('Show sign-ins').check();
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/signins=1/);
    all = await apiLog();
    expect(await idsOn(page)).toEqual(all.slice(0, 50).map((e) => e.id));
    const signIn = all.find((e) => e.action === 'sign_in_link.use')!;
    expect(await page.locator(`[data-entry="${signIn.id}"] [data-sentence]`).textContent()).toBe('Olivia Owner signed in with a link.');
    await context.close();
  });

  it('filters by actor, action and dates; bad dates are shown beside their field with 400', async () => {
    const { context, page } = await h.signedIn('acme', 'owner-1', '/audit');
    await page.getByLabel('Action').selectOption('member.seat_tier.set');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/action=member.seat_tier.set/);
    expect(await idsOn(page)).toEqual(all.filter((e) => e.action === 'member.seat_tier.set').map((e) => e.id));

    await page.goto(`${h.base}/audit?actor=OWNER-1&action=cap.org.set`);
    const byOwner = all.filter((e) => e.action === 'cap.org.set' && e.actor.includes('(owner-1)'));
    expect(byOwner.length).toBe(110);
    expect(await idsOn(page)).toEqual(byOwner.slice(0, 50).map((e) => e.id));
    await page.getByRole('link', { name: 'Older entries' }).click();
    await page.waitForURL(/before=.*actor=|actor=.*before=/);
    expect(await idsOn(page)).toEqual(byOwner.slice(50, 100).map((e) => e.id));

    const from = localDay(all.at(-1)!.createdAt);
    const to = localDay(all[0]!.createdAt);
    await page.goto(`${h.base}/audit?from=${from}&to=${to}&action=member.seat_tier.set`);
    expect((await idsOn(page)).length).toBe(1);
    await page.goto(`${h.base}/audit?from=2001-01-01&to=2001-01-31`);
    expect(await page.getByTestId('no-entries').textContent()).toContain('No entries match');

    await page.goto(`${h.base}/audit`);
    await page.getByLabel(/^From/).fill('2026-02-30');
    const [res] = await Promise.all([page.waitForResponse((r) => r.url().includes('/audit?')), page.getByRole('button', { name: 'Filter' }).click()]);
    expect(res.status()).toBe(400);
    const fromInput = page.getByLabel(/^From/);
    expect(await fromInput.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator(`#${await fromInput.getAttribute('aria-describedby')}`).textContent()).toContain('YYYY-MM-DD');
    expect(await page.locator('[data-entry]').count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);

    const backwards = await page.goto(`${h.base}/audit?from=2026-03-10&to=2026-03-01`);
    expect(backwards!.status()).toBe(400);
    const toInput = page.getByLabel('To (inclusive)');
    expect(await page.locator(`#${await toInput.getAttribute('aria-describedby')}`).textContent()).toContain('before the start date');
    await context.close();
  });
});

describe('who reads the audit log', () => {
  it('owners only, as the API: an admin and a member are not offered it and are refused with 403', async () => {
    for (const who of ['admin-1', 'alice']) {
      const { context, page } = await h.signedIn('acme', who, '/me');
      expect(await page.getByRole('link', { name: 'Audit log' }).count(), who).toBe(0);
      const res = await page.request.get(`${h.base}/audit`);
      expect(res.status(), who).toBe(403);
      expect(await res.text()).not.toContain('cap.org.set');
      await context.close();
    }
    // The API says the same to the admin.
    expect((await h.call('GET', '/v1/reports/audit-log', { token: await h.apiSession('acme', 'admin-1') })).status).toBe(403);
  });
});
