// Plain SQL on the same driver Prisma's adapter uses (a pg Pool or the PGlite
// instance). The metering hot path uses it: one round trip and no query building
// per request. Everything else goes through the Prisma client.
import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';

export interface SqlQuery {
  /** Runs one statement; `name` makes it a prepared statement on PostgreSQL. */
  query<T = Record<string, unknown>>(text: string, params?: unknown[], name?: string): Promise<T[]>;
}

export interface Sql extends SqlQuery {
  /** Runs `fn` in one transaction on one connection: committed if it returns, rolled back if it throws. */
  transaction<T>(fn: (tx: SqlQuery) => Promise<T>): Promise<T>;
}

export function poolSql(pool: pg.Pool, opts: { namedStatements?: boolean } = {}): Sql {
  const named = opts.namedStatements ?? true;
  const on = (c: pg.Pool | pg.PoolClient): SqlQuery => ({
    async query<T>(text: string, params: unknown[] = [], name?: string) {
      const res = await c.query({ text, values: params, ...(name && named ? { name } : {}) });
      return res.rows as T[];
    },
  });
  return {
    ...on(pool),
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const out = await fn(on(client));
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
  };
}

/** A JS array as PostgreSQL array text ('{"a","b",NULL}'), which PGlite takes for array parameters. */
export function arrayLiteral(values: unknown[]): string {
  const item = (v: unknown) => (v === null || v === undefined ? 'NULL' : `"${String(v).replace(/[\\"]/g, (c) => `\\${c}`)}"`);
  return `{${values.map(item).join(',')}}`;
}

const pgliteParams = (params: unknown[]) => params.map((p) => (Array.isArray(p) ? arrayLiteral(p) : p));

export function pgliteSql(db: PGlite): Sql {
  return {
    async query<T>(text: string, params: unknown[] = []) {
      return (await db.query<T>(text, pgliteParams(params))).rows;
    },
    transaction(fn) {
      return db.transaction((tx) => fn({ query: async <T>(text: string, params: unknown[] = []) => (await tx.query<T>(text, pgliteParams(params))).rows }));
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
