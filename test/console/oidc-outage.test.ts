// An org's OpenID Provider unreachable (issue 25): the console keeps serving (a 502
// page for that sign-in, sign-in links still work), GET /health names `oidc:<org>` with
// since when, its discovery is retried with back-off, and once the provider is back on
// the same address /health is clear again and signing in through it works.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dependencies } from '../../src/observability/dependencies.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, OPERATOR_TOKEN } from '../support/fixtures.js';
import { startProvider, type TestProvider } from '../support/oidc-provider.js';
import { consoleHarness, type ConsoleHarness } from './support.js';

let scratch: Scratch;
let h: ConsoleHarness;
let provider: TestProvider;
const lines: string[] = [];
const dependencies = new Dependencies((l) => lines.push(l));
const CLIENT = 'extra-usage-console-public';
const accounts = { olivia: { email: 'owner-1@acme.test', email_verified: true } };

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  // As the service wires it: the console reports to the process's Dependencies, /health reads them.
  h = await consoleHarness(scratch.db.prisma, new Date(), { dependencies, health: async () => ({ dependencies: { failing: dependencies.failing() } }) });
  provider = await startProvider({ accounts, consoleClient: { clientId: CLIENT, redirectUri: `${h.base}/signin/oidc/callback` } });
  const doc = enterpriseDoc();
  await h.provision('acme', { ...doc, members: doc.members.map((m) => ({ ...m, email: `${m.externalId}@acme.test` })) });
  expect((await h.call('PUT', '/v1/operator/orgs/acme/identity-provider', { token: OPERATOR_TOKEN, body: { issuer: provider.issuer, audience: CLIENT } })).status).toBe(200);
}, 60_000);
afterAll(async () => {
  dependencies.stop();
  await h?.shutdown();
  await provider?.close();
  await scratch?.dispose();
});

const failing = async () => (await (await fetch(`${h.base}/health`)).json()).dependencies.failing as { part: string; since: string }[];

describe('the org\'s OpenID Provider down, then back', () => {
  it('answers a 502 page, names oidc:acme on /health, keeps sign-in links working, and signs in through it once it is back', async () => {
    const port = Number(new URL(provider.issuer).port);
    await provider.close();
    const down = await fetch(`${h.base}/signin/oidc?org=acme`, { redirect: 'manual' });
    expect(down.status).toBe(502);
    expect(await down.text()).toContain('could not be reached');
    const named = (await failing()).find((f) => f.part === 'oidc:acme');
    expect(named).toBeDefined();
    expect(Date.parse(named!.since)).not.toBeNaN();
    expect(lines.filter((l) => l.startsWith('oidc:acme: unreachable'))).toHaveLength(1);
    // Sign-in links do not need the provider.
    const link = await fetch(`${h.base}/signin?token=${await h.linkFor('acme', 'owner-1')}`);
    expect(link.status).toBe(200);

    provider = await startProvider({ accounts, port, consoleClient: { clientId: CLIENT, redirectUri: `${h.base}/signin/oidc/callback` } });
    for (const end = Date.now() + 60_000; (await failing()).length > 0; ) {
      if (Date.now() > end) throw new Error('oidc:acme still failing a minute after the provider came back');
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(lines.filter((l) => l.startsWith('oidc:acme: reachable again'))).toHaveLength(1);
    const context = await h.browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${h.base}/signin`);
      await page.getByLabel('Organisation (short name)').fill('acme');
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.waitForURL((u) => u.origin === provider.issuer);
      await page.locator('input[name=login]').fill('olivia');
      await page.locator('input[name=password]').fill('any');
      await page.getByRole('button', { name: 'Sign-in' }).click();
      await page.waitForURL((u) => u.origin === h.base || /\/interaction\//.test(u.pathname));
      if (new URL(page.url()).origin !== h.base) await page.getByRole('button', { name: 'Continue' }).click();
      await page.waitForURL((u) => u.origin === h.base);
      expect((await context.cookies()).some((c) => c.name === 'eu_session')).toBe(true);
    } finally {
      await context.close();
    }
  });
});
