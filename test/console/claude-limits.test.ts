// Limits in Claude where people look, in Chromium: for an org connected to Claude the
// console's "Individual seat limits" show each member's effective limit per period,
// where it comes from (their own, seat tier, group, organization) and their spend so
// far in cents (exact from Anthropic's minor-unit strings), tier and organization
// limits read-only ("change this in claude.ai"), an owner's "Edit limit" going through
// the set path (one `set`, audited); a member's "What stops you next" names the limit
// in Claude that stops them next. The same page of an org not connected keeps our
// ledger's caps (both read through one limits port).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpendSummary } from '@anthropic-ai/sdk/resources/organization/spend-limits/spend-limits';
import { adminClient } from '../../src/anthropic/client.js';
import { connectOrg } from '../../src/anthropic/connection.js';
import { listEffective, mirrorEffectiveLimits } from '../../src/anthropic/effective-limits.js';
import { listAllUsers, mirrorMembers } from '../../src/anthropic/members.js';
import { secretBox } from '../../src/secrets/secret-box.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc } from '../support/fixtures.js';
import { startAdminApi, type AdminApiStandIn } from '../support/anthropic-admin-api.js';
import { consoleHarness, seriousViolations, type ConsoleHarness } from './support.js';

const KEY = 'sk-ant-admin01-console-limits-key-0123456789';
let scratch: Scratch;
let api: AdminApiStandIn;
let h: ConsoleHarness;
let orgId: string;

const effective = (user: string, period: SpendSummary['period'], amount: string | null, spent: string, source: SpendSummary['source']): SpendSummary => ({
  actor: { type: 'user_actor', user_id: user, name: user, email_address: `${user}@acme.example`, deleted: false },
  amount, currency: 'USD', period, period_to_date_spend: spent, scope: { type: 'user', user_id: user }, source, spend_limit_id: `spl_${user}_${period}`,
});

beforeAll(async () => {
  [scratch, api] = await Promise.all([migrated(scratchPglite), startAdminApi({ key: KEY })]);
  const db = scratch.db.prisma;
  const anthropic = { box: secretBox(randomBytes(32)), baseUrl: api.url };
  h = await consoleHarness(db, new Date(), { anthropic });
  const doc = enterpriseDoc();
  doc.members = doc.members.map((m) => ({ ...m, email: `${m.externalId}@acme.example` }));
  await h.provision('acme', doc);
  await h.provision('plain', enterpriseDoc({ name: 'Plain Org' }));
  orgId = (await db.organization.findUniqueOrThrow({ where: { slug: 'acme' } })).id;
  api.addUser({ id: 'user_owner', email: 'owner-1@acme.example', name: 'Olivia Owner', role: 'primary_owner' });
  api.addUser({ id: 'user_admin', email: 'admin-1@acme.example', name: 'Adam Admin', role: 'admin' });
  api.addUser({ id: 'user_alice', email: 'alice@acme.example', name: 'Alice', role: 'user' });
  api.addUser({ id: 'user_bob', email: 'bob@acme.example', name: 'Bob', role: 'user' });
  await connectOrg(db, anthropic, orgId, KEY, 'operator');
  const client = adminClient(KEY, { baseUrl: api.url });
  await mirrorMembers(db, orgId, await listAllUsers(client), new Date());
  api.effective.push(
    effective('user_alice', 'monthly', '5000', '1234.5', { type: 'seat_tier', seat_tier: 'standard' }),
    effective('user_alice', 'weekly', '2000', '1990', { type: 'user', user_id: 'user_alice' }),
    effective('user_bob', 'monthly', '10000', '10000.004', { type: 'organization' }),
  );
  await mirrorEffectiveLimits(db, orgId, await listEffective(client), new Date());
}, 120_000);
afterAll(async () => {
  await h?.shutdown();
  await api?.close();
  await scratch?.dispose();
});

