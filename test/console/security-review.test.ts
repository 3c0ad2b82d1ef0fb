// Findings of the security review (issue #25), each as the request that showed it:
// `next` and `back` only ever lead to a page of this console, a character above U+00FF
// in `next` is no 500 (and the link is not spent on one), an empty X-Actor beside a
// person's session is a 400, the CSRF secret cookie is Secure over https, every answer
// (JSON and 404s too) says nosniff and, over https, HSTS; CSV cells guard a formula
// behind leading spaces.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { textCell } from '../../src/console/csv.js';
import { safeNext } from '../../src/console/session.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, harness, OPERATOR_TOKEN } from '../support/fixtures.js';
import { consoleHarness, type ConsoleHarness } from './support.js';

let scratch: Scratch;
let h: ConsoleHarness;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  // Behind a TLS-terminating proxy: PUBLIC_URL is https while the harness listens on http.
  h = await consoleHarness(scratch.db.prisma, new Date(), { console: { publicUrl: 'https://usage.acme.test' } });
  await h.provision('acme', enterpriseDoc());
}, 60_000);
afterAll(async () => {
  await h?.shutdown();
  await scratch?.dispose();
});

describe('safeNext, resolved before it is checked', () => {
  it('refuses a path that resolves to another origin, and percent-encodes what a Location cannot carry', () => {
    for (const bad of ['/usage/..//evil.example', '/./..//evil.example', '/a/../..//evil.example?x=1']) expect(safeNext(bad, '/usage')).toBe('/usage');
    expect(safeNext('/\u0100')).toBe('/%C4%80');
    expect(safeNext('/usage/../requests?x=1#top')).toBe('/requests?x=1#top');
  });
});

/** What a browser holds after opening a sign-in link: the form's fields and the CSRF cookie. */
async function openLink(path: string) {
  const page = await fetch(`${h.base}${path}`);
  expect(page.status).toBe(200);
  const cookies = page.headers.getSetCookie();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
  expect(csrf).toBeDefined();
  return { cookies, cookie: cookies.map((c) => c.split(';')[0]).join('; '), csrf: csrf! };
}

describe('signing in with a next page above U+00FF', () => {
  it('shows the sign-in page, then signs in and lands on that page of this console; the link is spent once', async () => {
    const token = await h.linkFor('acme', 'owner-1');
    expect((await fetch(`${h.base}/signin?next=/%C4%80`)).status).toBe(200);
    const { cookie, csrf } = await openLink(`/signin?token=${token}&next=/%C4%80`);
    const post = await fetch(`${h.base}/signin`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({ _csrf: csrf, token, next: '/\u0100' }).toString(),
    });
    expect(post.status).toBe(303);
    expect(post.headers.get('location')).toBe('/%C4%80');
    expect(post.headers.getSetCookie().some((c) => c.startsWith('eu_session='))).toBe(true);
  });
});

describe('a Usage form whose back leaves the console', () => {
  it('comes back to /usage, never to another origin, and the change is saved', async () => {
    const { context, page } = await h.signedIn('acme', 'owner-1', '/usage');
    try {
      await page.getByText('Adjust limit (Organisation spending cap)').click();
      const form = page.locator('form[action="/usage/org-cap"]').first();
      await form.locator('input[name="back"]').evaluate((el) => ((el as HTMLInputElement).value = '/usage/..//evil.example'));
      await form.locator('input[name="cap"]').fill('321.00');
      const [res] = await Promise.all([
        page.waitForResponse((r) => r.url() === `${h.base}/usage/org-cap` && r.request().method() === 'POST'),
        form.getByRole('button', { name: /set cap/i }).click(),
      ]);
      expect(res.status()).toBe(303);
      expect(res.headers().location).toBe('/usage?saved=org-cap');
      expect(new URL(page.url()).origin).toBe(h.base);
      const org = await scratch.db.prisma.organization.findUniqueOrThrow({ where: { slug: 'acme' } });
      expect(org.orgMonthlyCapNanos).toBe(321_000_000_000n);
    } finally {
      await context.close();
    }
  });
});

