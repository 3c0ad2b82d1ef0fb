// The console in a real browser: the service's own Fastify server listening on
// 127.0.0.1 over PGlite, Debian's Chromium driven by playwright-core, and helpers
// to sign in with single-use links, scan a page with axe-core and save screenshots.
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page, type Response } from 'playwright-core';
import type { ApiDeps } from '../../src/api/server.js';
import type { Db } from '../../src/db/client.js';
import { harness, OPERATOR_TOKEN, type Harness } from '../support/fixtures.js';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface ConsoleHarness extends Harness {
  base: string;
  browser: Browser;
  /** A single-use sign-in token for a member, as the operator issues it. */
  linkFor(slug: string, member: string): Promise<string>;
  /** A fresh browser signed in as the member (through the link page's button). */
  signedIn(slug: string, member: string, next?: string): Promise<{ context: BrowserContext; page: Page }>;
  /** An API session (bearer) for the member, from another link. */
  apiSession(slug: string, member: string): Promise<string>;
  shutdown(): Promise<void>;
}

export async function consoleHarness(db: Db, now = new Date(), extra: Partial<ApiDeps> = {}): Promise<ConsoleHarness> {
  const h = await harness(db, now, extra);
  const address = await h.app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
  const linkFor = async (slug: string, member: string) => {
    const res = await h.call('POST', `/v1/operator/orgs/${slug}/sign-in-links`, { token: OPERATOR_TOKEN, body: { member } });
    if (res.status !== 201) throw new Error(`link: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.token as string;
  };
  return {
    ...h,
    base: address,
    browser,
    linkFor,
    async signedIn(slug, member, next) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${address}/signin?token=${await linkFor(slug, member)}${next ? `&next=${encodeURIComponent(next)}` : ''}`);
      await Promise.all([page.waitForURL((u) => u.pathname !== '/signin'), page.getByRole('button', { name: 'Sign in' }).click()]);
      return { context, page };
    },
    async apiSession(slug, member) {
      const res = await h.call('POST', '/v1/sign-in', { body: { token: await linkFor(slug, member) } });
      return res.body.session as string;
    },
    async shutdown() {
      await browser.close();
      await h.close();
    },
  };
}

/** axe-core's violations of impact serious or critical on the page as it is now. */
export async function seriousViolations(page: Page): Promise<{ id: string; impact: string; nodes: string[] }[]> {
  // Evaluated through the DevTools protocol: the console's CSP (no inline scripts) stays on.
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const result = await (window as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe.run();
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Saves a full-page screenshot under docs/console/ when CONSOLE_SCREENSHOTS=1 (committed images stay stable otherwise). */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.CONSOLE_SCREENSHOTS !== '1') return;
  const dir = resolve(import.meta.dirname, '../../docs/console');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: resolve(dir, `${name}.png`), fullPage: true });
}

/** The CSRF token of the page's sign-out form: what a forged-but-well-formed POST would carry. */
export const csrfOf = (page: Page) => page.locator('input[name=_csrf]').first().inputValue();

/**
 * Clicks a form's button and answers the page it lands on: forms post, then redirect to a
 * page (post-redirect-get), so this is the response of that GET, with the status the page
 * was shown with (e.g. 400 for bad input).
 */
export async function submitAndLand(page: Page, click: () => Promise<unknown>): Promise<Response> {
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.request().isNavigationRequest() && r.request().method() === 'GET' && r.frame() === page.mainFrame() && !r.headers()['location']),
    click(),
  ]);
  await page.waitForLoadState('domcontentloaded');
  return res;
}

/** The element that has the keyboard focus: its id. */
export const focusedId = (page: Page) => page.evaluate(() => document.activeElement?.id ?? '');

/** How many pixels wider than the window the page lays out (0: it fits, nothing scrolls sideways). */
export const pageOverflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

/** Counts the forms the page sends from now on (a reload must send none). */
export function postsFrom(page: Page): { count: () => number } {
  let n = 0;
  page.on('request', (r) => {
    if (r.method() === 'POST') n++;
  });
  return { count: () => n };
}
