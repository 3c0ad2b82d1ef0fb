// One place for how the ledger runs a transaction: generous waits (PGlite runs
// transactions one at a time, so a burst queues) and a retry when PostgreSQL
// aborts one of two transactions that locked rows in opposite orders.
import type { Db } from '../db/client.js';

type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];
export type { Tx };

const RETRYABLE = /40P01|40001|deadlock detected|could not serialize|TransactionWriteConflict/;

export function isRetryable(err: unknown): boolean {
  const e = err as { code?: string; message?: string; meta?: unknown };
  return e?.code === 'P2034' || RETRYABLE.test(`${e?.message ?? ''} ${JSON.stringify(e?.meta ?? '')}`);
}

export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string; meta?: unknown };
  return e?.code === 'P2002' || /23505|unique constraint/i.test(`${e?.message ?? ''} ${JSON.stringify(e?.meta ?? '')}`);
}

/** PostgreSQL's "numeric value out of range" (22003): a total would pass BIGINT. */
export function isOutOfRange(err: unknown): boolean {
  const e = err as { code?: string; message?: string; meta?: unknown };
  return e?.code === '22003' || /22003|out of range/i.test(`${e?.message ?? ''} ${JSON.stringify(e?.meta ?? '')}`);
}

export async function inTransaction<T>(db: Db, fn: (tx: Tx) => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.$transaction(fn, { maxWait: 30_000, timeout: 30_000 });
    } catch (err) {
      if (attempt >= attempts || !isRetryable(err)) throw err;
    }
  }
}
