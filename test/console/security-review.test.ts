// Findings of the security review (issue #25), each as the request that showed it:
// `next` and `back` only ever lead to a page of this console, a character above U+00FF
// in `next` is no 500 (and the link is not spent on one), an empty X-Actor beside a
// person's session is a 400, the CSRF secret cookie is Secure over https, every answer
// (JSON and 404s too) says nosniff and, over https, HSTS; CSV cells guard a formula
// behind leading spaces.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textCell } from '../../src/console/csv.js';
import { safeNext } from '../../src/console/session.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc } from '../support/fixtures.js';
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
      await page.getByText('Adjust limit (Organisation monthly limit)').click();
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