describe('an empty X-Actor beside a signed-in person', () => {
  it('is a 400 naming x-actor, and changes nothing', async () => {
    const session = await h.apiSession('acme', 'owner-1');
    const res = await h.call('PUT', '/v1/settings/caps/org', { token: session, body: { cap: '1.00' }, headers: { 'x-actor': '' } });
    expect(res).toMatchObject({ status: 400, body: { error: { field: 'x-actor' } } });
    const org = await scratch.db.prisma.organization.findUniqueOrThrow({ where: { slug: 'acme' } });
    expect(org.orgMonthlyCapNanos).not.toBe(1_000_000_000n);
  });
});

describe('the CSRF secret cookie', () => {
  it('is Secure like the session cookie when PUBLIC_URL is https', async () => {
    const { cookies } = await openLink(`/signin?token=${await h.linkFor('acme', 'admin-1')}`);
    const csrfCookie = cookies.find((c) => c.startsWith('_csrf='));
    expect(csrfCookie).toBeDefined();
    expect(csrfCookie).toMatch(/;\s*Secure/i);
  });
});

describe('headers on every answer', () => {
  it('nosniff and HSTS on JSON, errors and unknown paths as on pages', async () => {
    for (const path of ['/health', '/v1/me', '/no-such-page', '/signin']) {
      const res = await fetch(`${h.base}${path}`);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('strict-transport-security'), path).toMatch(/^max-age=\d{7,}/);
    }
  });
});

describe('CSV cells', () => {
  it('defuse a formula behind leading white space as well', () => {
    for (const formula of ['=1+1', ' =1+1', '\t=1+1', '  @SUM(A1)', ' -2+3', '\r=1']) expect(textCell(formula)).toBe(`'${formula}`);
    expect(textCell('Jo Smith')).toBe('Jo Smith');
    expect(textCell(' Jo')).toBe(' Jo');
  });
});

describe('sessions end when the member is removed, re-added, changes role, or signs out', () => {
  const me = (session: string) => h.call('GET', '/v1/me', { token: session });
  const withoutAlice = () => enterpriseDoc({ members: enterpriseDoc().members!.filter((m) => m.externalId !== 'alice') });

  it('removed and re-added with the same external id: the old session is refused, a new one works', async () => {
    const old = await h.apiSession('acme', 'alice');
    expect((await me(old)).status).toBe(200);
    await h.provision('acme', withoutAlice());
    await h.provision('acme', enterpriseDoc());
    expect(await me(old)).toMatchObject({ status: 401, body: { error: { message: expect.stringMatching(/session has ended/) } } });
    expect((await me(await h.apiSession('acme', 'alice'))).status).toBe(200);
  });

  it('a role change ends the sessions of that member only', async () => {
    const alice = await h.apiSession('acme', 'alice');
    const bob = await h.apiSession('acme', 'bob');
    const doc = enterpriseDoc();
    doc.members = doc.members!.map((m) => (m.externalId === 'alice' ? { ...m, role: 'admin' as const } : m));
    await h.provision('acme', doc);
    expect((await me(alice)).status).toBe(401);
    expect((await me(bob)).status).toBe(200);
    await h.provision('acme', enterpriseDoc());
  });

  it('signing out in the console revokes the session: a copy of the cookie no longer signs in', async () => {
    const { context, page } = await h.signedIn('acme', 'bob', '/me');
    try {
      const cookie = (await context.cookies()).find((c) => c.name === 'eu_session')!;
      const copy = `eu_session=${cookie.value}`;
      expect((await fetch(`${h.base}/me`, { headers: { cookie: copy }, redirect: 'manual' })).status).toBe(200);
      await page.getByRole('button', { name: /sign out/i }).click();
      await page.getByText(/You are signed out/).waitFor();
      const after = await fetch(`${h.base}/me`, { headers: { cookie: copy }, redirect: 'manual' });
      expect(after.status).toBe(303);
      expect(after.headers.get('location')).toMatch(/^\/signin/);
    } finally {
      await context.close();
    }
  });
});

