// Billing in Chromium: an Enterprise org with two closed months (the later one with
// late usage of the earlier as an adjustment) and a Team org with a statement. The
// list, a month, its CSV (names with commas and quotes, a name a spreadsheet would run
// as a formula) and its printable page rendered to PDF all carry the amounts of
// GET /v1/invoices for the same org; a month not closed is a 404 page that says why;
// admins see billing, members are neither offered it nor let in.
import { randomUUID } from 'node:crypto';
import { extractText, getDocumentProxy } from 'unpdf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textCell, toCsv } from '../../src/console/csv.js';
import { previousPeriod } from '../../src/domain/invoices.js';
import { periodOf, periodStart } from '../../src/domain/periods.js';
import { creditBalance } from '../../src/ledger/settings/balance.js';
import { closeMonth } from '../../src/ledger/reports/invoices.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, HAIKU, teamDoc, usageOfCents } from '../support/fixtures.js';
import { consoleHarness, screenshot, seriousViolations, type ConsoleHarness } from './support.js';

const DAY = 86_400_000;
let scratch: Scratch;
let h: ConsoleHarness;
let acme: string;
let small: string;
// The two months before this one in Europe/Paris: closed by the test, so it holds on any date.
const now = new Date();
const thisMonth = periodOf(now, 'Europe/Paris');
const later = previousPeriod(thisMonth);
const earlier = previousPeriod(later);
const dayOf = (period: string, day: number, tz = 'Europe/Paris') => new Date(periodStart(period, tz).getTime() + day * DAY).toISOString();
const JO = 'Smith, "Jo"';
const FORMULA = '=SUM(1+1)';

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  const db = scratch.db.prisma;
  h = await consoleHarness(db, now);
  await h.provision('acme', enterpriseDoc({
    members: [
      ...enterpriseDoc().members,
      { externalId: 'jo', name: JO, role: 'member', seatTier: 'standard' },
      { externalId: 'formula', name: FORMULA, role: 'member', seatTier: 'standard' },
    ],
  }));
  const key = await h.issueKey('acme', ['usage']);
  acme = (await db.organization.findUniqueOrThrow({ where: { slug: 'acme' } })).id;
  let n = 0;
  const record = async (member: string, usage: object, at: string, product: string) => {
    const res = await h.call('POST', '/v1/usage/record', { token: key, body: { requestId: `b-${n++}`, member, model: HAIKU, usage, at, product } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  };
  // Each member's standard seat includes $1.00: Alice 1.50 extra on Claude Code, Jo 0.800035
  // on Claude (7 output tokens past a whole cent: the line stays exact, the total is rounded).
  await record('alice', usageOfCents(250), dayOf(earlier, 9), 'claude_code');
  await record('jo', { input_tokens: 0, output_tokens: 180 * 2_000 + 7 }, dayOf(earlier, 9), 'claude');
  await record('formula', usageOfCents(110), dayOf(earlier, 9), 'claude');
  await closeMonth(db, acme, earlier, periodStart(later, 'Europe/Paris'));
  // Recorded after the earlier month closed: billed on the later one as an adjustment.
  await record('alice', usageOfCents(130), dayOf(earlier, 20), 'claude_code');
  await record('jo', usageOfCents(300), dayOf(later, 3), 'claude');
  await closeMonth(db, acme, later, now);

  await h.provision('small', teamDoc({ autoReload: { enabled: false } }));
  small = (await db.organization.findUniqueOrThrow({ where: { slug: 'small' } })).id;
  const smallOrg = await db.organization.findUniqueOrThrow({ where: { id: small } });
  const { entry } = await creditBalance(db, smallOrg, { kind: 'purchase', amountNanos: 25_000_000_000n, idempotencyKey: randomUUID(), actor: 'test' });
  await db.balanceEntry.update({ where: { id: entry.id }, data: { createdAt: new Date(dayOf(later, 1, 'UTC')) } });
  const smallKey = await h.issueKey('small', ['usage']);
  const res = await h.call('POST', '/v1/usage/record', { token: smallKey, body: { requestId: 's-1', member: 'alice', model: HAIKU, usage: usageOfCents(345), at: dayOf(later, 2, 'UTC') } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  await closeMonth(db, small, later, now);
}, 120_000);
afterAll(async () => {
  await h?.shutdown();
  await scratch?.dispose();
});

const apiGet = async (slug: string, member: string, url: string) => {
  const res = await h.call('GET', url, { token: await h.apiSession(slug, member) });
  expect(res.status).toBe(200);
  return res.body;
};
const texts = (loc: import('playwright-core').Locator) => loc.allTextContents();

/** RFC 4180 fields of a CSV (quoted fields may hold commas, doubled quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\r' && text[i + 1] === '\n') row.push(cell), rows.push(row), (row = []), (cell = ''), i++;
    else cell += c;
  }
  return rows;
}

describe('billing as an owner', () => {
  it('lists the closed months newest first with the totals of GET /v1/invoices, and opens a month with its exact lines', async () => {
    const api = await apiGet('acme', 'owner-1', '/v1/invoices');
    const { context, page } = await h.signedIn('acme', 'owner-1', '/usage');
    await page.getByRole('link', { name: 'Billing' }).click();
    await page.waitForURL(`${h.base}/billing`);
    expect(await page.locator('[data-month]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-month')))).toEqual([later, earlier]);
    expect(await texts(page.locator('[data-month] [data-amount]'))).toEqual(api.invoices.map((i: { total: string }) => `$${i.total}`));
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'billing');

    const invoice = await apiGet('acme', 'owner-1', `/v1/invoices/${earlier}`);
    expect(invoice.total).toBe('2.40');
    expect(invoice.subtotal).toBe('2.400035');
    await page.locator(`[data-month="${earlier}"] a`).first().click();
    await page.waitForURL(`${h.base}/billing/${earlier}`);
    expect(await page.getByTestId('total').textContent()).toBe(`$${invoice.total}`);
    expect(await page.getByTestId('subtotal').textContent()).toBe(`$${invoice.subtotal}`);
    expect(await texts(page.locator('[data-line] [data-amount]'))).toEqual(invoice.lines.map((l: { amount: string }) => `$${l.amount}`));
    expect(await texts(page.locator('[data-line] td:first-child'))).toContain(`${JO} · ${HAIKU} · claude`);
    const byModel = await page.getByTestId('by-model').innerText();
    expect(byModel).toContain('claude_code');
    expect(byModel).toContain('$1.50');
    expect(byModel).toContain('$0.900035');
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'billing-month');

    // The later month: its own usage, and the earlier month's late usage as an adjustment.
    const laterInvoice = await apiGet('acme', 'owner-1', `/v1/invoices/${later}`);
    await page.goto(`${h.base}/billing/${later}`);
    expect(await page.getByTestId('total').textContent()).toBe(`$${laterInvoice.total}`);
    const late = page.getByRole('table', { name: 'Late usage of earlier months' });
    expect(await late.innerText()).toContain('$0.30');
    expect(laterInvoice.lines.find((l: { kind: string }) => l.kind === 'adjustment').amount).toBe('0.30');
    await context.close();
  });

  it('downloads the month as CSV: names with commas and quotes quoted, formulas defused, amounts as the API', async () => {
    const invoice = await apiGet('acme', 'owner-1', `/v1/invoices/${earlier}`);
    const { context, page } = await h.signedIn('acme', 'owner-1', `/billing/${earlier}`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).toBe(`invoice-acme-${earlier}.csv`);
    const text = await (await import('node:fs/promises')).readFile((await download.path())!, 'utf8');
    expect(text).toContain(`"${JO.replace(/"/g, '""')} · ${HAIKU} · claude"`);
    const rows = parseCsv(text);
    expect(rows[0]).toEqual(['month', 'document', 'kind', 'description', 'model', 'product', 'usage_month', 'requests', 'amount_usd']);
    const lines = rows.slice(1).filter((r) => r[2] === 'usage');
    expect(lines.map((r) => [r[3], r[8]])).toEqual(invoice.lines.map((l: { description: string; amount: string }) => [l.description.startsWith('=') ? `'${l.description}` : l.description, l.amount]));
    expect(lines.map((r) => r[3])).toContain(`'${FORMULA} · ${HAIKU} · claude`);
    expect(rows.find((r) => r[2] === 'total')?.[8]).toBe(invoice.total);
    expect(rows.find((r) => r[2] === 'subtotal')?.[8]).toBe(invoice.subtotal);
    await context.close();
  });

  it('prints the month: Chromium renders the printable page to a PDF whose text holds the total', async () => {
    const invoice = await apiGet('acme', 'owner-1', `/v1/invoices/${earlier}`);
    const { context, page } = await h.signedIn('acme', 'owner-1', `/billing/${earlier}`);
    await page.getByRole('link', { name: 'Printable page' }).click();
    await page.waitForURL(`${h.base}/billing/${earlier}/print`);
    expect(await seriousViolations(page)).toEqual([]);
    await page.emulateMedia({ media: 'print' });
    const pdf = await page.pdf({ format: 'A4' });
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const { text, totalPages } = await extractText(await getDocumentProxy(new Uint8Array(pdf)), { mergePages: true });
    expect(totalPages).toBeGreaterThanOrEqual(1);
    expect(text).toContain(`$${invoice.total}`);
    expect(text).toContain('Acme');
    expect(text).toContain(JO);
    // The console's nav is not printed.
    expect(text).not.toContain('Sign out');
    await context.close();
  });

  it('a month not closed answers 404 with a page saying why (the "invoice ready" link shape)', async () => {
    const { context, page } = await h.signedIn('acme', 'owner-1', '/billing');
    const open = await page.goto(`${h.base}/billing/${thisMonth}`);
    expect(open!.status()).toBe(404);
    expect(await page.getByTestId('not-closed').textContent()).toContain('has not ended in Europe/Paris');
    expect(await seriousViolations(page)).toEqual([]);
    const old = await page.goto(`${h.base}/billing/2001-01`);
    expect(old!.status()).toBe(404);
    expect(await page.getByTestId('not-closed').textContent()).toContain('has not been closed');
    for (const path of [`/billing/${thisMonth}.csv`, `/billing/${thisMonth}/print`, '/billing/2026-13', '/billing/latest']) {
      expect((await page.request.get(`${h.base}${path}`)).status(), path).toBe(404);
    }
    await context.close();
  });

  it('a Team statement: opening and closing balance, purchases and consumption as the API', async () => {
    const statement = await apiGet('small', 'owner-1', `/v1/invoices/${later}`);
    expect(statement).toMatchObject({ kind: 'statement', openingBalance: '0.00', purchases: '25.00', consumption: '2.45', closingBalance: '22.55' });
    const { context, page } = await h.signedIn('small', 'owner-1', `/billing/${later}`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain('Statement for');
    expect(await page.getByTestId('opening').textContent()).toBe(`$${statement.openingBalance}`);
    expect(await page.getByTestId('closing').textContent()).toBe(`$${statement.closingBalance}`);
    expect(await page.getByTestId('total').textContent()).toBe(`$${statement.total}`);
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  });
});

describe('who sees billing', () => {
  it('an admin opens it; a member is not offered it and is refused with 403 on every billing address', async () => {
    const admin = await h.signedIn('acme', 'admin-1', '/usage');
    await admin.page.getByRole('link', { name: 'Billing' }).click();
    await admin.page.waitForURL(`${h.base}/billing`);
    for (const path of [`/billing/${earlier}`, `/billing/${earlier}.csv`, `/billing/${earlier}/print`]) {
      expect((await admin.page.request.get(`${h.base}${path}`)).status(), path).toBe(200);
    }
    await admin.context.close();

    const member = await h.signedIn('acme', 'alice', '/me');
    expect(await member.page.getByRole('link', { name: 'Billing' }).count()).toBe(0);
    for (const path of ['/billing', `/billing/${earlier}`, `/billing/${earlier}.csv`, `/billing/${earlier}/print`, `/billing/${thisMonth}`]) {
      const res = await member.page.request.get(`${h.base}${path}`);
      expect(res.status(), path).toBe(403);
      expect(await res.text()).not.toContain('$');
    }
    await member.context.close();
  });
});

describe('CSV writing', () => {
  it('quotes commas, quotes and line breaks (RFC 4180), defuses formulas in text, leaves amounts alone', () => {
    const text = toCsv([['name', 'amount'], [textCell('Smith, "Jo"'), '-1.50'], [textCell('two\nlines'), '0.000000001'], [textCell('@cmd'), null]]);
    expect(text).toBe(`name,amount\r\n"Smith, ""Jo""",-1.50\r\n"two\nlines",0.000000001\r\n'@cmd,\r\n`);
    expect(parseCsv(text)).toEqual([['name', 'amount'], ['Smith, "Jo"', '-1.50'], ['two\nlines', '0.000000001'], ["'@cmd", '']]);
  });
});
