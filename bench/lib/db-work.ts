// The database work per request, from PostgreSQL's own counters for the bench database
// (pg_stat_database): transactions committed and rows read, inserted and updated, each
// divided by the requests of the line. docs/operations.md sizes PostgreSQL from these.
import pg from 'pg';

export interface DbCounters {
  commits: number;
  fetched: number;
  inserted: number;
  updated: number;
}

async function read(url: string): Promise<DbCounters> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    // The statistics snapshot is per transaction; clear it so each read is current.
    await c.query('SELECT pg_stat_clear_snapshot()');
    const r = await c.query('SELECT xact_commit, tup_fetched, tup_inserted, tup_updated FROM pg_stat_database WHERE datname = current_database()');
    const row = r.rows[0];
    return { commits: Number(row.xact_commit), fetched: Number(row.tup_fetched), inserted: Number(row.tup_inserted), updated: Number(row.tup_updated) };
  } finally {
    await c.end();
  }
}

/** Starts counting; the returned function gives the work per request of `requests` requests. */
export async function dbWorkMeter(url: string): Promise<(requests: number) => Promise<DbCounters>> {
  const before = await read(url);
  return async (requests) => {
    // The statistics collector flushes at most every second or so: wait for it.
    await new Promise((r) => setTimeout(r, 1_500));
    const after = await read(url);
    const per = (k: keyof DbCounters) => Math.round(((after[k] - before[k]) / Math.max(1, requests)) * 100) / 100;
    return { commits: per('commits'), fetched: per('fetched'), inserted: per('inserted'), updated: per('updated') };
  };
}

export function dbWorkText(w: DbCounters): string {
  return `${w.commits} commits, ${w.fetched} rows read, ${w.inserted} inserted, ${w.updated} updated per request`;
}
