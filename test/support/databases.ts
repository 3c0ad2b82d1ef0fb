// Scratch databases for tests: PGlite in memory, and a fresh database on the
// PostgreSQL server (dropped afterwards) so tests never share or damage data.
// Each test still gets a database of its own; what is shared is how it starts: the
// suite's global set-up (test/support/global-setup.ts) makes one PGlite data folder and
// one PostgreSQL template database per run, both migrated, and a test's database is a
// copy of them (PGlite's initdb alone takes seconds; a copy well under one).
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/client.js';
import { applyMigrations } from '../../src/db/migrate.js';
import { TEMPLATE_ENV } from './templates.js';

export const PG_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/** An empty database plus a way to throw it away. */
export interface Scratch {
  db: Database;
  /** The PostgreSQL server database's URL (unset for PGlite in memory). */
  url?: string;
  dispose(): Promise<void>;
}

/** Opens a scratch database; `migrated` (when there) opens one with every migration applied. */
export type Opener = (() => Promise<Scratch>) & { migrated?: () => Promise<Scratch> };

const dumps = new Map<string, Promise<Blob | undefined>>();
/** The set-up's PGlite data folder (read once per process), or undefined outside the suite. */
function pgliteDump(env: string): Promise<Blob | undefined> {
  let dump = dumps.get(env);
  if (!dump) {
    const file = process.env[env];
    dump = file ? readFile(file).then((bytes) => new Blob([bytes])) : Promise.resolve(undefined);
    dumps.set(env, dump);
  }
  return dump;
}

async function openPglite(withMigrations: boolean): Promise<Scratch> {
  const dump = await pgliteDump(withMigrations ? TEMPLATE_ENV.pgliteMigrated : TEMPLATE_ENV.pgliteEmpty);
  const db = await openDatabase({ pgliteDir: 'memory://', pgliteDataDir: dump });
  if (withMigrations && !dump) await applyMigrations(db.prisma);
  return { db, dispose: () => db.close() };
}

export const scratchPglite: Opener = Object.assign(() => openPglite(false), { migrated: () => openPglite(true) });

export async function admin(sql: string, url = PG_ADMIN_URL) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function openPostgres(poolSize: number, withMigrations: boolean): Promise<Scratch> {
  const name = `eu_test_${randomBytes(6).toString('hex')}`;
  const template = withMigrations ? process.env[TEMPLATE_ENV.postgresMigrated] : undefined;
  await admin(template ? `CREATE DATABASE "${name}" TEMPLATE "${template}"` : `CREATE DATABASE "${name}"`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const db = await openDatabase({ url: url.toString(), poolSize });
  if (withMigrations && !template) await applyMigrations(db.prisma);
  return {
    db,
    url: url.toString(),
    dispose: async () => {
      await db.close();
      await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

export function scratchPostgres(poolSize = 4): Promise<Scratch> {
  return openPostgres(poolSize, false);
}

/** A PostgreSQL scratch opener with its pool size, migrated from the template when asked. */
export function postgresOpener(poolSize = 4): Opener {
  return Object.assign(() => openPostgres(poolSize, false), { migrated: () => openPostgres(poolSize, true) });
}

/** `TEST_DATABASES=pglite` (npm run test:fast) runs the tests made for both on PGlite alone. */
const chosen = process.env.TEST_DATABASES?.split(',').map((k) => k.trim());

export const BACKENDS = [
  { kind: 'pglite' as const, open: scratchPglite },
  { kind: 'postgres' as const, open: postgresOpener() },
].filter((b) => !chosen || chosen.includes(b.kind));

/** A scratch database with every migration applied. */
export async function migrated(open: Opener): Promise<Scratch> {
  if (open.migrated) return open.migrated();
  const scratch = await open();
  await applyMigrations(scratch.db.prisma);
  return scratch;
}
