// Opens the database: embedded PGlite in a data folder by default, a PostgreSQL
// server when a URL is given. Both speak the same schema through Prisma adapters.
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.js';
import { pgliteSql, poolSql, registerSql, type Sql } from './sql.js';

export type Db = PrismaClient;

export interface Database {
  prisma: PrismaClient;
  /** The same connections, for the hot path's plain SQL. */
  sql: Sql;
  kind: 'pglite' | 'postgres';
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** postgres://… for a server; otherwise a folder for PGlite, or 'memory://'. */
  url?: string;
  pgliteDir?: string;
  /** PGlite starts from this copy of a data folder (PGlite's dumpDataDir) instead of an empty one. */
  pgliteDataDir?: Blob;
  poolSize?: number;
  /**
   * Server connections are shared per transaction by a pooler (PgBouncer in transaction
   * mode): a statement prepared by name on one may be missing or already exist on the
   * next, so none is named (each is parsed per call instead).
   */
  transactionPooler?: boolean;
}

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  if (opts.url) {
    const pool = new pg.Pool({ connectionString: opts.url, max: opts.poolSize ?? 10 });
    // An idle connection the server drops (restart, failover, a forced drop) must not
    // crash the process: the pool replaces it on the next query.
    pool.on('error', (err) => console.error(`database: idle connection lost: ${err.message}`));
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
    const sql = poolSql(pool, { namedStatements: !opts.transactionPooler });
    registerSql(prisma, sql);
    return {
      prisma,
      sql,
      kind: 'postgres',
      close: async () => {
        await prisma.$disconnect();
        await pool.end();
      },
    };
  }
  const dir = opts.pgliteDir ?? 'memory://';
  if (!dir.startsWith('memory://')) mkdirSync(dir, { recursive: true });
  const pglite = await PGlite.create(dir, opts.pgliteDataDir ? { loadDataDir: opts.pgliteDataDir } : {});
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  const sql = pgliteSql(pglite);
  registerSql(prisma, sql);
  return {
    prisma,
    sql,
    kind: 'pglite',
    close: async () => {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}
