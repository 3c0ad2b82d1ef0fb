// Every console page a role is offered, at a phone's width (390 px), a tablet's (768 px)
// and a laptop's (1280 px), in Chromium: nothing wider than the screen (the page never scrolls
// sideways; a wide table scrolls inside its own box), and no serious or critical
// axe-core violation. The pages are the ones each role's navigation offers, so a
// page added later is covered without editing this list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, HAIKU, teamDoc, usageOfCents } from '../support/fixtures.js';
import { consoleHarness, screenshot, seriousViolations, type ConsoleHarness } from './support.js';

let scratch: Scratch;
let h: ConsoleHarness;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  h = await consoleHarness(scratch.db.prisma, new Date());
  await h.provision('acme', enterpriseDoc({
    members: [
      ...enterpriseDoc().members,
      { externalId: 'm-long', name: 'Maximiliana Wolfeschlegelsteinhausenbergerdorff-Featherstonehaugh', role: 'member', seatTier: 'standard', email: 'maximiliana.wolfeschlegelsteinhausenbergerdorff@subsidiary.example.com' },
    ],
  }));
  await h.provision('tiny', teamDoc());
  const key = await h.issueKey('acme', ['usage']);
  for (const [member, cents, n] of [['alice', 250, 1], ['bob', 120, 2], ['m-long', 180, 3]] as const) {
    const res = await h.call('POST', '/v1/usage/record', { token: key, body: { requestId: `w-${n}`, member, model: HAIKU, usage: usageOfCents(cents) } });
    expect(res.status).toBe(200);
  }
}, 60_000);
afterAll(async () => {
  await h?.shutdown();
  await scratch?.dispose();
});

/** How much wider than the window the page is (0 when it fits), and the widest element's tag when it does not. */
const overflow = (page: Page) =>
  page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const extra = document.documentElement.scrollWidth - width;
    if (extra <= 0) return { extra: 0, culprit: '' };
    let culprit = '';
    // The outermost element past the edge that is not inside a box scrolling on its own.
    const scrolls = (el: Element) => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
    for (const el of Array.from(document.querySelectorAll('body *'))) {
      const r = el.getBoundingClientRect();
      let inBox = false;
      for (let a = el.parentElement; a && !inBox; a = a.parentElement) inBox = scrolls(a);
      if (r.right > width + 1 && !inBox && !culprit) culprit = `${el.tagName.toLowerCase()}${el.className ? `.${String(el.className).split(' ')[0]}` : ''} (${Math.round(r.right)} px): ${(el.textContent ?? '').trim().slice(0, 60)}`;
    }
    return { extra, culprit };
  });

const navLinks = (page: Page) => page.locator('header nav a').evaluateAll((links) => links.map((a) => new URL((a as HTMLAnchorElement).href).pathname));

const WIDTHS = [390, 768, 1280] as const;
/** The phone screenshots docs/console.md shows (CONSOLE_SCREENSHOTS=1). */
const SHOWN = new Set(['owner /usage', 'owner /no-such-page', 'admin /requests', 'member /me', 'team-owner /usage']);

describe('console pages at 390, 768 and 1280 px', () => {
  for (const [slug, member, role] of [['acme', 'owner-1', 'owner'], ['acme', 'admin-1', 'admin'], ['acme', 'alice', 'member'], ['tiny', 'owner-1', 'team-owner']] as const) {
    it(`as ${role === 'team-owner' ? 'a Team org\'s owner' : `an ${role}`}: every page it is offered fits the screen and passes axe`, { timeout: 120_000 }, async () => {
      const { context, page } = await h.signedIn(slug, member);
      try {
        const pages = [...new Set([...(await navLinks(page)), '/privacy', '/terms', '/no-such-page'])];
        expect(pages.length).toBeGreaterThan(3);
        const wide: string[] = [];
        // Each page loaded once, at the phone's width, then the window widened: the console
        // runs no script (its CSP allows none), so its layout at a width is its CSS's alone.
        for (const path of pages) {
          for (const width of WIDTHS) {
            await page.setViewportSize({ width, height: 800 });
            if (width === WIDTHS[0]) await page.goto(`${h.base}${path}`);
            const o = await overflow(page);
            if (o.extra > 0) wide.push(`${path} at ${width} px: ${o.extra} px too wide, ${o.culprit}`);
            if (width === 390) {
              expect(await seriousViolations(page), `${path} at ${width} px`).toEqual([]);
              if (SHOWN.has(`${role} ${path}`)) await screenshot(page, `phone-${role}-${path.slice(1)}`);
            }
          }
        }
        expect(wide).toEqual([]);
      } finally {
        await context.close();
      }
    });
  }

  it('an unknown address is a page with the way back for a browser, and stays JSON for programs', async () => {
    const context = await h.browser.newContext({ viewport: { width: 390, height: 800 } });
    try {
      const page = await context.newPage();
      const res = await page.goto(`${h.base}/usage/no-such-thing`);
      expect(res?.status()).toBe(404);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Page not found');
      await page.getByRole('link', { name: 'Go to the console' }).click();
      await page.waitForURL((u) => u.pathname === '/signin');
      const api = await fetch(`${h.base}/v1/no-such-thing`, { headers: { accept: 'text/html' } });
      expect([api.status, (await api.json()).error.code]).toEqual([404, 'not_found']);
      const program = await fetch(`${h.base}/usage/no-such-thing`);
      expect([program.status, program.headers.get('content-type')]).toEqual([404, expect.stringContaining('application/json')]);
    } finally {
      await context.close();
    }
  });

  it('the sign-in page fits a phone too', async () => {
    const context = await h.browser.newContext({ viewport: { width: 390, height: 800 } });
    try {
      const page = await context.newPage();
      await page.goto(`${h.base}/signin`);
      expect(await overflow(page)).toEqual({ extra: 0, culprit: '' });
      expect(await seriousViolations(page)).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('no dead ends', () => {
  it('the sign-in page offers only the ways this service has, in words (no identity-provider box without one, no API paths)', async () => {
    const context = await h.browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${h.base}/signin`);
      const text = (await page.locator('main').textContent()) ?? '';
      expect(await page.getByLabel('Organisation (short name)').count()).toBe(0);
      expect(text).toContain('Ask whoever runs Extra usage for your organisation to send you a sign-in link');
      expect(text).not.toMatch(/\/v1\/|POST |Slack|Teams/);
    } finally {
      await context.close();
    }
  });

  it('a member who opens Billing reads why in words and the way to their own page; nothing claims a change', async () => {
    const { context, page } = await h.signedIn('acme', 'alice');
    try {
      const res = await page.goto(`${h.base}/billing`);
      expect(res?.status()).toBe(403);
      const alert = await page.getByRole('alert').textContent();
      expect(alert).toBe('Alice is a member: only an admin or owner can see billing.');
      expect(await page.locator('main').textContent()).not.toContain('Nothing was changed');
      await page.getByRole('link', { name: 'Go to My usage' }).click();
      await page.waitForURL((u) => u.pathname === '/me');
    } finally {
      await context.close();
    }
  });

  it("a Team org's owner is not offered Requests (a Team org has none to review)", async () => {
    const { context, page } = await h.signedIn('tiny', 'owner-1');
    try {
      expect(await navLinks(page)).not.toContain('/requests');
    } finally {
      await context.close();
    }
    const enterprise = await h.signedIn('acme', 'owner-1');
    try {
      expect(await navLinks(enterprise.page)).toContain('/requests');
    } finally {
      await enterprise.context.close();
    }
  });
});
