// Embedded PGlite has no autovacuum: the service vacuums and analyzes it at start and
// then on a timer, so the planner knows how big the tables have grown.
import { afterEach, describe, expect, it } from 'vitest';
import { startPgliteMaintenance, type PgliteMaintenance } from '../../src/db/pglite-maintenance.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';

let scratch: Scratch | undefined;
let maintenance: PgliteMaintenance | undefined;
afterEach(async () => {
  await maintenance?.stop();
  await scratch?.dispose();
  maintenance = scratch = undefined;
});

/** What the planner believes of the Member table: rows (-1: never analyzed). */
async function plannerRows(s: Scratch): Promise<number> {
  const [row] = await s.db.sql.query<{ reltuples: number }>(`SELECT "reltuples"::float8 AS "reltuples" FROM pg_class WHERE "relname" = 'Member'`);
  return Number(row!.reltuples);
}

async function addMembers(s: Scratch, count: number, from = 0) {
  await s.db.sql.query(`INSERT INTO "Organization" ("id", "slug", "name", "plan", "timezone", "updatedAt") VALUES ('org-1', 'o', 'O', 'enterprise', 'UTC', now()) ON CONFLICT DO NOTHING`);
  await s.db.sql.query(
    `INSERT INTO "Member" ("id", "orgId", "externalId", "name", "role", "seatTier", "updatedAt")
     SELECT 'm' || g, 'org-1', 'e' || g, 'Person ' || g, 'member', 'standard', now() FROM generate_series($1::int, $2::int) g`,
    [from + 1, from + count],
  );
}

async function until(check: () => Promise<boolean>) {
  for (;;) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('PGlite maintenance', () => {
  it('analyzes at start and again on its timer, and says so in the log', async () => {
    scratch = await migrated(scratchPglite);
    await addMembers(scratch, 1_000);
    expect(await plannerRows(scratch)).toBeLessThan(1_000);
    const lines: string[] = [];
    maintenance = startPgliteMaintenance(scratch.db.sql, { everyMs: 200, log: (l) => lines.push(l) });
    const s = scratch;
    await until(async () => (await plannerRows(s)) === 1_000);
    await addMembers(s, 500, 1_000);
    await until(async () => (await plannerRows(s)) === 1_500);
    expect(lines.some((l) => /vacuumed and analyzed in \d+ ms/.test(l))).toBe(true);
  });

  it('a failed pass is logged once, and the next passes still run', async () => {
    scratch = await migrated(scratchPglite);
    const lines: string[] = [];
    let fail = 2;
    const sql = {
      ...scratch.db.sql,
      query: async (text: string, params?: unknown[]) => {
        if (fail > 0) {
          fail--;
          throw new Error('disk full');
        }
        return scratch!.db.sql.query(text, params);
      },
    };
    maintenance = startPgliteMaintenance(sql as typeof scratch.db.sql, { everyMs: 50, log: (l) => lines.push(l) });
    await until(async () => lines.some((l) => l.includes('working again')));
    expect(lines.filter((l) => l.includes('maintenance failed'))).toHaveLength(1);
    expect(lines.find((l) => l.includes('maintenance failed'))).toContain('disk full');
  });
});
