// One vocabulary, the help article's, and values that tell the truth, on every page each
// role is offered (an Enterprise org's owner, admin and member, a Team org's owner), in
// Chromium: the old terms the console used to show are listed below and none may
// appear in what a page shows; extra usage off reads as off, a member at their limit as
// "Paused until" the month's end, spend in cents (the exact figure in a title) against a
// bar, at risk from 80% in words; money typed as "1,500" or "$1,500.00" is taken.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, HAIKU, teamDoc, usageOfCents } from '../support/fixtures.js';
import { consoleHarness, submitAndLand, type ConsoleHarness } from './support.js';

/** What the console used to say, and why it no longer may. */
const OLD_TERMS: [string, RegExp][] = [
  ['"Set limit": the article says "Set cap" for org, tier and member alike', /\bSet limit\b/],
  ['"MTD extra spend": the article says "MTD Spend"', /MTD extra spend/i],
  ['"Monthly cap": the article says "Spending cap"', /Monthly cap/],
  ['"Seat-tier caps"', /Seat-tier caps?/i],
  ['"Monthly limit for the organisation": the article says "Spending cap"', /Monthly limit for the organisation/],
  ['a seat tier in lower case ("standard seat"): tiers are written "Standard" and "Premium"', /\b(standard|premium) seats?\b/],
  ['a window in minutes ("Included per 300 min", "300-minute window"): durations in words', /\bper \d+ min\b|\d+-minute window/],
  ['a month as YYYY-MM ("2026-12"): months in words', /\b20\d\d-(0[1-9]|1[0-2])\b(?!-\d)/],
  ['an amount without thousands separators ("$1000.00")', /\$\d{4,}/],
  ['an amount past the cent where people read cents ("$3.703701"); the exact figure only as "(… exactly)"', /\$[\d,]+\.\d{3,}(?!\d)(?! exactly)/],
  ['"Paused" without until when', /\bPaused\b(?! until)/],
  ['an id, an action code or an ISO instant', /member:[0-9a-f]{8}|\b(cap\.org\.set|request\.decided|sign_in_link\.\w+)\b|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/],
  ['"waiting less than a minute" (a decided request is not waiting)', /waiting less than a minute/],
];

let scratch: Scratch;
let h: ConsoleHarness;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  h = await consoleHarness(scratch.db.prisma, new Date());
  const base = enterpriseDoc();
  await h.provision('acme', enterpriseDoc({
    extraUsage: { ...base.extraUsage, enabled: true, scope: 'selected_members' },
    members: [
      ...base.members.map((m) => (m.externalId === 'bob' ? { ...m, extraUsageEnabled: false } : { ...m, extraUsageEnabled: true })),
      { externalId: 'carol', name: 'Carol', role: 'member', seatTier: 'standard', extraUsageCap: '10.00', extraUsageEnabled: true },
      { externalId: 'dave', name: 'Dave', role: 'member', seatTier: 'premium', extraUsageEnabled: true },
    ],
  }));
  await h.provision('tiny', teamDoc());
  const key = await h.issueKey('acme', ['usage']);
  // Alice: $1.00 included + $50.00 extra, her whole limit: paused. Carol: $8.50 of her $10.00: at risk.
  // Dave: $3.00 included + $0.703701 extra (3,703,701 input tokens at $1 per million).
  const usage: [string, object][] = [['alice', usageOfCents(5100)], ['carol', usageOfCents(950)], ['dave', { input_tokens: 3_703_701, output_tokens: 0 }]];
  for (const [i, [member, u]] of usage.entries()) {
    const res = await h.call('POST', '/v1/usage/record', { token: key, body: { requestId: `v-${i}`, member, model: HAIKU, usage: u } });
    expect(res.status, member).toBe(200);
  }
}, 60_000);
afterAll(async () => {
  await h?.shutdown();
  await scratch?.dispose();
});

const navLinks = (page: Page) => page.locator('header nav a').evaluateAll((links) => links.map((a) => new URL((a as HTMLAnchorElement).href).pathname));

/** The old terms in what the page shows (innerText: what is rendered, not a closed <details>, a title or an input's value). */
async function oldTermsOn(page: Page): Promise<string[]> {
  const text = await page.locator('body').innerText();
  return OLD_TERMS.filter(([, re]) => re.test(text)).map(([why, re]) => `${why}: "${re.exec(text)![0]}"`);
}

