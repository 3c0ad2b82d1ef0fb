// Plain SQL on the same driver Prisma's adapter uses (a pg Pool or the PGlite
// instance). The metering hot path uses it: one round trip and no query building
// per request. Everything else goes through the Prisma client.
import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';

export interface Sql {
  /** Runs one statement; `name` makes it a prepared statement on PostgreSQL. */
  query<T = Record<string, unknown>>(text: string, params?: unknown[], name?: string): Promise<T[]>;
}

export function poolSql(pool: pg.Pool): Sql {
  return {
    async query<T>(text: string, params: unknown[] = [], name?: string) {
      const res = await pool.query({ text, values: params, ...(name ? { name } : {}) });
      return res.rows as T[];
    },
  };
}

export function pgliteSql(db: PGlite): Sql {
  return {
    async query<T>(text: string, params: unknown[] = []) {
      return (await db.query<T>(text, params)).rows;
    },
  };
}

const registry = new WeakMap<object, Sql>();

/** Remembers the SQL runner that goes with a Prisma client (set by openDatabase). */
export function registerSql(prisma: object, sql: Sql): void {
  registry.set(prisma, sql);
}

export function sqlOf(prisma: object): Sql {
  const sql = registry.get(prisma);
  if (!sql) throw new Error('no SQL runner registered for this Prisma client: open it with openDatabase()');
  return sql;
}

/** Driver values of BIGINT columns (string from pg, bigint or number from PGlite) as bigint. */
export const big = (v: unknown): bigint => (v === null || v === undefined ? 0n : BigInt(v as string));
export const bigOrNull = (v: unknown): bigint | null => (v === null || v === undefined ? null : BigInt(v as string));
