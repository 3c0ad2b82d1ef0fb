// The saturation sweep: authorize held at 25/50/75/100 % of its measured peak while
// records run beside it at a steady rate, so an operator sees how latency grows as a
// process fills up (p50/p99 at each step), not only the flat-out figure.
import { load, type LoadResult } from './load.js';
import { loopDelayDuring } from './loop-delay.js';

export const SWEEP_STEPS = [0.25, 0.5, 0.75, 1] as const;
/** Records beside the sweep: a steady gateway's worth, the same at every step. */
export const RECORDS_BESIDE_PER_SECOND = 500;

export interface SweepTarget {
  url: string;
  database: string;
  headers: Record<string, string>;
  authorizeBody: (i: number) => string;
  recordBody: (i: number) => string;
  seconds: number;
  /** For GET /metrics: the event-loop delay during each step. */
  operatorToken: string;
}

export async function saturationSweep(t: SweepTarget, peakRps: number, log: (r: LoadResult) => void): Promise<void> {
  for (const step of SWEEP_STEPS) {
    const rate = Math.max(1, Math.round(peakRps * step));
    const { result: [auth, rec], p99Ms } = await loopDelayDuring(t.url, t.operatorToken, () => Promise.all([
      load({ name: `sweep: authorize at ${Math.round(step * 100)}% of peak (${rate.toLocaleString('en-US')}/s)`, database: t.database, url: t.url, path: '/v1/usage/authorize', headers: t.headers, body: t.authorizeBody, connections: 32, seconds: t.seconds, rate }),
      load({ name: `sweep: records at ${RECORDS_BESIDE_PER_SECOND}/s beside authorize at ${Math.round(step * 100)}%`, database: t.database, url: t.url, path: '/v1/usage/record', headers: t.headers, body: t.recordBody, connections: 8, seconds: t.seconds, rate: RECORDS_BESIDE_PER_SECOND }),
    ]));
    log({ ...auth, loopDelayP99Ms: p99Ms });
    log({ ...rec, loopDelayP99Ms: p99Ms });
  }
}
