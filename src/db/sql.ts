// Plain SQL on the same driver Prisma's adapter uses (a pg Pool or the PGlite
// instance). The metering hot path uses it: one round trip and no query building
// per request. Everything else goes through the Prisma client.
import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';
import { escapeLiteral } from 'pg';

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

/**
 * PGlite plans every statement anew: its query() sends an unnamed statement each call,
 * and the hot path's joins cost far more to plan than to run (authorize: 5.5 ms of the
 * service's thread per statement unnamed, 1 ms prepared; a record batch of one, 11.5 ms).
 * So each statement with parameters is prepared once per text (SQL PREPARE, which lasts
 * for the session, a transaction's rollback included) and run as EXECUTE with its
 * parameters as literals: PostgreSQL takes no bind parameters in EXECUTE. Values are
 * rendered as PGlite's own serializers send them (text; booleans t/f, dates ISO) and
 * quoted by node-postgres's escapeLiteral.
 * Anything else (an object, a buffer) runs unnamed, as before.
 */
const PREPARABLE = /^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b/i;
const MAX_PREPARED = 500;

function literalOf(v: unknown): string | null {
  if (v === null || v === undefined) return 'NULL';
  let text: string;
  if (typeof v === 'string') text = v;
  else if (typeof v === 'number' || typeof v === 'bigint') text = String(v);
  else if (typeof v === 'boolean') text = v ? 't' : 'f';
  else if (v instanceof Date) text = v.toISOString();
  else return null;
  // A NUL cannot be in a literal (nor in any PostgreSQL text): let the unnamed path refuse it.
  if (text.includes('\u0000')) return null;
  // node-postgres's own quoting (quotes doubled; backslashes doubled in an E'' literal).
  return escapeLiteral(text);
}

function preparedStatements() {
  // 'preparing' while one caller prepares it: others meanwhile run it unnamed (never wait:
  // a caller inside a transaction must not wait on one queued behind that transaction).
  const names = new Map<string, string | 'preparing'>();
  let next = 0;
  return async <T>(run: (text: string, params?: unknown[]) => Promise<T[]>, text: string, params: unknown[]): Promise<T[]> => {
    const values = pgliteParams(params);
    const literals = values.map(literalOf);
    const name = names.get(text);
    if (values.length === 0 || !PREPARABLE.test(text) || name === 'preparing' || literals.includes(null) || (name === undefined && names.size >= MAX_PREPARED)) return run(text, values);
    let ready = name;
    if (ready === undefined) {
      names.set(text, 'preparing');
      const fresh = `eu_stmt_${next++}`;
      try {
        await run(`PREPARE ${fresh} AS ${text}`);
      } catch (err) {
        names.delete(text);
        throw err;
      }
      names.set(text, (ready = fresh));
    }
    return run(`EXECUTE ${ready}(${literals.join(', ')})`);
  };
}

export function pgliteSql(db: PGlite): Sql {
  const prepared = preparedStatements();
  const on = (q: { query<T>(text: string, params?: unknown[]): Promise<{ rows: T[] }> }) => async <T>(text: string, params: unknown[] = []) => (await q.query<T>(text, params)).rows;
  const direct = on(db);
  return {
    query: <T>(text: string, params: unknown[] = []) => prepared<T>(direct, text, params),
    // Inside a transaction (the record batch's statements) each runs unnamed, planned for
    // its values: their generic plans cost more than the planning they save (measured with
    // BENCH_ONLY=cpu on PGlite: 2,496 µs of the service per record prepared, 1,647 unnamed;
    // authorize, outside any transaction, 554 prepared against 776).
    transaction(fn) {
      return db.transaction((tx) => {
        const inTx = on(tx);
        return fn({ query: <T>(text: string, params: unknown[] = []) => inTx<T>(text, pgliteParams(params)) });
      });
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
