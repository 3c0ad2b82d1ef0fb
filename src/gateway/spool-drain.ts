// Records what the usage spool keeps (usage-spool.ts) once the ledger answers: at start,
// whenever a record is added, and while the ledger is away with back-off (0.5 s
// doubling to 30 s). Each record goes through the record path (the same requestId
// counts once however often it is sent); one forwarded unchecked is then audited as
// gateway.failed_open, once (the entry is looked for under a lock on its requestId),
// and only then settled. One the ledger refuses (a 4xx: an undeclared product, a
// member unknown) is set aside and logged, never retried; usage without a price is not
// refused: the ledger keeps it unpriced and prices it later (metering/unpriced.ts).
// Files of processes gone are looked for every few seconds (at least twice per stale
// period of their locks: 10 s unless GATEWAY_SPOOL_TAKEOVER_SECONDS says otherwise).
import type { Db } from '../db/client.js';
import { writeAudit } from '../ledger/audit.js';
import { LedgerError } from '../ledger/errors.js';
import { recordBatcherOf } from '../ledger/metering/record-batch.js';
import { inTransaction } from '../ledger/transactions.js';
import type { SpooledRecord, UsageSpool } from './usage-spool.js';

export interface DrainLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface SpoolDrain {
  /** Something was added: try now (or at the end of the back-off, the ledger being away). */
  kick(): void;
  stop(): Promise<void>;
}

const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;
/** With nothing waiting: how often to look for files of processes gone (more often when their locks go stale sooner). */
const ORPHAN_SCAN_MS = 5_000;
/** Records sent at once (they share the record path's group commit). */
const CHUNK = 50;
// Two-key advisory locks live apart from the one-key ones used elsewhere.
const AUDIT_LOCK_SPACE = 4242024;

export function startSpoolDrain(o: {
  db: Db;
  spool: UsageSpool;
  now: () => Date;
  log: DrainLog;
  onRecord?: (outcome: { requestId: string; ok: boolean; error?: unknown }) => void;
}): SpoolDrain {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  let again = false;
  let backoff = 0;
  let stopped = false;
  const orphanScanMs = Math.min(ORPHAN_SCAN_MS, Math.floor(o.spool.staleMs / 2));

  const schedule = (ms: number) => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(run, ms);
    timer.unref();
  };

  function run() {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = pass().then(
      (away) => {
        running = null;
        if (away) {
          // Said when the ledger goes away, then about every 30 s while it stays away.
          if (backoff === 0 || backoff === MAX_BACKOFF_MS) o.log.warn({ err: away.err, waiting: o.spool.waiting().length }, 'gateway spool: the ledger is unreachable; usage waits in the spool and is retried with back-off');
          backoff = Math.min(MAX_BACKOFF_MS, backoff ? backoff * 2 : FIRST_BACKOFF_MS);
          schedule(backoff);
        } else {
          backoff = 0;
          schedule(again ? 0 : orphanScanMs);
        }
        again = false;
      },
      (err: unknown) => {
        running = null;
        o.log.error({ err }, 'gateway spool: a replay pass failed');
        schedule(MAX_BACKOFF_MS);
      },
    );
  }

  /** One pass over what waits; the error when the ledger was out of reach (try again later). */
  async function pass(): Promise<{ err: unknown } | null> {
    const adopted = await o.spool.adoptOrphans();
    if (adopted) o.log.warn({ records: adopted }, 'gateway spool: usage left by a process that stopped is recorded now');
    const waiting = o.spool.waiting();
    for (let i = 0; i < waiting.length && !stopped; i += CHUNK) {
      const outcomes = await Promise.all(waiting.slice(i, i + CHUNK).map(recordOne));
      const away = outcomes.find((x) => x !== null);
      if (away) return away;
    }
    return null;
  }

  /** Null when done (recorded, or set aside); the error when the ledger could not be reached. */
  async function recordOne(r: SpooledRecord): Promise<{ err: unknown } | null> {
    try {
      const result = await recordBatcherOf(o.db).submit({ orgId: r.orgId, requestId: r.requestId, member: r.member, model: r.model, usage: r.usage, at: new Date(r.at), product: r.product }, o.now());
      if (!result.replayed && result.unpriced) o.log.warn({ requestId: r.requestId, model: r.model, reason: result.unpriced.reason }, 'gateway: usage recorded without a price: add a price (or an alias) for it; it is counted once priced');
      if (r.unchecked) {
        await auditFailedOpenOnce(o.db, r);
        o.log.info({ requestId: r.requestId }, 'gateway: a request forwarded unchecked while the ledger was unreachable is recorded');
      }
    } catch (err) {
      if (!(err instanceof LedgerError)) return { err };
      // Refused by the ledger: retrying will not change it. Kept for the operator.
      await o.spool.setAside(r, err.message);
      o.log.error({ err, record: r }, 'gateway: usage refused by the ledger, kept in the spool folder\'s refused.jsonl (replay it with POST /v1/usage/record once the cause is fixed)');
      o.onRecord?.({ requestId: r.requestId, ok: false, error: err });
      return null;
    }
    await o.spool.settle(r.requestId);
    o.onRecord?.({ requestId: r.requestId, ok: true });
    return null;
  }

  schedule(0);
  return {
    kick() {
      // While the ledger is away the back-off decides; otherwise now.
      if (running) again = true;
      else if (backoff === 0) schedule(0);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

/** The gateway.failed_open entry of a request forwarded unchecked, written once however often its record is replayed. */
export async function auditFailedOpenOnce(db: Db, r: SpooledRecord): Promise<void> {
  await inTransaction(db, async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${AUDIT_LOCK_SPACE}::int, hashtext(${r.requestId}))`;
    const seen = await tx.$queryRaw<{ id: bigint }[]>`
      SELECT "id" FROM "AuditEntry" WHERE "orgId" = ${r.orgId} AND "action" = 'gateway.failed_open' AND "after"->>'requestId' = ${r.requestId} LIMIT 1`;
    if (seen.length) return;
    await writeAudit(tx, r.orgId, [{ actor: 'gateway', action: 'gateway.failed_open', subject: `gateway_key:${r.keyId}`, before: null, after: { requestId: r.requestId, member: r.member, model: r.model, at: r.at, recordedAfterOutage: true } }]);
  });
}
