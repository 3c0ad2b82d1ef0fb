// The console's CSRF check also looks at where a browser says a form came from
// (issue #25): a valid token and session cookie are not enough when the browser's
// Origin or Sec-Fetch-Site names another site. Nothing is changed then.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crossSiteForm } from '../../src/console/same-origin.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc } from '../support/fixtures.js';
import { consoleHarness, type ConsoleHarness } from './support.js';

let scratch: Scratch;
let h: ConsoleHarness;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  h = await consoleHarness(scratch.db.prisma, new Date());
  await h.provision('acme', enterpriseDoc());
}, 60_000);
afterAll(async () => {
  await h?.shutdown();
  await scratch?.dispose();
});

/** An owner signed in with a plain HTTP client: the session cookie and a form's CSRF token. */
async function ownerForm() {
  const token = await h.linkFor('acme', 'owner-1');
  const page = await fetch(`${h.base}/signin?token=${token}`);
  const csrfCookie = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const signInCsrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  const signedIn = await fetch(`${h.base}/signin`, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrfCookie },
    body: new URLSearchParams({ _csrf: signInCsrf, token }).toString(),
  });
  expect(signedIn.status).toBe(303);
  const cookie = [csrfCookie, ...signedIn.headers.getSetCookie().map((c) => c.split(';')[0])].join('; ');
  const usage = await fetch(`${h.base}/usage`, { headers: { cookie } });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await usage.text())![1]!;
  return { cookie, csrf };
}

const orgCap = async () => (await scratch.db.prisma.organization.findUniqueOrThrow({ where: { slug: 'acme' } })).orgMonthlyCapNanos;

describe('a console form posted from another site', () => {
  it('is refused (403, nothing changed) when Origin or Sec-Fetch-Site names another site, taken when they name this one', async () => {
    const { cookie, csrf } = await ownerForm();
    const before = await orgCap();
    const post = (headers: Record<string, string>, cap: string) => fetch(`${h.base}/usage/org-cap`, {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, ...headers },
      body: new URLSearchParams({ _csrf: csrf, action: 'set', cap, back: '/usage' }).toString(),
    });
    for (const headers of [{ origin: "https://evil.example" }, { "sec-fetch-site": "cross-site" }, { "sec-fetch-site": "same-site", origin: h.base }] as Record<string, string>[]) {
      const res = await post(headers, '111.00');
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(await res.text()).toContain('did not come from this site');
      expect(await orgCap()).toBe(before);
    }
    // The browser naming this site (or nothing, or Origin: null under no-referrer): taken.
    for (const [headers, cap, nanos] of [[{ origin: h.base }, '222.00', 222_000_000_000n], [{ 'sec-fetch-site': 'same-origin', origin: 'null' }, '333.00', 333_000_000_000n]] as const) {
      const res = await post(headers, cap);
      expect(res.status).toBe(303);
      expect(await orgCap()).toBe(nanos);
    }
  });
});

describe('crossSiteForm', () => {
  it('trusts Sec-Fetch-Site over Origin, and ignores Origin: null', () => {
    const own = ['http://127.0.0.1:3000'];
    expect(crossSiteForm({}, own)).toBeNull();
    expect(crossSiteForm({ origin: 'null' }, own)).toBeNull();
    expect(crossSiteForm({ secFetchSite: 'none' }, own)).toBeNull();
    expect(crossSiteForm({ origin: 'http://127.0.0.1:3000' }, own)).toBeNull();
    expect(crossSiteForm({ origin: 'http://127.0.0.1:3001' }, own)).toMatch(/Origin/);
    expect(crossSiteForm({ secFetchSite: 'same-site', origin: 'http://127.0.0.1:3000' }, own)).toMatch(/Sec-Fetch-Site/);
  });
});
