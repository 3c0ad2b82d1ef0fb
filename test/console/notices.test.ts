// Notices in Chromium as an owner, an admin and a member of an enterprise org: owners
// choose whether they are told when a member reaches their cap and the percentages of
// the org cap and of a seat tier's cap they are told of, and GET /v1/settings/notices
// then answers the same values (audited notices.set via console); bad input (0, 250,
// not a number, a duplicate) is shown next to its field and changes nothing; admins read
// the page without forms and are refused (403) when they force a change; members are
// sent to My usage and refused; a failing notice channel of the org is shown with since
// when and its last error; no serious axe violation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelHealthIn, FAILING_AFTER_ATTEMPTS } from '../../src/ledger/notices/channel-health.js';
import { whenText } from '../../src/notify/email-format.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc } from '../support/fixtures.js';
import { type ConsoleHarness, consoleHarness, csrfOf, screenshot, seriousViolations, submitAndLand } from './support.js';
import type { Locator, Page } from 'playwright-core';

let scratch: Scratch;
let h: ConsoleHarness;
let orgId: string;
const SLUG = 'acme';
const TZ = 'Europe/Paris';
const SLACK_SINCE = new Date('2026-12-01T08:30:00Z');

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  h = await consoleHarness(scratch.db.prisma);
  await h.provision(SLUG, enterpriseDoc());
  orgId = (await scratch.db.prisma.organization.findUniqueOrThrow({ where: { slug: SLUG } })).id;
  // The org's Slack channel has failed 6 times in a row (reported after the 5th), as the fan-out counts it.
  const health = channelHealthIn(scratch.db.prisma, { log: () => {}, now: () => SLACK_SINCE });
  for (let i = 0; i <= FAILING_AFTER_ATTEMPTS; i++) await health.failed(orgId, 'slack', new Error('slack: not_in_channel'));
}, 120_000);
afterAll(async () => {
  await h?.shutdown();
  await scratch?.dispose();
});

const apiNotices = async (member = 'owner-1') => h.call('GET', '/v1/settings/notices', { token: await h.apiSession(SLUG, member) });
const noticesAudit = () => scratch.db.prisma.auditEntry.findMany({ where: { orgId, action: 'notices.set' }, orderBy: { id: 'asc' } });
const orgField = (page: Page) => page.locator('#f-orgCap-percents');
const tierField = (page: Page) => page.locator('#f-tierCap-percents');
const save = (page: Page, action: string) => page.locator(`form[action="${action}"]`).getByRole('button', { name: 'Save' });

describe('Notices as the owner', () => {
  it('shows the choices and the failing Slack channel; each change is saved, audited via console, and read back by the API', async () => {
    const { context, page } = await h.signedIn(SLUG, 'owner-1', '/notices');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Notices');
    expect(await page.getByRole('link', { name: 'Notices' }).getAttribute('aria-current')).toBe('page');
    // The defaults, as the API has them.
    expect((await apiNotices()).body).toEqual({ memberCapReached: true, orgCapThresholds: [50, 80, 100], tierCapThresholds: [50, 80, 100] });
    expect(await page.getByTestId('member-cap-reached').textContent()).toBe('on');
    expect(await page.getByTestId('orgCap-thresholds').textContent()).toBe('50%, 80%, 100%');
    expect(await orgField(page).inputValue()).toBe('50, 80, 100');
    expect(await page.getByTestId('read-only').count()).toBe(0);

    // Why notices may not arrive: Slack failing since when, with its last error.
    const slack = page.locator('[data-testid=channel-health] tr[data-channel="slack"]');
    expect(await slack.getByRole('rowheader').textContent()).toBe('Slack');
    expect(await slack.locator('[data-col=since]').textContent()).toBe(whenText(SLACK_SINCE.toISOString(), TZ));
    expect(await slack.locator('[data-col=failures]').textContent()).toBe(String(FAILING_AFTER_ATTEMPTS + 1));
    expect(await slack.locator('[data-col=last-error]').textContent()).toBe('slack: not_in_channel');
    expect(await slack.locator('[data-col=reported]').textContent()).toBe('Yes: failing');
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'notices');

    await page.getByLabel('Off').check();
    await Promise.all([page.waitForURL(/saved=member-cap/), save(page, '/notices/member-cap').click()]);
    expect(await page.getByRole('status').textContent()).toBe('Saved: when owners are told that a member reached their cap.');
    expect(await page.getByTestId('member-cap-reached').textContent()).toBe('off');

    await orgField(page).fill('100, 75%');
    await Promise.all([page.waitForURL(/saved=org-cap/), save(page, '/notices/org-cap').click()]);
    expect(await page.getByRole('status').textContent()).toBe('Saved: the org cap percentages owners are told of.');
    expect(await page.getByTestId('orgCap-thresholds').textContent()).toBe('75%, 100%');

    await tierField(page).fill('90');
    await Promise.all([page.waitForURL(/saved=tier-cap/), save(page, '/notices/tier-cap').click()]);
    expect(await page.getByRole('status').textContent()).toBe('Saved: the seat tier spending cap percentages owners are told of.');

    // The API answers what the console set.
    const after = await apiNotices();
    expect(after.status).toBe(200);
    expect(after.body).toEqual({ memberCapReached: false, orgCapThresholds: [75, 100], tierCapThresholds: [90] });
    const audit = await noticesAudit();
    expect(audit).toHaveLength(3);
    for (const e of audit) expect(e.actor).toMatch(/\(owner-1\) via console$/);
    expect(audit[1]!.before).toMatchObject({ orgCapThresholds: [50, 80, 100] });
    expect(audit[1]!.after).toMatchObject({ orgCapThresholds: [75, 100] });

    // Empty turns that notice off.
    await tierField(page).fill('');
    await Promise.all([page.waitForURL(/saved=tier-cap/), save(page, '/notices/tier-cap').click()]);
    expect(await page.getByTestId('tierCap-thresholds').textContent()).toBe('none (off)');
    expect((await apiNotices()).body.tierCapThresholds).toEqual([]);
    await context.close();
  });

  it('bad input (0, 250, not a number, a duplicate) is shown next to its field, the page keeps what was typed, and nothing changes', async () => {
    const { context, page } = await h.signedIn(SLUG, 'owner-1', '/notices');
    const before = (await apiNotices()).body;
    const auditBefore = (await noticesAudit()).length;
    const cases: [(p: Page) => Locator, string, string, string][] = [
      [orgField, '/notices/org-cap', '0, 80', '0 is not between 1 and 100. Enter percentages from 1 to 100 separated by commas, such as 50, 80, 100.'],
      [orgField, '/notices/org-cap', '50, 250', '250 is not between 1 and 100. Enter percentages from 1 to 100 separated by commas, such as 50, 80, 100.'],
      [tierField, '/notices/tier-cap', 'eighty', '"eighty" is not a whole number. Enter percentages from 1 to 100 separated by commas, such as 50, 80, 100 (leave empty for none).'],
      [tierField, '/notices/tier-cap', '80, 90, 80', '80 is listed twice: list each percentage once.'],
      [orgField, '/notices/org-cap', '12.5', '"12.5" is not a whole number. Enter percentages from 1 to 100 separated by commas, such as 50, 80, 100 (leave empty for none).'],
    ];
    for (const [field, action, typed, message] of cases) {
      await field(page).fill(typed);
      const res = await submitAndLand(page, () => save(page, action).click());
      expect(res.status(), typed).toBe(400);
      await page.waitForLoadState();
      const form = page.locator(`form[action="${action}"]`);
      expect(await form.getByRole('alert').textContent()).toBe(message);
      expect(await field(page).getAttribute('aria-invalid')).toBe('true');
      expect(await field(page).getAttribute('aria-describedby')).toBe(await form.getByRole('alert').getAttribute('id'));
      expect(await field(page).inputValue()).toBe(typed);
      expect(await page.getByRole('status').count()).toBe(0);
    }
    expect(await seriousViolations(page)).toEqual([]);
    expect((await apiNotices()).body).toEqual(before);
    expect(await noticesAudit()).toHaveLength(auditBefore);
    await context.close();
  });
});

