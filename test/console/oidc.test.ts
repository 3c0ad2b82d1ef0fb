// Signing in to the console with the org's own OpenID Provider: a real provider
// (node-oidc-provider) on a local port, the authorization code flow with PKCE driven
// through its pages in Chromium, the ID token verified by src/identity/oidc.ts and
// mapped to the member by verified email. A callback that did not start here, and a
// person the org does not know, sign nobody in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, OPERATOR_TOKEN } from '../support/fixtures.js';
import { startProvider, type TestProvider } from '../support/oidc-provider.js';
import { consoleHarness, seriousViolations, type ConsoleHarness } from './support.js';

let scratch: Scratch;
let h: ConsoleHarness;
let provider: TestProvider;
const CLIENT = 'extra-usage-console-public';

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  h = await consoleHarness(scratch.db.prisma, new Date());
  provider = await startProvider({
    accounts: { olivia: { email: 'Owner-1@acme.test', email_verified: true }, mallory: { email: 'mallory@elsewhere.test', email_verified: true } },
    consoleClient: { clientId: CLIENT, redirectUri: `${h.base}/signin/oidc/callback` },
  });
  const doc = enterpriseDoc();
  await h.provision('acme', { ...doc, members: doc.members.map((m) => ({ ...m, email: `${m.externalId}@acme.test` })) });
  const set = await h.call('PUT', '/v1/operator/orgs/acme/identity-provider', { token: OPERATOR_TOKEN, body: { issuer: provider.issuer, audience: CLIENT } });
  expect(set.status).toBe(200);
}, 60_000);
afterAll(async () => {
  await h?.shutdown();
  await provider?.close();
  await scratch?.dispose();
});

async function signInAtProvider(account: string) {
  const context = await h.browser.newContext();
  const page = await context.newPage();
  await page.goto(`${h.base}/signin`);
  expect(await seriousViolations(page)).toEqual([]);
  await page.getByLabel('Organisation (short name)').fill('acme');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL((u) => u.origin === provider.issuer);
  await page.locator('input[name=login]').fill(account);
  await page.locator('input[name=password]').fill('any');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  // The provider asks for consent once per client.
  await page.waitForURL((u) => u.origin === h.base || /\/interaction\//.test(u.pathname));
  if (new URL(page.url()).origin !== h.base) await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL((u) => u.origin === h.base);
  return { context, page };
}

describe('console sign-in with the org\'s OpenID Provider', () => {
  it('signs the owner in (code flow with PKCE, member by verified email) and audits it', async () => {
    const { context, page } = await signInAtProvider('olivia');
    expect(new URL(page.url()).pathname).toBe('/usage');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Usage');
    const cookie = (await context.cookies()).find((c) => c.name === 'eu_session');
    expect(cookie?.httpOnly).toBe(true);
    const audit = await scratch.db.prisma.auditEntry.findFirstOrThrow({ where: { action: 'console.sign_in' } });
    expect(audit.actor).toContain('(owner-1) via oidc');
    await context.close();
  });

  it('refuses a person who is no member, and a callback that did not start here; nobody is signed in', async () => {
    const { context, page } = await signInAtProvider('mallory');
    expect(await page.getByRole('alert').textContent()).toContain('mallory@elsewhere.test');
    expect((await context.cookies()).find((c) => c.name === 'eu_session')).toBeUndefined();
    await context.close();

    const forged = await fetch(`${h.base}/signin/oidc/callback?code=abc&state=xyz`, { redirect: 'manual' });
    expect(forged.status).toBe(400);
    expect(forged.headers.getSetCookie().some((c) => c.startsWith('eu_session=') && !c.startsWith('eu_session=;'))).toBe(false);

    const unknown = await fetch(`${h.base}/signin/oidc?org=nobody`, { redirect: 'manual' });
    expect(unknown.status).toBe(404);
  });
});
