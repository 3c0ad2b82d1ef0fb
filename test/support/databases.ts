// Scratch databases for tests: PGlite in memory, and a fresh database on the
// PostgreSQL server (dropped afterwards) so tests never share or damage data.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/client.js';
import { applyMigrations } from '../../src/db/migrate.js';

export const PG_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/** An empty database plus a way to throw it away. */
export interface Scratch {
  db: Database;
  /** The PostgreSQL server database's URL (unset for PGlite in memory). */
  url?: string;
  dispose(): Promise<void>;
}

export async function scratchPglite(): Promise<Scratch> {
  const db = await openDatabase({ pgliteDir: 'memory://' });
  return { db, dispose: () => db.close() };
}

async function admin(sql: string) {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function scratchPostgres(poolSize = 4): Promise<Scratch> {
  const name = `eu_test_${randomBytes(6).toString('hex')}`;
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const db = await openDatabase({ url: url.toString(), poolSize });
  return {
    db,
    url: url.toString(),
    dispose: async () => {
      await db.close();
      await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

export const BACKENDS = [
  { kind: 'pglite' as const, open: () => scratchPglite() },
  { kind: 'postgres' as const, open: () => scratchPostgres() },
];

/** A scratch database with every migration applied. */
export async function migrated(open: () => Promise<Scratch>): Promise<Scratch> {
  const scratch = await open();
  await applyMigrations(scratch.db.prisma);
  return scratch;
}
