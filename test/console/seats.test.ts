// Seat advice in Chromium as an owner, an admin and a member of an enterprise org
// (standard seats include $1 per 5 hours, premium $3), after the operator enters seat
// prices ($25 and $60 a month): the advice equals GET /v1/reports/seat-advice and the
// hand-worked numbers; "Apply" moves the seat (owners, audited via console); admins
// and members are not offered it and are refused when they force it; bad input is
// shown next to its field; no serious axe violation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUsd, roundToCents, formatUsd } from '../../src/domain/money.js';
import { completeMonthsBefore } from '../../src/ledger/reports/seat-advice.js';
import { periodStart } from '../../src/domain/periods.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, HAIKU, OPERATOR_TOKEN, usageOfCents } from '../support/fixtures.js';
import { type ConsoleHarness, consoleHarness, csrfOf, screenshot, seriousViolations, submitAndLand } from './support.js';

let scratch: Scratch;
let h: ConsoleHarness;
let orgId: string;
const SLUG = 'acme';
const TZ = 'Europe/Paris';
const NOW = new Date();
const cents = (usd: string) => `$${formatUsd(roundToCents(parseUsd(usd)!))}`;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  h = await consoleHarness(scratch.db.prisma, NOW);
  await h.provision(SLUG, enterpriseDoc({
    extraUsage: { enabled: true, scope: 'all_members', orgMonthlyCap: null, tierCaps: { standard: null, premium: null } },
    members: [
      ...enterpriseDoc().members,
      { externalId: 'carol', name: 'Carol', role: 'member', seatTier: 'standard' },
      { externalId: 'dan', name: 'Dan', role: 'member', seatTier: 'standard' },
    ],
  }));
  orgId = (await scratch.db.prisma.organization.findUniqueOrThrow({ where: { slug: SLUG } })).id;
  const key = await h.issueKey(SLUG, ['usage']);
  // In the oldest of the last 3 complete months: Carol 100 requests of $4, Dan 30, each
  // 6 hours apart (a window each); Alice ten of $1. Bob (premium) and the owner use nothing.
  const [oldest] = completeMonthsBefore(NOW, TZ, 3);
  const from = periodStart(oldest!, TZ).getTime() + 3_600_000;
  let n = 0;
  for (const [member, count, c] of [['carol', 100, 400], ['dan', 30, 400], ['alice', 10, 100]] as const) {
    for (let i = 0; i < count; i++) {
      const at = new Date(from + i * 6 * 3_600_000).toISOString();
      const res = await h.call('POST', '/v1/usage/record', { token: key, body: { requestId: `r-${n++}`, member, model: HAIKU, at, usage: usageOfCents(c) } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
  }
}, 120_000);
afterAll(async () => {
  await h?.shutdown();
  await scratch?.dispose();
});

describe('the operator\'s seat prices', () => {
  it('are refused naming the field when bad, set and audited when good, and read back', async () => {
    const put = (body: unknown) => h.call('PUT', `/v1/operator/orgs/${SLUG}/seat-prices`, { token: OPERATOR_TOKEN, body });
    const bad = await put({ standard: '25', premium: '60.001' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('premium');
    expect((await put({ standard: '25.00' })).status).toBe(400);
    expect((await h.call('PUT', `/v1/operator/orgs/${SLUG}/seat-prices`, { body: { standard: '1', premium: '2' } })).status).toBe(401);
    expect((await h.call('PUT', '/v1/operator/orgs/nope/seat-prices', { token: OPERATOR_TOKEN, body: { standard: '1', premium: '2' } })).status).toBe(404);

    // Before any price: the page says so and advises nothing.
    const { context, page } = await h.signedIn(SLUG, 'owner-1', '/seats');
    expect(await page.getByTestId('no-prices').textContent()).toContain(`/v1/operator/orgs/${SLUG}/seat-prices`);
    expect(await page.getByTestId('advice').count()).toBe(0);

    const ok = await put({ standard: '25', premium: '60.00' });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ prices: { standard: '25.00', premium: '60.00' } });
    expect((await h.call('GET', `/v1/operator/orgs/${SLUG}/seat-prices`, { token: OPERATOR_TOKEN })).body).toEqual(ok.body);
    const audit = await scratch.db.prisma.auditEntry.findMany({ where: { orgId, action: 'seat_prices.set' } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: 'operator', before: null, after: { standard: '25.00', premium: '60.00' } });
    // The same prices again change nothing and write nothing.
    await put({ standard: '25.00', premium: '60' });
    expect(await scratch.db.prisma.auditEntry.count({ where: { orgId, action: 'seat_prices.set' } })).toBe(1);
    await context.close();
  });
});

describe('Seat advice as the owner', () => {
  it('lists who costs less on the other tier, as the report and the hand-worked numbers say, and Apply moves the seat (audited)', async () => {
    const { context, page } = await h.signedIn(SLUG, 'owner-1', '/seats');
    const session = await h.apiSession(SLUG, 'owner-1');
    const api = (await h.call('GET', '/v1/reports/seat-advice', { token: session })).body;
    expect(api.prices).toEqual({ standard: '25.00', premium: '60.00' });
    // Carol: standard $75 + 100 × $3 = $375, premium $180 + 100 × $1 = $280: saves $95 / 3 = $31.67 a month.
    // Bob and the owner (premium, no usage): $180 against $75: $35 a month. Dan: $165 against $210: stays.
    // Alice: 10 × $1 fits her standard seat: stays.
    expect(api.advice.map((a: { externalId: string; savingPerMonth: string }) => [a.externalId, a.savingPerMonth])).toEqual([
      ['bob', '35.00'], ['owner-1', '35.00'], ['carol', '31.67'],
    ]);
    expect(api.advice[2]).toMatchObject({ currentTier: 'standard', suggestedTier: 'premium', currentCost: '375.00', suggestedCost: '280.00', saving: '95.00' });
    expect(await page.getByTestId('price-standard').textContent()).toBe('$25.00');
    const rows = page.getByTestId('advice').locator('tbody tr');
    expect(await rows.count()).toBe(api.advice.length);
    for (const a of api.advice) {
      const row = page.locator(`[data-testid=advice] tr[data-member="${a.externalId}"]`);
      expect(await row.locator('[data-col=current]').textContent()).toBe(cents(a.currentCost));
      expect(await row.locator('[data-col=suggested]').textContent()).toBe(cents(a.suggestedCost));
      expect(await row.locator('[data-col=saving]').textContent()).toBe(cents(a.savingPerMonth));
    }
    expect(await page.locator('[data-testid=advice] tr[data-member="carol"] [data-testid=advice-text]').textContent())
      .toBe('Move Carol to a Premium seat: saves $31.67 a month at their last 3 months\' usage');
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'seats');

    // A seat change is confirmed first, saying what changes; Cancel changes nothing.
    await submitAndLand(page, () => page.getByRole('button', { name: 'Apply: move Carol to a Premium seat' }).click());
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Move Carol to a Premium seat?');
    expect(await page.getByTestId('effect').textContent()).toContain('Carol moves from a Standard to a Premium seat');
    await page.getByRole('link', { name: 'Cancel' }).click();
    await page.waitForURL((u) => u.pathname === '/seats');
    expect((await scratch.db.prisma.member.findFirstOrThrow({ where: { orgId, externalId: 'carol' } })).seatTier).toBe('standard');
    await submitAndLand(page, () => page.getByRole('button', { name: 'Apply: move Carol to a Premium seat' }).click());
    await page.getByRole('button', { name: 'Upgrade to a Premium seat' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toBe('Seat changed.');
    const carol = await scratch.db.prisma.member.findFirstOrThrow({ where: { orgId, externalId: 'carol' } });
    expect(carol.seatTier).toBe('premium');
    const entry = await scratch.db.prisma.auditEntry.findFirstOrThrow({ where: { orgId, action: 'member.seat_tier.set', subject: `member:${carol.id}` } });
    expect(entry.actor).toMatch(/\(owner-1\) via console$/);
    expect(entry.after).toEqual({ seatTier: 'premium' });
    // On premium, Carol now costs less where she is: no longer listed.
    expect(await page.locator('[data-testid=advice] tr[data-member="carol"]').count()).toBe(0);
    await context.close();
  });

  it('bad input is shown next to the field it is about, and nothing changes', async () => {
    const { context, page } = await h.signedIn(SLUG, 'owner-1', '/seats');
    const row = page.locator('[data-testid=advice] tr[data-member="bob"]');
    // A form altered in the browser (a seat tier that does not exist).
    await row.locator('input[name=seatTier]').evaluate((el) => el.setAttribute('value', 'gold'));
    const res = await submitAndLand(page, () => row.getByRole('button', { name: /^Apply/ }).click());
    expect(res.status()).toBe(400);
    const again = page.locator('[data-testid=advice] tr[data-member="bob"]');
    expect(await again.getByRole('alert').textContent()).toBe('choose Standard or Premium');
    expect(await seriousViolations(page)).toEqual([]);
    expect((await scratch.db.prisma.member.findFirstOrThrow({ where: { orgId, externalId: 'bob' } })).seatTier).toBe('premium');
    await context.close();
  });
});

describe('Seat advice as an admin and as a member', () => {
  it('admins read the advice without Apply and are refused (403) when they force it; members are kept out and refused', async () => {
    const before = await scratch.db.prisma.member.findMany({ where: { orgId }, orderBy: { id: 'asc' } });
    const bob = before.find((m) => m.externalId === 'bob')!;
    const admin = await h.signedIn(SLUG, 'admin-1', '/seats');
    expect(await admin.page.getByRole('heading', { level: 1 }).textContent()).toBe('Seat advice');
    expect(await admin.page.locator('[data-testid=advice] tr[data-member="bob"]').count()).toBe(1);
    expect(await admin.page.getByRole('button', { name: /^Apply/ }).count()).toBe(0);
    expect(await admin.page.locator('form[action="/seats/apply"]').count()).toBe(0);
    expect(await seriousViolations(admin.page)).toEqual([]);
    const forced = await admin.page.request.post(`${h.base}/seats/apply`, { form: { member: bob.id, seatTier: 'standard', _csrf: await csrfOf(admin.page) } });
    expect(forced.status()).toBe(403);
    expect(await forced.text()).toContain('only an owner');
    await admin.context.close();

    const member = await h.signedIn(SLUG, 'alice', '/me');
    expect(await member.page.getByRole('link', { name: 'Seat advice' }).count()).toBe(0);
    await member.page.goto(`${h.base}/seats`);
    expect(new URL(member.page.url()).pathname).toBe('/me');
    const forcedByMember = await member.page.request.post(`${h.base}/seats/apply`, { form: { member: bob.id, seatTier: 'standard', _csrf: await csrfOf(member.page) } });
    expect(forcedByMember.status()).toBe(403);
    expect((await h.call('GET', '/v1/reports/seat-advice', { token: await h.apiSession(SLUG, 'alice') })).status).toBe(403);
    await member.context.close();

    expect(await scratch.db.prisma.member.findMany({ where: { orgId }, orderBy: { id: 'asc' } })).toEqual(before);
  });
});

describe('seat advice after more usage lands in those months', () => {
  it('is worked out again (usage recorded late into an advised month counts)', async () => {
    const session = await h.apiSession(SLUG, 'owner-1');
    const advice = async () => (await h.call('GET', '/v1/reports/seat-advice', { token: session })).body.advice.find((a: { externalId: string }) => a.externalId === 'bob');
    expect((await advice()).savingPerMonth).toBe('35.00');
    // Bob (premium, $3 a window) uses $10 once: premium $180 + $7 extra, standard $75 + $9 extra: saves $103 / 3 = $34.33.
    const [oldest] = completeMonthsBefore(NOW, TZ, 3);
    const at = new Date(periodStart(oldest!, TZ).getTime() + 2 * 3_600_000).toISOString();
    const key = await h.issueKey(SLUG, ['usage']);
    const res = await h.call('POST', '/v1/usage/record', { token: key, body: { requestId: 'late-bob', member: 'bob', model: HAIKU, at, usage: usageOfCents(1000) } });
    expect(res.status).toBe(200);
    expect(await advice()).toMatchObject({ savingPerMonth: '34.33', currentCost: '187.00', suggestedCost: '84.00' });
  });
});

describe('seat advice for many members', () => {
  it('pages 50 members at a time', async () => {
    await h.provision('big', enterpriseDoc({
      members: [
        ...enterpriseDoc().members,
        ...Array.from({ length: 58 }, (_, i) => ({ externalId: `p-${String(i).padStart(2, '0')}`, name: `Premium ${String(i).padStart(2, '0')}`, role: 'member' as const, seatTier: 'premium' as const })),
      ],
    }));
    expect((await h.call('PUT', '/v1/operator/orgs/big/seat-prices', { token: OPERATOR_TOKEN, body: { standard: '25', premium: '60' } })).status).toBe(200);
    // 60 premium seats without usage (58, Bob, the owner): each saves $35 a month on standard.
    const { context, page } = await h.signedIn('big', 'owner-1', '/seats');
    expect(await page.getByTestId('advice').locator('tbody tr').count()).toBe(50);
    expect(await page.getByText('Page 1 of 2 (60 members)').count()).toBe(1);
    await page.getByRole('link', { name: 'Next page' }).click();
    await page.waitForURL(/page=2/);
    expect(await page.getByTestId('advice').locator('tbody tr').count()).toBe(10);
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  });
});