describe('one vocabulary on every page', () => {
  for (const [slug, member, role] of [['acme', 'owner-1', 'owner'], ['acme', 'admin-1', 'admin'], ['acme', 'alice', 'member'], ['tiny', 'owner-1', 'Team owner']] as const) {
    it(`as ${role}: no page shows an old term`, { timeout: 120_000 }, async () => {
      const { context, page } = await h.signedIn(slug, member);
      try {
        const extra = slug === 'acme' && member !== 'alice' ? ['/spend/members/alice', '/spend/members/dave'] : [];
        const pages = [...new Set([...(await navLinks(page)), ...extra, '/privacy', '/terms'])];
        expect(pages.length).toBeGreaterThan(2);
        const found: string[] = [];
        for (const path of pages) {
          await page.goto(`${h.base}${path}`);
          // Every panel open, so what an owner reads when they open one is checked too (the raw audit entry stays closed: it is the exact record).
          await page.locator('details:not(:has([data-raw]))').evaluateAll((all) => all.forEach((d) => d.setAttribute('open', '')));
          for (const term of await oldTermsOn(page)) found.push(`${path}: ${term}`);
        }
        expect(found).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }
});

describe('values that tell the truth', () => {
  it('the members table: off is off, a reached limit pauses until the month ends, spend in cents with the exact figure in its title, bars at risk from 80% in words', async () => {
    const { context, page } = await h.signedIn('acme', 'owner-1', '/usage');
    try {
      const row = (ext: string) => page.locator(`[data-testid=members] tr[data-member="${ext}"]`);
      // Bob's extra usage is off: his status says so, not "Active", and no bar measures a limit he cannot use.
      expect(await row('bob').locator('[data-col=status]').innerText()).toBe('Extra usage off');
      expect(await row('bob').locator('[data-cap-use]').count()).toBe(0);
      // Alice spent her whole $50.00: paused until the 1st of next month, in Paris.
      expect(await row('alice').locator('[data-col=status]').innerText()).toMatch(/^Paused until 1 [A-Z][a-z]{2} 20\d\d$/);
      expect(await row('alice').locator('[data-cap-use]').innerText()).toBe('100% used: reached');
      // Carol: $8.50 of $10.00 is at risk, in words and highlighted, and still active.
      expect(await row('carol').locator('[data-cap-use]').innerText()).toBe('85% used: at risk');
      expect(await row('carol').getAttribute('class')).toContain('cap-at-risk');
      expect(await row('carol').locator('[data-col=status]').innerText()).toBe('Active');
      expect(await row('carol').locator('meter').getAttribute('aria-label')).toBe("Carol's limit: 85% used");
      // Dave: $0.703701 extra reads $0.70; the exact figure is in the cell's title.
      const daveMtd = row('dave').locator('[data-col=mtd]');
      expect(await daveMtd.innerText()).toBe('$0.70');
      expect(await daveMtd.locator('[title]').getAttribute('title')).toBe('$0.703701 exactly');
      // The org's cap with separators, and its window in words.
      expect(await page.getByTestId('org-cap').innerText()).toBe('$1,000.00');
      expect(await page.getByRole('region', { name: 'Spending cap per seat tier' }).innerText()).toContain('$1.00 per 5 hours');
    } finally {
      await context.close();
    }
  });

  it('a member reads their month in words, their window in hours and the exact spend where it matters', async () => {
    const { context, page } = await h.signedIn('acme', 'dave', '/me');
    try {
      const text = await page.locator('main').innerText();
      expect(text).toMatch(/· (January|February|March|April|May|June|July|August|September|October|November|December) 20\d\d \(Europe\/Paris\)/);
      expect(text).toContain('used in this window of 5 hours');
      expect(text).toContain('$0.70 ($0.703701 exactly)');
    } finally {
      await context.close();
    }
  });

  it('money typed with a thousands separator and a $ is taken exactly; a comma out of place is refused beside its field', async () => {
    const { context, page } = await h.signedIn('acme', 'owner-1', '/usage');
    try {
      const org = () => scratch.db.prisma.organization.findUniqueOrThrow({ where: { slug: 'acme' } });
      const tier = page.getByRole('row', { name: /Standard/ }).filter({ has: page.getByTestId('tier-cap-standard') });
      await tier.getByText('Adjust limit').click();
      await tier.getByLabel(/Standard seats' spending cap in USD/).fill('1,500');
      await tier.getByRole('button', { name: 'Set cap' }).click();
      await expect.poll(() => page.getByTestId('tier-cap-standard').innerText()).toBe('$1,500.00');
      expect((await org()).standardTierCapNanos).toBe(1_500_000_000_000n);

      await page.getByText('Adjust limit', { exact: false }).first().click();
      await page.getByLabel('Organisation spending cap in USD').fill('1,50');
      // Post-redirect-get: the Usage page is shown again, once, with the 400.
      const res = await submitAndLand(page, () => page.getByRole('button', { name: 'Set cap' }).first().click());
      expect(res.status()).toBe(400);
      expect(new URL(page.url()).pathname).toBe('/usage');
      const input = page.getByLabel('Organisation spending cap in USD');
      expect(await page.locator(`#${await input.getAttribute('aria-describedby')}`).innerText()).toContain('such as 1,500 or 12.50');
      expect(await input.inputValue()).toBe('1,50');
      expect((await org()).orgMonthlyCapNanos).toBe(1_000_000_000_000n);
    } finally {
      await context.close();
    }
  });
});
