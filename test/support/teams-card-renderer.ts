// Renders Adaptive Cards with the official renderer (the `adaptivecards` npm
// package) in headless Chromium (Debian's, driven by playwright-core): a local page
// serves the renderer's dist bundle (no CDN), renders a card with a Teams-like host
// config, and records what clicking its buttons would send (the action's type,
// verb and data, inputs merged), exactly as a client does.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface ClickedAction {
  type: 'Action.Execute' | 'Action.Submit' | string;
  title: string;
  verb: string | null;
  data: Record<string, unknown>;
}

export interface RenderResult {
  /** Parse events the renderer logged (unknown types, bad values…). */
  parseEvents: string[];
  /** Problems validateProperties() found (duplicate ids, …). */
  validationEvents: string[];
  /** Titles of the buttons shown (not those inside a folded show-card). */
  buttons: string[];
}

export interface CardRenderer {
  page: Page;
  /** Renders a card; `legacy` renders it as a client without universal actions (Action.Execute unknown: its fallback is used). */
  render(card: unknown, opts?: { legacy?: boolean }): Promise<RenderResult>;
  /** Clicks the nth button with exactly this title and returns the action it executed, if any. */
  click(title: string, nth?: number): Promise<ClickedAction | null>;
  /** Types into the input with this label. */
  fill(label: string, value: string): Promise<void>;
  /** Checks or unchecks the toggle with this title. */
  toggle(title: string, on: boolean): Promise<void>;
  /** Picks an option of the compact choice set with this label. */
  select(label: string, optionTitle: string): Promise<void>;
  screenshot(path: string): Promise<void>;
  close(): Promise<void>;
}