describe('refused sign-ins are throttled', () => {
  // From addresses of their own (TEST-NET), so the other tests' sign-ins from 127.0.0.1 go on.
  const signIn = (token: string, remoteAddress: string) =>
    h.app.inject({ method: 'POST', url: '/v1/sign-in', remoteAddress, payload: { token } });
  const guess = () => randomBytes(32).toString('base64url');

  it('per address: after 20 refused links a minute, 429 with Retry-After, even for a good link; counted on /metrics', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await signIn(guess(), '192.0.2.10')).statusCode);
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(20).every((s) => s === 429)).toBe(true);
    const good = await signIn(await h.linkFor('acme', 'alice'), '192.0.2.10');
    expect(good.statusCode).toBe(429);
    expect(Number(good.headers['retry-after'])).toBeGreaterThan(0);
    expect(JSON.parse(good.body)).toMatchObject({ error: { code: 'too_many_sign_ins' } });
    // Another address signs in with the same (unspent) link.
    expect((await signIn(JSON.parse((await h.app.inject({ method: 'POST', url: `/v1/operator/orgs/acme/sign-in-links`, headers: { authorization: `Bearer ${OPERATOR_TOKEN}` }, payload: { member: 'alice' } })).body).token, '192.0.2.11')).statusCode).toBe(200);
    const metrics = await fetch(`${h.base}/metrics`, { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } });
    expect(await metrics.text()).toMatch(/^extra_usage_sign_in_throttled_total [1-9]\d*$/m);
  });

  it('per link: a used link replayed from many addresses is refused 5 times (audited once, with the count), then 429', async () => {
    const token = await h.linkFor('acme', 'bob');
    expect((await signIn(token, '192.0.2.20')).statusCode).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await signIn(token, `198.51.100.${i + 1}`)).statusCode);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5).every((s) => s === 429)).toBe(true);
    const link = await scratch.db.prisma.signInLink.findFirstOrThrow({ where: { refusedCount: { gt: 0 }, member: { externalId: 'bob' } } });
    expect(link.refusedCount).toBe(5);
    expect(await scratch.db.prisma.auditEntry.count({ where: { action: 'sign_in_link.refuse', subject: `sign_in_link:${link.id}` } })).toBe(1);
  });

  it('in the console too: the sign-in form answers a page saying when to try again', async () => {
    const { cookie, csrf } = await openLink(`/signin?token=${await h.linkFor('acme', 'admin-1')}`);
    // The form's requests come from 127.0.0.1: make it the throttled one last, after the tests above.
    let last: Response | undefined;
    for (let i = 0; i < 21; i++) {
      last = await fetch(`${h.base}/signin`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        body: new URLSearchParams({ _csrf: csrf, token: guess() }).toString(),
      });
    }
    expect(last!.status).toBe(429);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await last!.text()).toMatch(/Too many sign-in links were refused here\. Try again in \d+ seconds\./);
  });
});

describe('behind a reverse proxy (TRUST_PROXY)', () => {
  it('throttles the client X-Forwarded-For names, not the proxy, and reads the setting strictly', async () => {
    const proxied = await harness(scratch.db.prisma, new Date(), { trustProxy: loadConfig({ TRUST_PROXY: '127.0.0.1' }).TRUST_PROXY });
    try {
      const via = (client: string) => proxied.app.inject({ method: 'POST', url: '/v1/sign-in', remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': client }, payload: { token: randomBytes(32).toString('base64url') } });
      for (let i = 0; i < 20; i++) expect((await via('203.0.113.5')).statusCode).toBe(401);
      expect((await via('203.0.113.5')).statusCode).toBe(429);
      expect((await via('203.0.113.6')).statusCode).toBe(401);
    } finally {
      await proxied.close();
    }
    expect(loadConfig({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.1' }).TRUST_PROXY).toBe('10.0.0.0/8, 192.168.1.1');
    expect(() => loadConfig({ TRUST_PROXY: 'everyone' })).toThrow(/TRUST_PROXY/);
  });
});
