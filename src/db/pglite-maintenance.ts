// Embedded PGlite runs no autovacuum: without this, its planner statistics stay those
// of the empty database (plans fit for ten rows, run on thousands) and dead row
// versions left by updates (every record updates its month's spend rows) are never
// reclaimed. The service does autovacuum's job itself: VACUUM (ANALYZE) at start and
// then every PGLITE_MAINTENANCE_MINUTES. A PostgreSQL server has its own autovacuum.
import type { Sql } from './sql.js';

export interface PgliteMaintenance {
  /** Runs one pass now (after any pass in progress); resolves with how long it took. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

export function startPgliteMaintenance(sql: Sql, opts: { everyMs: number; log?: (msg: string) => void; now?: () => number }): PgliteMaintenance {
  const now = opts.now ?? Date.now;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  let failing = false;

  const pass = async () => {
    const started = now();
    await sql.query('VACUUM (ANALYZE)');
    return now() - started;
  };
  const runOnce = () => {
    const p = running.then(pass);
    running = p.catch(() => undefined);
    return p;
  };
  const scheduled = () => {
    if (stopped) return;
    runOnce().then(
      (ms) => {
        opts.log?.(`database: embedded PGlite vacuumed and analyzed in ${ms} ms${failing ? ' (working again)' : ''}`);
        failing = false;
      },
      (err) => {
        // Said once per run of failures: the next pass is tried on time all the same.
        if (!failing) opts.log?.(`database: embedded PGlite maintenance failed (tried again in ${Math.round(opts.everyMs / 60_000)} min): ${(err as Error).message}`);
        failing = true;
      },
    );
  };
  scheduled();
  const timer = setInterval(scheduled, opts.everyMs);
  timer.unref();
  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
