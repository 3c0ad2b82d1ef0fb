// A member claims their Claude Code in the console: telemetry that named nobody (kept
// unattributed) becomes theirs, counted once, with its price from the seeded book.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedPriceBook } from '../../src/ledger/metering/seed-prices.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc } from '../support/fixtures.js';
import { consoleHarness, seriousViolations, type ConsoleHarness } from './support.js';

const NOW = new Date('2026-12-07T12:00:00Z');
const USER_ID = '46d3d271cd8a03da4fdd1753c7097eab8566ac5c00079c0ff33512d11c5c31ce';

describe('claiming Claude Code in the console', () => {
  let scratch: Scratch;
  let h: ConsoleHarness;
  let orgId: string;
  beforeAll(async () => {
    scratch = await migrated(scratchPglite);
    await seedPriceBook(scratch.db.prisma, NOW);
    h = await consoleHarness(scratch.db.prisma, NOW);
    ({ orgId } = await h.provision('acme', enterpriseDoc()));
    const key = await h.issueKey('acme');
    // The real CLI's export, signed in with an API key: it names nobody.
    const payload = JSON.parse(readFileSync(new URL('../fixtures/claude-code/otlp-logs-http-json.json', import.meta.url), 'utf8'));
    expect((await h.call('POST', '/v1/otlp/v1/logs', { token: key, body: payload })).body).toEqual({});
    // And one whose cache write Claude Code billed as 1-hour (its cost_usd is higher than ours).
    const { keepUnattributed } = await import('../../src/ledger/metering/unattributed.js');
    await keepUnattributed(scratch.db.prisma, orgId, [{
      requestId: 'otel:one-hour-write', clientUserId: USER_ID, model: 'claude-opus-4-8', at: new Date('2026-12-07T11:25:00Z'), clientCostNanos: 20_410_000n,
      usage: { input_tokens: 12, output_tokens: 8, cache_read_input_tokens: 20100, cache_creation_input_tokens: 1010, speed: 'standard' },
    }], NOW);
  }, 60_000);
  afterAll(async () => {
    await h?.shutdown();
    await scratch?.dispose();
  });

  it('makes the kept usage of the user id the member\'s, once; another member cannot take it', async () => {
    const { page, context } = await h.signedIn('acme', 'alice', '/me');
    try {
      await page.getByLabel('Claude Code user id').fill(USER_ID);
      await page.getByRole('button', { name: 'Claim' }).click();
      await expect.poll(() => page.getByTestId('claude-code-claimed').count()).toBe(1);
      expect(await page.getByTestId('claude-code-users').textContent()).toContain(USER_ID);
      expect(await seriousViolations(page)).toEqual([]);
    } finally {
      await context.close();
    }
    // Another member cannot take it: answered beside the field, nothing changes.
    const bob = await h.signedIn('acme', 'bob', '/me');
    try {
      await bob.page.getByLabel('Claude Code user id').fill(USER_ID);
      await bob.page.getByRole('button', { name: 'Claim' }).click();
      await expect.poll(() => bob.page.locator('#f-claim-userId-error').textContent().catch(() => '')).toContain('already another member\'s');
    } finally {
      await bob.context.close();
    }
    const alice = await scratch.db.prisma.member.findFirstOrThrow({ where: { orgId, externalId: 'alice' } });
    const events = await scratch.db.prisma.usageEvent.findMany({ where: { orgId, memberId: alice.id } });
    expect(events).toHaveLength(2);
    expect(events.map((e) => [e.model, e.costNanos, e.product, e.flags])).toEqual(expect.arrayContaining([
      ['claude-opus-4-8', 16_622_500n, 'claude_code', ['cost_differs_from_client']],
      ['claude-opus-4-8', 16_622_500n, 'claude_code', null],
    ]));
    expect(await scratch.db.prisma.unattributedUsage.count({ where: { orgId, attributedAt: null } })).toBe(0);
    const audit = await scratch.db.prisma.auditEntry.findFirstOrThrow({ where: { orgId, action: 'claude_code_user.mapped' } });
    expect(audit.actor).toContain('via console');

    // The owner's Spend page shows what Claude Code puts otherwise.
    const owner = await h.signedIn('acme', 'owner-1', '/spend');
    try {
      expect(await owner.page.getByTestId('client-cost-differences').textContent()).toMatch(/1 request\(s\) this month were charged \$0\.0166225, where Claude Code's own cost says \$0\.02041/);
      expect(await seriousViolations(owner.page)).toEqual([]);
    } finally {
      await owner.context.close();
    }
  });
});