describe('Notices as an admin and as a member', () => {
  it('admins read the choices without forms and are refused (403) when they force a change; members are sent to My usage and refused', async () => {
    const before = (await apiNotices()).body;
    const auditBefore = (await noticesAudit()).length;
    const admin = await h.signedIn(SLUG, 'admin-1', '/notices');
    expect(await admin.page.getByRole('heading', { level: 1 }).textContent()).toBe('Notices');
    expect(await admin.page.getByTestId('read-only').textContent()).toBe('You are admin: you can see these choices; only owners change them.');
    expect(await admin.page.getByTestId('orgCap-thresholds').textContent()).toBe(before.orgCapThresholds.map((n: number) => `${n}%`).join(', '));
    expect(await admin.page.locator('form[action^="/notices/"]').count()).toBe(0);
    expect(await admin.page.getByRole('button', { name: 'Save' }).count()).toBe(0);
    expect(await admin.page.locator('[data-testid=channel-health] tr[data-channel="slack"]').count()).toBe(1);
    expect(await seriousViolations(admin.page)).toEqual([]);
    for (const [url, form] of [['/notices/org-cap', { percents: '10' }], ['/notices/tier-cap', { percents: '10' }], ['/notices/member-cap', { enabled: before.memberCapReached ? 'off' : 'on' }]] as const) {
      const forced = await admin.page.request.post(`${h.base}${url}`, { form: { ...form, _csrf: await csrfOf(admin.page) } });
      expect(forced.status(), url).toBe(403);
      expect(await forced.text()).toContain('only an owner');
    }
    // The API refuses the admin the same way.
    const session = await h.apiSession(SLUG, 'admin-1');
    expect((await h.call('PUT', '/v1/settings/notices', { token: session, body: { orgCapThresholds: [10] } })).status).toBe(403);
    await admin.context.close();

    const member = await h.signedIn(SLUG, 'alice', '/me');
    expect(await member.page.getByRole('link', { name: 'Notices' }).count()).toBe(0);
    await member.page.goto(`${h.base}/notices`);
    expect(new URL(member.page.url()).pathname).toBe('/me');
    const forced = await member.page.request.post(`${h.base}/notices/org-cap`, { form: { percents: '10', _csrf: await csrfOf(member.page) } });
    expect(forced.status()).toBe(403);
    await member.context.close();

    // Nothing changed by any of it.
    expect((await h.call('GET', '/v1/settings/notices', { token: await h.apiSession(SLUG, 'owner-1') })).body).toEqual(before);
    expect(await noticesAudit()).toHaveLength(auditBefore);
  });

  it('says every channel delivers once the failing one delivers again', async () => {
    await channelHealthIn(scratch.db.prisma, { log: () => {} }).succeeded(orgId, 'slack');
    const { context, page } = await h.signedIn(SLUG, 'owner-1', '/notices');
    expect(await page.getByTestId('channel-health').count()).toBe(0);
    expect(await page.getByTestId('channels-ok').textContent()).toBe('No notice channel is failing: every channel delivered its last notice.');
    await context.close();
  });
});
