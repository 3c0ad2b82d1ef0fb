// Once per test run, before any test file: the migrated databases every test copies
// (PGlite data folders and a PostgreSQL template database) and the workflow bundle, so
// no test pays for initdb, every migration or webpack again. Torn down after the run.
// Handed over in environment variables: test processes and the services they start read them.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from '../../src/generated/prisma/client.js';
import { openDatabase } from '../../src/db/client.js';
import { applyMigrations, readMigrations } from '../../src/db/migrate.js';
import { bundleWorkflows } from '../../src/temporal/worker.js';
import { admin, PG_ADMIN_URL } from './databases.js';
import { TEMPLATE_ENV } from './templates.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CACHE_DIR = join(ROOT, 'node_modules/.cache/extra-usage-test-databases');
const PGLITE_VERSION = (JSON.parse(readFileSync(join(ROOT, 'node_modules/@electric-sql/pglite/package.json'), 'utf8')) as { version: string }).version;

/**
 * PGlite's data folders, right after initdb and with every migration applied. initdb in
 * WebAssembly takes seconds, so they are kept between runs under node_modules/.cache,
 * named by PGlite's version and the migrations' checksums: a new migration makes new ones.
 */
async function pgliteDumps(): Promise<void> {
  const key = createHash('sha256')
    .update(PGLITE_VERSION)
    .update(readMigrations().map((m) => `${m.name}:${m.checksum}`).join('\n'))
    .digest('hex')
    .slice(0, 16);
  const dir = join(CACHE_DIR, key);
  const empty = join(dir, 'pglite-empty.tar');
  const full = join(dir, 'pglite-migrated.tar');
  if (!existsSync(full)) await makePgliteDumps(dir, empty, full);
  process.env[TEMPLATE_ENV.pgliteEmpty] = empty;
  process.env[TEMPLATE_ENV.pgliteMigrated] = full;
}

async function makePgliteDumps(dir: string, empty: string, full: string): Promise<void> {
  const pglite = await PGlite.create('memory://');
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  try {
    await mkdir(dir, { recursive: true });
    await writeAtomically(empty, await pglite.dumpDataDir('none'));
    await applyMigrations(prisma);
    // A copy starts with planner statistics, as the service's database has after its start-up VACUUM.
    await pglite.exec('VACUUM ANALYZE');
    await writeAtomically(full, await pglite.dumpDataDir('none'));
  } finally {
    await prisma.$disconnect();
    await pglite.close();
  }
}

/** Two runs at once (or one killed half-way) never leave a half-written file under the final name. */
async function writeAtomically(file: string, data: Blob): Promise<void> {
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, Buffer.from(await data.arrayBuffer()));
  await rename(partial, file);
}

async function postgresTemplate(): Promise<string> {
  const name = `eu_template_${randomBytes(6).toString('hex')}`;
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const db = await openDatabase({ url: url.toString(), poolSize: 1 });
  try {
    await applyMigrations(db.prisma);
  } finally {
    await db.close();
  }
  process.env[TEMPLATE_ENV.postgresMigrated] = name;
  return name;
}

async function workflowBundleFile(dir: string): Promise<void> {
  const { code, sourceMap } = await bundleWorkflows();
  const file = join(dir, 'workflow-bundle.js');
  await writeFile(file, code);
  await writeFile(`${file}.map`, sourceMap);
  process.env.WORKFLOW_BUNDLE = file;
}

export default async function setup(): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'eu-test-run-'));
  // Without a PostgreSQL server (a PGlite-only run) its tests fall back to migrating a database each.
  const [, template] = await Promise.all([pgliteDumps(), postgresTemplate().catch(() => undefined), workflowBundleFile(dir)]);
  return async () => {
    if (template) await admin(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`);
    await rm(dir, { recursive: true, force: true });
  };
}
