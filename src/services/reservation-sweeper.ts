// Releases reservations whose request never reported back, so an abandoned hold
// does not keep a member or an org below its cap for long.
import type { Db } from '../db/client.js';
import { releaseExpiredReservations } from '../ledger/metering/reservations.js';

export function startReservationSweeper(db: Db, opts: { intervalMs?: number; log?: (msg: string) => void } = {}) {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(() => releaseExpiredReservations(db)).then(
      (n) => n > 0 && opts.log?.(`reservations: released ${n} expired hold(s)`),
      (err) => opts.log?.(`reservations: sweep failed: ${(err as Error).message}`),
    );
  }, opts.intervalMs ?? 5_000);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