const HOST_CONFIG = (() => {
  const fg = (def: string) => ({
    default: { default: def, subtle: '#605E5C' },
    dark: { default: '#252423', subtle: '#484644' },
    light: { default: '#FFFFFF', subtle: '#F3F2F1' },
    accent: { default: '#6264A7', subtle: '#8B8CC7' },
    good: { default: '#237B4B', subtle: '#4BA06A' },
    warning: { default: '#835C00', subtle: '#A07A1A' },
    attention: { default: '#C4314B', subtle: '#D35A6F' },
  });
  return {
    fontFamily: "'Segoe UI', 'DejaVu Sans', 'Liberation Sans', sans-serif",
    supportsInteractivity: true,
    spacing: { small: 4, default: 8, medium: 16, large: 20, extraLarge: 24, padding: 16 },
    separator: { lineThickness: 1, lineColor: '#E1DFDD' },
    fontSizes: { small: 12, default: 14, medium: 16, large: 20, extraLarge: 24 },
    fontWeights: { lighter: 300, default: 400, bolder: 600 },
    containerStyles: {
      default: { backgroundColor: '#FFFFFF', foregroundColors: fg('#252423') },
      emphasis: { backgroundColor: '#F5F5F5', foregroundColors: fg('#252423') },
      accent: { backgroundColor: '#E8EBFA', foregroundColors: fg('#252423') },
      good: { backgroundColor: '#E7F2DA', foregroundColors: fg('#252423') },
      attention: { backgroundColor: '#FCF4F6', foregroundColors: fg('#252423') },
      warning: { backgroundColor: '#FBF6D9', foregroundColors: fg('#252423') },
    },
    actions: { maxActions: 6, spacing: 'default', buttonSpacing: 8, actionsOrientation: 'horizontal', actionAlignment: 'left', showCard: { actionMode: 'inline', inlineTopMargin: 12, style: 'emphasis' } },
    adaptiveCard: { allowCustomStyle: true },
    factSet: { title: { weight: 'bolder', wrap: true, maxWidth: 170 }, value: { wrap: true }, spacing: 8 },
    inputs: { label: { inputSpacing: 'small', requiredInputs: { suffix: ' *' }, optionalInputs: { isSubtle: true } }, errorMessage: { size: 'small', color: 'attention' } },
  };
})();

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Adaptive Card</title>
<link rel="stylesheet" href="/adaptivecards.css">
<style>
  html, body { margin: 0; background: #EBEBEB; font-family: 'Segoe UI', 'DejaVu Sans', sans-serif; }
  #frame { width: 600px; margin: 12px; background: #fff; border-radius: 6px; box-shadow: 0 1px 4px rgba(0,0,0,.18); overflow: hidden; }
  #card .ac-pushButton, #card .ac-pushButton-disabled { font-family: inherit; font-size: 13px; font-weight: 600; padding: 4px 12px; min-height: 32px; border: 1px solid #D1D1D1; border-radius: 4px; background: #fff; color: #242424; cursor: pointer; }
  #card .ac-pushButton:hover { background: #F5F5F5; color: #242424; border-color: #C7C7C7; }
  #card .ac-pushButton.style-positive { background: #5B5FC7; border-color: #5B5FC7; color: #fff; }
  #card .ac-pushButton.style-positive:hover { background: #4F52B2; }
  #card .ac-pushButton.style-destructive { background: #fff; color: #C4314B; border-color: #C4314B; }
  #card .ac-pushButton.style-destructive:hover { background: #FCF4F6; }
  #card .ac-pushButton.expanded { background: #E8EBFA; border-color: #5B5FC7; color: #242424; }
  #card .ac-pushButton.expandable:after { font-family: inherit; font-size: 11px; content: " \\25BE"; }
  #card .ac-pushButton.expandable.expanded:after { content: " \\25B4"; }
  #card .ac-pushButton-disabled, #card .ac-pushButton:disabled { opacity: .45; cursor: default; background: #fff; color: #242424; }
  .ac-input { font-family: inherit; font-size: 14px; box-sizing: border-box; }
  .ac-textInput, select.ac-input { border: 1px solid #D1D1D1; border-radius: 4px; padding: 6px 8px; min-height: 32px; background: #fff; }
  code { font-family: 'DejaVu Sans Mono', monospace; background: #F3F2F1; padding: 0 3px; }
</style>
<script src="/adaptivecards.min.js"></script>
</head><body><div id="frame"><div id="card"></div></div>
<script>
  const AC = window.AdaptiveCards;
  window.__actions = [];
  const esc = (s) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
  AC.AdaptiveCard.onProcessMarkdown = (text, result) => {
    result.outputHtml = esc(text).replace(/\\*\\*([^*]+)\\*\\*/g, '<strong>$1</strong>').replace(/\`([^\`]+)\`/g, '<code>$1</code>');
    result.didProcess = true;
  };
  window.renderCard = (json, legacy) => {
    const card = new AC.AdaptiveCard();
    card.hostConfig = new AC.HostConfig(${JSON.stringify(HOST_CONFIG)});
    card.onExecuteAction = (action) => {
      window.__actions.push({ type: action.getJsonTypeName(), title: action.title || '', verb: action.verb ?? null, data: JSON.parse(JSON.stringify(action.data ?? {})) });
    };
    const context = new AC.SerializationContext();
    if (legacy) {
      const actions = new AC.CardObjectRegistry();
      AC.GlobalRegistry.populateWithDefaultActions(actions);
      actions.unregister('Action.Execute');
      context.setActionRegistry(actions);
    }
    card.parse(json, context);
    const parseEvents = [];
    for (let i = 0; i < context.eventCount; i++) { const e = context.getEventAt(i); parseEvents.push(e.phase + ' ' + e.event + ': ' + e.message); }
    const validationEvents = card.validateProperties().validationEvents.map((e) => e.event + ': ' + e.message);
    const host = document.getElementById('card');
    host.innerHTML = '';
    host.appendChild(card.render());
    window.__actions = [];
    const buttons = [...host.querySelectorAll('button[class*="ac-pushButton"]')].filter((b) => b.offsetParent !== null).map((b) => b.getAttribute('aria-label') || b.textContent.trim());
    return { parseEvents, validationEvents, buttons };
  };
</script></body></html>`;

export async function startCardRenderer(): Promise<CardRenderer> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (Debian's package; .ci/run installs it), or set CHROMIUM_PATH`);
  const require = createRequire(import.meta.url);
  const dist = join(dirname(require.resolve('adaptivecards/package.json')), 'dist');
  const files: Record<string, { type: string; body: Buffer | string }> = {
    '/': { type: 'text/html; charset=utf-8', body: PAGE },
    '/adaptivecards.min.js': { type: 'text/javascript', body: readFileSync(join(dist, 'adaptivecards.min.js')) },
    '/adaptivecards.css': { type: 'text/css', body: readFileSync(join(dist, 'adaptivecards.css')) },
  };
  const server: Server = createServer((req, res) => {
    const file = files[new URL(req.url ?? '/', 'http://localhost').pathname];
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file.type });
    res.end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const page = await browser.newPage({ viewport: { width: 640, height: 400 }, deviceScaleFactor: 1 });
  // Nothing but the local page may load (no CDN, no network).
  await page.route('**/*', (route) => (route.request().url().startsWith(url) ? route.continue() : route.abort()));
  await page.goto(url);
  await page.waitForFunction(() => typeof (window as unknown as { renderCard?: unknown }).renderCard === 'function');

  const button = (title: string, nth: number) => page.locator('#card button[class*="ac-pushButton"]').filter({ hasText: new RegExp(`^\\s*${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`) }).nth(nth);

  return {
    page,
    async render(card, opts = {}) {
      return page.evaluate(([json, legacy]) => (window as unknown as { renderCard: (j: unknown, l: boolean) => RenderResult }).renderCard(json, legacy), [card, opts.legacy ?? false] as const);
    },
    async click(title, nth = 0) {
      const target = button(title, nth);
      await target.waitFor({ state: 'visible', timeout: 5_000 });
      const before = await page.evaluate(() => (window as unknown as { __actions: unknown[] }).__actions.length);
      await target.click({ timeout: 5_000 });
      const actions = await page.evaluate(() => (window as unknown as { __actions: ClickedAction[] }).__actions);
      return actions.length > before ? actions[actions.length - 1]! : null;
    },
    async fill(label, value) {
      await page.locator('#card').getByLabel(label, { exact: true }).fill(value);
    },
    async toggle(title, on) {
      await page.locator('#card').getByRole('checkbox', { name: title, exact: true }).setChecked(on);
    },
    async select(label, optionTitle) {
      await page.locator('#card').getByLabel(label, { exact: true }).selectOption({ label: optionTitle });
    },
    async screenshot(path) {
      await page.mouse.move(0, 0);
      await page.locator('#frame').screenshot({ path });
    },
    async close() {
      await browser.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
