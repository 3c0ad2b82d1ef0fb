// "Continue on extra usage when my seat's included usage runs out" in the console, in
// Chromium on PGlite: a member who chose not to continue is paused at the seat limit
// with the one wording and one button, "Continue on extra usage", right below it;
// clicking it lets authorize through at once, and the change is in the audit log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, HAIKU, usageOfCents } from '../support/fixtures.js';
import { consoleHarness, screenshot, seriousViolations, type ConsoleHarness } from './support.js';

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
});
