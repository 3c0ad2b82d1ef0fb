// Migration 20261216020000_team_balance turns the monthly reload limit from a count into
// money, keeping what owners set: N reloads of the stored amount become N × amount; a
// count with no amount (it could not reload anything) becomes no limit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations, readMigrations } from '../../src/db/migrate.js';
import { scratchPglite, type Scratch } from '../support/databases.js';

const MIGRATION = '20261216020000_team_balance';
let scratch: Scratch;

beforeAll(async () => {
  scratch = await scratchPglite();
  await applyMigrations(scratch.db.prisma, readMigrations().filter((m) => m.name < MIGRATION));
}, 120_000);
afterAll(async () => {
  await scratch?.dispose();
});

describe(MIGRATION, () => {
  it('keeps each org\'s monthly reload limit as the money it allowed', async () => {
    const db = scratch.db.prisma;
    const org = (id: string, limit: number | null, amountNanos: bigint | null) => db.$executeRaw`
      INSERT INTO "Organization" ("id", "slug", "name", "plan", "timezone", "updatedAt", "autoReloadEnabled", "autoReloadThresholdNanos", "autoReloadAmountNanos", "autoReloadMonthlyLimit")
      VALUES (${id}, ${id}, ${id}, 'team', 'UTC', now(), ${amountNanos !== null}, ${amountNanos === null ? null : 10_000_000_000n}, ${amountNanos}, ${limit})`;
    await org('three-of-fifty', 3, 50_000_000_000n);
    await org('no-limit', null, 50_000_000_000n);
    await org('count-without-amount', 2, null);
    expect(await applyMigrations(db, readMigrations().filter((m) => m.name <= MIGRATION))).toEqual([MIGRATION]);
    const rows = await db.organization.findMany({ orderBy: { id: 'asc' }, select: { id: true, autoReloadMonthlyMaxNanos: true } });
    expect(rows).toEqual([
      { id: 'count-without-amount', autoReloadMonthlyMaxNanos: null },
      { id: 'no-limit', autoReloadMonthlyMaxNanos: null },
      { id: 'three-of-fifty', autoReloadMonthlyMaxNanos: 150_000_000_000n },
    ]);
    // The backfill woke no reload and told nobody.
    expect(await db.outboxEvent.count()).toBe(0);
  });
});
