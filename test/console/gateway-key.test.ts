// "Use Claude Code" on a member's own page: a personal gateway key made in the console,
// shown once with the lines to paste, working through the gateway, then revoked.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { secretBox } from '../../src/secrets/secret-box.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, HAIKU, OPERATOR_TOKEN } from '../support/fixtures.js';
import { startMessagesApi, type MessagesApiStandIn } from '../support/messages-api.js';
import { consoleHarness, seriousViolations, type ConsoleHarness } from './support.js';

let scratch: Scratch;
let standIn: MessagesApiStandIn;
let h: ConsoleHarness;
beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  standIn = await startMessagesApi();
  h = await consoleHarness(scratch.db.prisma, new Date('2026-11-15T12:00:00Z'), {
    anthropic: { box: secretBox(randomBytes(32)), baseUrl: 'http://127.0.0.1:9' },
    gateway: { upstreamUrl: standIn.url },
  });
  await h.provision('acme', enterpriseDoc());
  expect((await h.call('PUT', '/v1/operator/orgs/acme/gateway/upstream-key', { token: OPERATOR_TOKEN, body: { apiKey: 'sk-ant-api03-console-test-upstream' } })).status).toBe(200);
}, 60_000);
afterAll(async () => {
  await h?.shutdown();
  await standIn?.close();
  await scratch?.dispose();
});

const ask = (key: string) => fetch(`${h.base}/anthropic/v1/messages`, {
  method: 'POST',
  headers: { 'x-api-key': key, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
  body: JSON.stringify({ model: HAIKU, max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] }),
});

it('a member makes a key, sees it once with the shell lines and the settings.json env block, uses it, and revokes it', async () => {
  const { page, context } = await h.signedIn('acme', 'alice', '/me');
  try {
    await page.getByLabel('Key name').fill('laptop');
    await page.getByRole('button', { name: 'Make a key' }).click();
    await expect.poll(() => page.getByTestId('gateway-key-made').count()).toBe(1);
    const shell = (await page.getByTestId('gateway-shell-lines').textContent())!;
    const key = /ANTHROPIC_API_KEY=(eug_\S+)/.exec(shell)![1]!;
    expect(shell).toBe(`export ANTHROPIC_BASE_URL=${h.base}/anthropic\nexport ANTHROPIC_API_KEY=${key}`);
    expect(JSON.parse((await page.getByTestId('gateway-settings-lines').textContent())!)).toEqual({ env: { ANTHROPIC_BASE_URL: `${h.base}/anthropic`, ANTHROPIC_API_KEY: key } });
    expect(await seriousViolations(page)).toEqual([]);

    // The key works as Claude Code would send it.
    standIn.plan({ usage: { input_tokens: 3, output_tokens: 4 } });
    expect((await ask(key)).status).toBe(200);

    // Shown once: the page again lists it by its prefix only.
    await page.goto(`${h.base}/me`);
    expect(await page.getByTestId('gateway-key-made').count()).toBe(0);
    expect(await page.content()).not.toContain(key);
    expect(await page.getByTestId('gateway-keys').textContent()).toContain(`${key.slice(0, 12)}…`);

    await page.getByRole('button', { name: `Revoke key ${key.slice(0, 12)}` }).click();
    await expect.poll(() => page.getByTestId('gateway-key-revoked').count()).toBe(1);
    expect(await page.getByTestId('gateway-keys').count()).toBe(0);
    const refused = await ask(key);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
  } finally {
    await context.close();
  }
  const audit = await scratch.db.prisma.auditEntry.findMany({ where: { action: { startsWith: 'gateway_key.' } }, orderBy: { id: 'asc' } });
  expect(audit.map((a) => [a.action, a.actor.includes('alice') && a.actor.includes('via console')])).toEqual([['gateway_key.create', true], ['gateway_key.revoke', true], ['gateway_key.used_after_revoke', false]]);
});

it('an owner sees a member\'s live gateway keys on their spend page and revokes one', async () => {
  const made = await h.call('POST', '/v1/me/gateway-keys', { token: await h.issueKey('acme'), actor: 'bob', body: { name: 'bob-desktop' } });
  expect(made.status).toBe(201);
  const { page, context } = await h.signedIn('acme', 'owner-1', '/spend/members/bob');
  try {
    expect(await page.getByTestId('member-gateway-keys').textContent()).toContain(`${made.body.prefix}…`);
    expect(await page.content()).not.toContain(made.body.key);
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('button', { name: `Revoke key ${made.body.prefix}` }).click();
    await expect.poll(() => page.getByTestId('member-gateway-keys').count()).toBe(0);
  } finally {
    await context.close();
  }
  expect((await ask(made.body.key)).status).toBe(401);
  const revoke = await scratch.db.prisma.auditEntry.findFirstOrThrow({ where: { action: 'gateway_key.revoke', subject: `gateway_key:${made.body.id}` } });
  expect(revoke.actor).toMatch(/owner-1.*via console/);
});
