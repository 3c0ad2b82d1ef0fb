// "Continue on extra usage when my seat's included usage runs out" in the console, in
// Chromium on PGlite: a member who chose not to continue is paused at the seat limit
// with the one wording and one button, "Continue on extra usage", right below it;
// clicking it lets authorize through at once, and the change is in the audit log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, HAIKU, usageOfCents } from '../support/fixtures.js';
import { consoleHarness, csrfOf, screenshot, seriousViolations, type ConsoleHarness } from './support.js';

let scratch: Scratch;
let h: ConsoleHarness;
let key: string;
let orgId: string;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  const db = scratch.db.prisma;
  h = await consoleHarness(db, new Date());
  await h.provision('acme', enterpriseDoc());
  key = await h.issueKey('acme', ['usage']);
  orgId = (await db.organization.findUniqueOrThrow({ where: { slug: 'acme' } })).id;
  // Owners chose "off" as the default: members stop at their seat's limit unless they choose to continue.
  await db.organization.update({ where: { id: orgId }, data: { continueOnExtraUsageDefault: false } });
  // Alice uses her $1.00 of included usage and a little more.
  const res = await h.call('POST', '/v1/usage/record', { token: key, body: { requestId: 'alice-seat', member: 'alice', model: HAIKU, usage: usageOfCents(120) } });
  expect(res.status).toBe(200);
}, 120_000);
afterAll(async () => {
  await h?.shutdown();
  await scratch?.dispose();
});

const authorize = async () => (await h.call('POST', '/v1/usage/authorize', { token: key, body: { member: 'alice', model: HAIKU } })).body;

describe('continue on extra usage in the console', () => {
  it('a paused member reads why and continues in one step; the change is audited', async () => {
    expect(await authorize()).toMatchObject({ allowed: false, reason: 'continue_on_extra_usage_off' });
    const alice = await h.signedIn('acme', 'alice', '/me');
    const refusal = await alice.page.getByTestId('refusal').textContent();
    expect(refusal).toMatch(/you chose not to continue on extra usage; it lifts .+ \(Europe\/Paris\)\. To go on now, choose "Continue on extra usage"/);
    expect(await alice.page.getByTestId('continue-choice').textContent()).toContain("off (your organisation's default (owners chose off))");
    // Their next step is their own choice, not a dead end about requests.
    expect(await alice.page.getByText('You cannot request extra usage now').count()).toBe(0);
    expect(await seriousViolations(alice.page)).toEqual([]);
    await screenshot(alice.page, 'me-continue-off');

    await alice.page.getByRole('button', { name: 'Continue on extra usage' }).click();
    await expect.poll(() => alice.page.getByTestId('continue-saved').textContent().catch(() => '')).toContain('you continue on extra usage');
    expect(await alice.page.getByTestId('continue-choice').textContent()).toContain('on (your choice)');
    expect(await alice.page.getByTestId('refusal').count()).toBe(0);
    expect(await authorize()).toMatchObject({ allowed: true, mode: 'extra' });

    // And back: one button again.
    await alice.page.getByRole('button', { name: "Stop at my seat's limit" }).click();
    await expect.poll(() => alice.page.getByTestId('continue-saved').textContent().catch(() => '')).toContain("you stop at your seat's limit");
    expect(await authorize()).toMatchObject({ allowed: false, reason: 'continue_on_extra_usage_off' });
    await alice.context.close();

    const entries = await scratch.db.prisma.auditEntry.findMany({ where: { orgId, action: 'continue.member.set' }, orderBy: { id: 'asc' } });
    expect(entries.map((e) => [e.actor.endsWith('(alice) via console'), e.before, e.after])).toEqual([
      [true, { enabled: false, setBy: 'org_default' }, { enabled: true, setBy: 'member' }],
      [true, { enabled: true, setBy: 'member' }, { enabled: false, setBy: 'member' }],
    ]);
  });

  it('owners choose the default on the Usage page (audited); a member with no choice of their own follows it; admins only read it', async () => {
    const olivia = await h.signedIn('acme', 'owner-1', '/usage');
    expect(await olivia.page.getByTestId('continue-default').textContent()).toContain("by default they stop at their seat's limit");
    await olivia.page.getByLabel('Continue on extra usage').check();
    await olivia.page.getByRole('button', { name: 'Use as default' }).click();
    await expect.poll(() => olivia.page.getByTestId('continue-default').textContent()).toContain('by default they continue on extra usage');
    expect(new URL(olivia.page.url()).pathname).toBe('/usage');
    await olivia.context.close();
    expect((await scratch.db.prisma.organization.findUniqueOrThrow({ where: { id: orgId } })).continueOnExtraUsageDefault).toBe(true);
    const entry = await scratch.db.prisma.auditEntry.findFirstOrThrow({ where: { orgId, action: 'continue.default.set' } });
    expect([entry.actor.endsWith('via console'), entry.before, entry.after]).toEqual([true, { enabled: false }, { enabled: true }]);
    // Bob made no choice of his own: he now continues on extra usage.
    const bob = await h.signedIn('acme', 'bob', '/me');
    expect(await bob.page.getByTestId('continue-choice').textContent()).toContain('on (');
    await bob.context.close();

    const adam = await h.signedIn('acme', 'admin-1', '/usage');
    expect(await adam.page.getByTestId('continue-default').textContent()).toContain('by default they continue on extra usage');
    expect(await adam.page.locator('form[action="/usage/continue-default"]').count()).toBe(0);
    // Forced with a valid form token, it is refused for the role (shown as a 403 page).
    const forced = await adam.page.request.post(`${h.base}/usage/continue-default`, { form: { enabled: 'off', _csrf: await csrfOf(adam.page) } });
    expect(forced.status()).toBe(403);
    await adam.context.close();
    expect((await scratch.db.prisma.organization.findUniqueOrThrow({ where: { id: orgId } })).continueOnExtraUsageDefault).toBe(true);
  });
});
