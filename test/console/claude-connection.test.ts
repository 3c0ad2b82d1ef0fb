// The owners' Claude connection page in Chromium (the console's own server over PGlite,
// the real @anthropic-ai/sdk against the Admin API stand-in): an owner pastes an Admin
// API key, which is checked with a read call and stored sealed by the same function as
// the operator's route, and never shown again; a refused key, a key without permission
// and Anthropic out of reach are said beside the field with nothing stored; an admin
// reads the state and a forced POST of theirs is refused with nothing changed; the
// owner replaces the key and disconnects after a confirmation page, each audited.
// Without SECRETS_KEY the page tells the owner the operator must set it.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnthropicDeps } from '../../src/anthropic/connection.js';
import { secretBox } from '../../src/secrets/secret-box.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc } from '../support/fixtures.js';
import { startAdminApi, type AdminApiStandIn } from '../support/anthropic-admin-api.js';
import { type ConsoleHarness, consoleHarness, csrfOf, seriousViolations, submitAndLand } from './support.js';

const KEY = 'sk-ant-admin01-console-connect-key-0123456789';
let scratch: Scratch;
let api: AdminApiStandIn;
let h: ConsoleHarness;
let bare: ConsoleHarness;
let anthropic: AnthropicDeps;
let orgId: string;

beforeAll(async () => {
  [scratch, api] = await Promise.all([migrated(scratchPglite), startAdminApi({ key: KEY })]);
  const db = scratch.db.prisma;
  anthropic = { box: secretBox(randomBytes(32)), baseUrl: api.url };
  h = await consoleHarness(db, new Date(), { anthropic });
  // The same service without SECRETS_KEY (no anthropic settings).
  bare = await consoleHarness(db, new Date());
  await h.provision('acme', enterpriseDoc());
  orgId = (await db.organization.findUniqueOrThrow({ where: { slug: 'acme' } })).id;
}, 120_000);
afterAll(async () => {
  await h?.shutdown();
  await bare?.shutdown();
  await api?.close();
  await scratch?.dispose();
});

const connections = () => scratch.db.prisma.anthropicConnection.findMany();
const audits = (action: string) => scratch.db.prisma.auditEntry.findMany({ where: { orgId, action }, orderBy: { id: 'asc' } });

