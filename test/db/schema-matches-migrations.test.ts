// The migrations are hand-written SQL, so nothing else stops them drifting from
// prisma/schema.prisma (which the generated client trusts). This applies them to an
// empty database, on PGlite and on a real PostgreSQL server, and compares the result
// with the schema.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations, MIGRATIONS_DIR } from '../../src/db/migrate.js';
import { diffSchemaAgainstDatabase } from '../support/schema-diff.js';
import { scratchPglite, scratchPostgres, type Scratch } from '../support/databases.js';

// Checksums computed here, independently of migrate.ts, straight from the files.
const files = readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort()
  .map((name) => ({
    name,
    checksum: createHash('sha256').update(readFileSync(join(MIGRATIONS_DIR, name, 'migration.sql'))).digest('hex'),
  }));

describe.each([
  { kind: 'pglite', open: scratchPglite },
  { kind: 'postgres', open: scratchPostgres },
])('migrations on $kind', ({ open }) => {
  let scratch: Scratch;
  let firstRun: string[];

  beforeAll(async () => {
    scratch = await open();
    firstRun = await applyMigrations(scratch.db.prisma);
  }, 60_000);

  afterAll(async () => {
    await scratch?.dispose();
  });

  it('produce exactly what prisma/schema.prisma describes', async () => {
    expect(await diffSchemaAgainstDatabase(scratch.db.prisma)).toEqual([]);
  });

  it('are recorded in _prisma_migrations with the files’ sha256 checksums', async () => {
    expect(files.length).toBeGreaterThan(0);
    expect(firstRun).toEqual(files.map((f) => f.name));
    const rows = await scratch.db.prisma.$queryRawUnsafe<
      { migration_name: string; checksum: string; finished_at: Date | null; rolled_back_at: Date | null }[]
    >('SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY migration_name');
    expect(rows.map((r) => ({ name: r.migration_name, checksum: r.checksum }))).toEqual(files);
    for (const r of rows) {
      expect(r.finished_at).not.toBeNull();
      expect(r.rolled_back_at).toBeNull();
    }
  });

  it('apply nothing the second time', async () => {
    expect(await applyMigrations(scratch.db.prisma)).toEqual([]);
    const [row] = await scratch.db.prisma.$queryRawUnsafe<{ n: number }[]>('SELECT count(*)::int AS n FROM "_prisma_migrations"');
    expect(row?.n).toBe(files.length);
  });
});

// Without this, a checker that always returned [] would pass the tests above.
describe('schema diff', () => {
  it('reports a column made NOT NULL and a dropped unique index', async () => {
    const scratch = await scratchPglite();
    try {
      await applyMigrations(scratch.db.prisma);
      await scratch.db.prisma.$executeRawUnsafe('ALTER TABLE "Member" ALTER COLUMN "email" SET NOT NULL');
      await scratch.db.prisma.$executeRawUnsafe('DROP INDEX "Member_orgId_externalId_key"');
      expect(await diffSchemaAgainstDatabase(scratch.db.prisma)).toEqual([
        'Member.email: nullable in schema, NOT NULL in database',
        'missing unique index Member(orgId, externalId)',
      ]);
    } finally {
      await scratch.dispose();
    }
  }, 60_000);
});
