// Applies the committed SQL migrations under prisma/migrations, keeping Prisma's own
// `_prisma_migrations` bookkeeping so `prisma migrate deploy` agrees on a connected
// machine. Each migration runs in one transaction; a transaction-scoped advisory lock
// (so a transaction-mode pooler is fine) stops two processes migrating at once.
import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Db } from './client.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../prisma/migrations', import.meta.url));

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

const BOOKKEEPING = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum" VARCHAR(64) NOT NULL,
    "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL,
    "logs" TEXT,
    "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

export class MigrationError extends Error {}

/** Returns the names of the migrations it applied. */
export async function applyMigrations(db: Db, migrations = readMigrations()): Promise<string[]> {
  const applied: string[] = [];
  // Under the same lock as each migration: two instances starting together on an
  // empty database would otherwise both create the table, and one would crash.
  await db.$transaction(async (tx) => {
    await tx.$executeRawUnsafe('SELECT pg_advisory_xact_lock(727274)');
    await tx.$executeRawUnsafe(BOOKKEEPING);
  }, { timeout: 60_000, maxWait: 60_000 });
  for (const m of migrations) {
    const done = await db.$transaction(async (tx) => {
      await tx.$executeRawUnsafe('SELECT pg_advisory_xact_lock(727274)');
      const rows = await tx.$queryRawUnsafe<{ checksum: string; finished_at: Date | null }[]>(
        'SELECT checksum, finished_at FROM "_prisma_migrations" WHERE migration_name = $1 AND rolled_back_at IS NULL',
        m.name,
      );
      const row = rows[0];
      if (row) {
        if (row.checksum !== m.checksum) throw new MigrationError(`Migration ${m.name} was edited after it was applied (checksum differs)`);
        if (!row.finished_at) throw new MigrationError(`Migration ${m.name} is recorded as started but not finished`);
        return false;
      }
      const id = randomUUID();
      await tx.$executeRawUnsafe(
        'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)',
        id, m.checksum, m.name,
      );
      for (const statement of splitStatements(m.sql)) await tx.$executeRawUnsafe(statement);
      await tx.$executeRawUnsafe('UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1', id);
      return true;
    }, { timeout: 60_000, maxWait: 60_000 });
    if (done) applied.push(m.name);
  }
  return applied;
}

/**
 * Splits a migration into statements on semicolons that end a line, keeping
 * dollar-quoted bodies (functions) whole. Prepared statements take one at a time.
 */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let current = '';
  let inDollar = false;
  for (const line of sql.split('\n')) {
    const trimmed = line.trim();
    if (!inDollar && (trimmed.startsWith('--') || trimmed === '')) {
      if (current) current += '\n';
      continue;
    }
    current += line + '\n';
    const dollars = line.split('$$').length - 1;
    if (dollars % 2 === 1) inDollar = !inDollar;
    if (!inDollar && trimmed.endsWith(';')) {
      out.push(current.trim());
      current = '';
    }
  }
  if (current.trim()) out.push(current.trim());
  return out;
}