describe('the Claude connection page', () => {
  it('refuses a bad key, a key without permission and an unreachable Anthropic in words, storing nothing; then connects', async () => {
    const { context, page } = await h.signedIn('acme', 'owner-1', '/claude');
    expect(await page.locator('h2#h-connect').textContent()).toBe('Not connected');
    expect(await seriousViolations(page)).toEqual([]);
    const field = page.getByLabel('Admin API key');
    expect(await field.getAttribute('type')).toBe('password');

    const submit = async (key: string) => {
      await page.getByLabel('Admin API key').fill(key);
      const res = await submitAndLand(page, () => page.getByRole('button', { name: 'Connect' }).click());
      const input = page.getByLabel('Admin API key');
      const said = await page.locator(`#${await input.getAttribute('aria-describedby')}`).textContent();
      return { status: res.status(), said: said ?? '', typed: await input.inputValue(), body: (await page.textContent('body')) ?? '' };
    };

    // A key Anthropic does not know.
    const refused = await submit('sk-ant-admin01-mistyped-key-000000000000');
    expect(refused.status).toBe(422);
    expect(refused.said).toMatch(/refused the Admin API key.*Nothing was stored/);
    expect(refused.typed).toBe('');
    expect(refused.body).not.toContain('mistyped-key');

    // A key of a user without the permission.
    api.failNext(1, 403, 'permission denied for this key');
    const denied = await submit(KEY);
    expect(denied.status).toBe(422);
    expect(denied.said).toContain('may not do this');
    expect(denied.said).toContain('Nothing was stored');
    expect(denied.body).not.toContain(KEY);

    // Anthropic out of reach: a port nothing listens on (a network failure).
    anthropic.baseUrl = 'http://127.0.0.1:1';
    const down = await submit(KEY);
    anthropic.baseUrl = api.url;
    expect(down.status).toBe(503);
    expect(down.said).toContain('could not be reached (a network failure');
    expect(down.said).toContain('Nothing was stored');
    expect(await connections()).toEqual([]);
    expect(await audits('anthropic.connected')).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByLabel('Admin API key').fill(KEY);
    await page.getByRole('button', { name: 'Connect' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Connected');
    expect(await page.getByTestId('anthropic-org').textContent()).toBe('Acme on Claude');
    expect(await page.getByTestId('stored-by').textContent()).toContain('by Olivia Owner');
    expect(await page.content()).not.toContain(KEY);
    const [row] = await connections();
    expect(row!.keyCiphertext).toMatch(/^v1\./);
    expect(row!.keyCiphertext).not.toContain(KEY);
    const [audit] = await audits('anthropic.connected');
    expect(audit!.actor).toContain('(owner-1) via console');
    expect(JSON.stringify([audit!.before, audit!.after])).not.toContain(KEY);
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  });

  it('shows an admin the state read-only, and refuses an admin\'s forced POSTs with nothing changed', async () => {
    const before = await connections();
    const anthropicAudits = () => scratch.db.prisma.auditEntry.count({ where: { orgId, action: { startsWith: 'anthropic.' } } });
    const auditsBefore = await anthropicAudits();
    const { context, page } = await h.signedIn('acme', 'admin-1', '/claude');
    expect(await page.getByTestId('anthropic-org').textContent()).toBe('Acme on Claude');
    expect(await page.getByTestId('read-only').textContent()).toContain('only owners');
    expect(await page.locator('form[action^="/claude/"]').count()).toBe(0);
    const csrf = await csrfOf(page);
    for (const [url, form] of [['/claude/disconnect', { confirm: 'yes' }], ['/claude/replace', { adminApiKey: KEY }], ['/claude/connect', { adminApiKey: KEY }]] as const) {
      const res = await page.request.post(`${h.base}${url}`, { form: { ...form, _csrf: csrf } });
      expect(res.status()).toBe(403);
      expect(await res.text()).toContain('only an owner');
    }
    // The confirmation page is for owners only.
    await page.goto(`${h.base}/claude/disconnect`);
    expect(new URL(page.url()).pathname).toBe('/claude');
    expect(await connections()).toEqual(before);
    expect(await anthropicAudits()).toBe(auditsBefore);
    await context.close();
  });

  it('replaces the key and disconnects after a confirmation page, each audited', async () => {
    const { context, page } = await h.signedIn('acme', 'owner-1', '/claude');
    const sealed = (await connections())[0]!.keyCiphertext;
    api.keys.add(`${KEY}-new`);
    await page.getByLabel('New Admin API key').fill(`${KEY}-new`);
    await page.getByRole('button', { name: 'Replace key' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Connected');
    expect((await connections())[0]!.keyCiphertext).not.toBe(sealed);
    expect(await audits('anthropic.connected')).toHaveLength(2);

    await page.getByRole('link', { name: 'Disconnect…' }).click();
    expect(await page.locator('h1').textContent()).toBe('Disconnect from Claude?');
    expect(await seriousViolations(page)).toEqual([]);
    // Cancel changes nothing.
    await page.getByRole('link', { name: 'Cancel' }).click();
    expect(await connections()).toHaveLength(1);
    await page.getByRole('link', { name: 'Disconnect…' }).click();
    await page.getByRole('button', { name: 'Disconnect from Claude' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Disconnected');
    expect(await connections()).toEqual([]);
    const [gone] = await audits('anthropic.disconnected');
    expect(gone!.actor).toContain('(owner-1) via console');
    expect(await page.locator('h2#h-connect').textContent()).toBe('Not connected');
    await context.close();
  });

  it('without SECRETS_KEY tells the owner the operator must set it, and stores nothing', async () => {
    const { context, page } = await bare.signedIn('acme', 'owner-1', '/claude');
    expect(await page.getByTestId('no-secrets-key').textContent()).toContain('operator has not set SECRETS_KEY');
    expect(await page.locator('form[action="/claude/connect"]').count()).toBe(0);
    const res = await page.request.post(`${bare.base}/claude/connect`, { form: { adminApiKey: KEY, _csrf: await csrfOf(page) } });
    expect(res.status()).toBe(503);
    expect(await res.text()).toContain('SECRETS_KEY');
    expect(await connections()).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  });
});