describe('limits in Claude on the console', () => {
  it('Individual seat limits: each member\'s limit, its source and spend in cents; an owner\'s Edit limit is one set, audited', async () => {
    const { context, page } = await h.signedIn('acme', 'owner-1', '/usage');
    const section = page.locator('section', { has: page.getByRole('heading', { name: 'Individual seat limits' }) });
    const monthly = section.locator('[data-claude-member="alice"][data-period="monthly"]');
    expect(await monthly.textContent()).toContain('$50.00');
    expect(await monthly.textContent()).toContain('Seat tier');
    expect(await monthly.textContent()).toContain('change this in claude.ai');
    // 1234.5 cents: $12.345, shown in cents.
    expect(await monthly.textContent()).toContain('$12.35');
    const weekly = section.locator('[data-claude-member="alice"][data-period="weekly"]');
    expect(await weekly.textContent()).toContain('Their own limit');
    expect(await weekly.textContent()).not.toContain('claude.ai');
    expect(await weekly.textContent()).toContain('$19.90');
    const bob = section.locator('[data-claude-member="bob"][data-period="monthly"]');
    expect(await bob.textContent()).toContain('Organization');
    expect(await bob.textContent()).toContain('Reached');
    // A member Anthropic reported nothing for.
    expect(await section.locator('tr[data-member="admin-1"]').textContent()).toContain('No limit reported by Claude yet');
    expect(await seriousViolations(page)).toEqual([]);

    const sets = api.sets().length;
    await weekly.locator('summary', { hasText: 'Edit limit' }).click();
    await weekly.locator('input[name=cap]').fill('35');
    await weekly.getByRole('button', { name: 'Set cap' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('limit is set in Claude');
    expect(api.sets().slice(sets)).toEqual([{ scope: { type: 'user', user_id: 'user_alice' }, period: 'weekly', amount: '3500' }]);
    expect(await page.locator('[data-claude-member="alice"][data-period="weekly"]').textContent()).toContain('$35.00');
    const audit = await scratch.db.prisma.auditEntry.findFirstOrThrow({ where: { orgId, action: 'anthropic.spend_limit.user.set' }, orderBy: { id: 'desc' } });
    expect(audit.actor).toContain('(owner-1) via console');
    await context.close();

    // Admins read them; no Edit limit.
    const adam = await h.signedIn('acme', 'admin-1', '/usage');
    expect(await adam.page.locator('[data-claude-member="alice"][data-period="monthly"]').textContent()).toContain('$50.00');
    expect(await adam.page.locator('[data-testid="claude-limits"] summary').count()).toBe(0);
    await adam.context.close();

    // An org not connected: the same table with our ledger's caps.
    const plain = await h.signedIn('plain', 'owner-1', '/usage');
    expect(await plain.page.locator('[data-testid="claude-limits"]').count()).toBe(0);
    expect(await plain.page.locator('[data-testid="members"] tr[data-member="alice"]').textContent()).toContain('$50.00');
    await plain.context.close();
  });

  it('What stops you next names the member\'s limit in Claude that stops them next, with its source and spend', async () => {
    const alice = await h.signedIn('acme', 'alice', '/me');
    const next = alice.page.getByTestId('next');
    // Weekly: $35.00 with $19.90 spent leaves less than the monthly $50.00 with $12.35 spent.
    expect(await next.textContent()).toContain('Your next limit in Claude is your weekly limit of $35.00: $19.90 spent this week (from your own limit)');
    expect(await next.locator('li[data-period="monthly"]').textContent()).toBe('Monthly limit: $12.35 of $50.00 spent this month (from your seat tier (standard), changed in claude.ai)');
    expect(await seriousViolations(alice.page)).toEqual([]);
    await alice.context.close();

    const bob = await h.signedIn('acme', 'bob', '/me');
    expect(await bob.page.getByTestId('next').textContent()).toContain('You are stopped by your monthly limit in Claude: $100.00 of $100.00 spent this month (from the organization, changed in claude.ai)');
    await bob.context.close();
  });
});
