// Cross-process cache invalidation. Each process keeps short-lived copies of rarely
// changed rows: API keys (api-keys.ts), org snapshots (limits-state.ts), the price
// book and model aliases (prices.ts, models.ts). Triggers bump a CacheVersion row in
// the transaction of every change to those tables (migration 20261207010000); each
// process polls the three rows every CACHE_SYNC_MS and drops the copies of a kind
// whose version moved. So a change committed through any process (or psql) is
// honoured by every other within one interval plus one poll's round trip. If the
// database cannot be polled, each copy still expires on its own (keys 5 s, org 2 s,
// prices 30 s), and a price row never applies before every copy has it in any case:
// rows take effect at least PRICE_LEAD_MS after they are added (prices.ts).
//
// Polling, not LISTEN/NOTIFY: a plain SELECT holds no session state, so it works
// behind a transaction-mode pooler.
import type { Db } from '../db/client.js';
import { forgetApiKeys } from './settings/api-keys.js';
import { forgetOrgSnapshots } from './limits-state.js';
import { forgetModelAliases } from './metering/models.js';
import { forgetPrices } from './metering/prices.js';

export const CACHE_KINDS = ['api_key', 'org', 'price'] as const;
export type CacheKind = (typeof CACHE_KINDS)[number];

const forgetters: Record<CacheKind, (db: Db) => Promise<void> | void> = {
  api_key: forgetApiKeys,
  org: forgetOrgSnapshots,
  price: (db) => {
    forgetPrices(db);
    forgetModelAliases(db);
  },
};

export async function readCacheVersions(db: Db): Promise<Map<string, bigint>> {
  const rows = await db.cacheVersion.findMany({ select: { kind: true, version: true } });
  return new Map(rows.map((r) => [r.kind, r.version]));
}

/** The kinds whose version differs between two readings (a kind new in `next` counts). */
export function changedKinds(prev: ReadonlyMap<string, bigint>, next: ReadonlyMap<string, bigint>): CacheKind[] {
  return CACHE_KINDS.filter((k) => next.has(k) && prev.get(k) !== next.get(k));
}

export interface CacheSync {
  /** Poll once now (tests, and the loop). Resolves to the kinds it dropped. */
  poll(): Promise<CacheKind[]>;
  stop(): Promise<void>;
}

export function startCacheSync(db: Db, opts: { intervalMs: number; log?: (msg: string) => void }): CacheSync {
  let seen: Map<string, bigint> | null = null;
  let failing = false;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> = Promise.resolve();

  const pollOnce = async (): Promise<CacheKind[]> => {
    const next = await readCacheVersions(db);
    // The first reading is the baseline: copies made before it are dropped too.
    const changed = seen ? changedKinds(seen, next) : [...CACHE_KINDS];
    for (const k of changed) await forgetters[k](db);
    seen = next;
    return changed;
  };
  const poll = () => {
    const p = running.then(pollOnce);
    running = p.catch(() => undefined);
    return p;
  };
  const loop = () => {
    if (stopped) return;
    poll().then(
      () => {
        if (failing) opts.log?.('cache sync: polling again');
        failing = false;
      },
      (err) => {
        // Said once per outage; the copies expire on their own meanwhile.
        if (!failing) opts.log?.(`cache sync: poll failed (copies fall back to their own expiry): ${(err as Error).message}`);
        failing = true;
      },
    ).finally(() => {
      if (!stopped) (timer = setTimeout(loop, opts.intervalMs)).unref();
    });
  };
  loop();
  return {
    poll,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
