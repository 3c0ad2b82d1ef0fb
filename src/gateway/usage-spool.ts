// The gateway's usage spool: what a model request used, kept on disk until the ledger
// has it. A request forwarded unchecked (the ledger unreachable, its org failing open)
// or whose record met the database away is written here, fsynced, before its answer's
// end goes out; it is settled once recorded (and audited). Append-only, one file per
// process in DATA_DIR/gateway-spool, each held by a lock (proper-lockfile: a lock
// directory whose mtime its holder keeps fresh), so a file whose process died (killed,
// crashed) is adopted by exactly one live process sharing the folder, replayed, then
// removed. Should two ever replay the same line (a lock taken over from a process that
// was only stalled), the ledger counts a requestId once and the audit entry is written
// once (spool-drain.ts). Usage the ledger refuses (a 4xx) is set aside in refused.jsonl,
// never retried and never dropped, for the operator.
import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, stat, unlink, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { z } from 'zod';
import { usageObject } from '../api/routes/usage.js';

/** One model request's usage, as the record path takes it, and who it was. */
export const spooledRecord = z.object({
  orgId: z.string().min(1),
  requestId: z.string().min(1),
  /** The member's id. */
  member: z.string().min(1),
  model: z.string().min(1),
  usage: usageObject,
  /** When the request happened. */
  at: z.iso.datetime(),
  product: z.string().nullable(),
  keyId: z.string().nullable(),
  /** Forwarded without a cap check (the org fails open): audited as gateway.failed_open when recorded. */
  unchecked: z.boolean(),
  /** When it was written here. */
  spooledAt: z.iso.datetime(),
});
export type SpooledRecord = z.infer<typeof spooledRecord>;

/** A spool line: a record to make, or one made (settled). */
const line = z.union([z.object({ add: spooledRecord }).strict(), z.object({ settled: z.string().min(1) }).strict()]);

export interface SpoolBacklog {
  /** Records waiting for the ledger (this process's and the ones it adopted). */
  waitingRecords: number;
  /** When the oldest of them was written; null when none waits. */
  since: string | null;
  /** Records the ledger refused, kept in refused.jsonl for the operator (every process's). */
  refusedRecords: number;
}

export interface SpoolLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** A SpoolLog writing service lines (the record itself included, so it can be replayed by hand). */
export function spoolLogOf(write: (msg: string) => void): SpoolLog {
  const say = (obj: object, msg: string) => write(`${msg} ${JSON.stringify(obj, (_k, v: unknown) => (v instanceof Error ? v.message : v))}`);
  return { warn: say, error: say };
}

/** A lock is taken over once its holder has not refreshed it for this long (GATEWAY_SPOOL_TAKEOVER_SECONDS). */
export const DEFAULT_SPOOL_STALE_MS = 10_000;
/** proper-lockfile's floor: a lock younger than this is never taken over. */
const MIN_STALE_MS = 2_000;
export const REFUSED_FILE = 'refused.jsonl';

/** One spool file this process holds the lock of: its own, or one adopted from a process gone. */
class SpoolFile {
  readonly waiting = new Map<string, SpooledRecord>();
  /** File operations in order: appends, the truncation when nothing waits, closing. */
  private queue: Promise<unknown> = Promise.resolve();
  /** An append failed part-way (here, or in the process the file was adopted from): the next line starts on a line of its own. */
  torn = false;

  constructor(readonly path: string, private handle: FileHandle | null, private readonly release: () => Promise<void>, readonly adopted: boolean) {}

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.queue.then(op, op);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Appends a line; `durable` waits for fsync (a settled line need not: replaying a recorded request counts it once). */
  append(text: string, durable: boolean): Promise<void> {
    return this.serial(async () => {
      if (!this.handle) throw new Error(`spool file ${this.path} is closed`);
      try {
        await this.handle.appendFile(`${this.torn ? '\n' : ''}${text}\n`);
      } catch (err) {
        this.torn = true;
        throw err;
      }
      this.torn = false;
      if (durable) await this.handle.datasync();
    });
  }

  /** Nothing waits: an own file starts empty again; an adopted one is removed and its lock released. */
  compactIfDone(): Promise<boolean> {
    return this.serial(async () => {
      if (this.waiting.size > 0 || !this.handle) return false;
      if (!this.adopted) {
        await this.handle.truncate(0);
        return false;
      }
      await this.handle.close();
      this.handle = null;
      await unlink(this.path).catch(() => undefined);
      await this.release().catch(() => undefined);
      return true;
    });
  }

  /** Its lock is another process's now: closed here, left to them. */
  abandon(): Promise<void> {
    return this.serial(async () => {
      await this.handle?.close();
      this.handle = null;
    });
  }

  close(): Promise<void> {
    return this.serial(async () => {
      if (!this.handle) return;
      const empty = this.waiting.size === 0;
      await this.handle.close();
      this.handle = null;
      // Nothing waits: no file left behind for another process to look at.
      if (empty) await unlink(this.path).catch(() => undefined);
      await this.release().catch(() => undefined);
    });
  }
}

export class UsageSpool {
  private readonly files = new Map<string, SpoolFile>();
  /** Which file holds each waiting requestId. */
  private readonly where = new Map<string, SpoolFile>();
  /** Kept in memory only: no spool folder (a server built without DATA_DIR), or the disk refused the write. */
  private readonly volatile = new Map<string, SpooledRecord>();
  private refusedSeen = { size: 0, count: 0 };
  private localRefused = 0;
  private closed = false;

  private own: SpoolFile | null = null;
  /** The own file's lock was taken over (this process stalled past staleMs): the next add starts a new file. */
  private ownLost = false;
  /** Its holder refreshes a lock about four times per stale period (no more often than once a second): one late refresh never loses it. */
  private readonly updateMs: number;

  private constructor(readonly dir: string | null, private readonly log: SpoolLog, readonly staleMs: number = DEFAULT_SPOOL_STALE_MS) {
    if (!(staleMs >= MIN_STALE_MS)) throw new Error(`a spool lock's stale time must be at least ${MIN_STALE_MS} ms, not ${staleMs}`);
    this.updateMs = Math.max(1_000, Math.floor(staleMs / 4));
  }

  /** Nothing on disk (a server built without a data folder: tests, benches): usage waits in memory only. */
  static inMemory(log: SpoolLog): UsageSpool {
    return new UsageSpool(null, log);
  }

  /**
   * A spool in `dir` (made if missing) with a new file of this process's; null: memory only, nothing durable.
   * `staleMs`: a file whose process has not refreshed its lock for this long is adopted by another.
   */
  static async open(dir: string | null, log: SpoolLog, staleMs: number = DEFAULT_SPOOL_STALE_MS): Promise<UsageSpool> {
    const spool = new UsageSpool(dir, log, staleMs);
    if (dir !== null) {
      await mkdir(dir, { recursive: true });
      await spool.newOwnFile(dir);
    }
    return spool;
  }

  private async newOwnFile(dir: string): Promise<void> {
    const path = join(dir, `${hostname().replace(/[^\w.-]/g, '_')}-${process.pid}-${randomUUID().slice(0, 8)}.jsonl`);
    // Locked before it exists: another process never sees it unlocked (and would adopt it).
    const release = await lockfile.lock(path, {
      realpath: false, stale: this.staleMs, update: this.updateMs,
      onCompromised: (err) => {
        this.ownLost = true;
        this.log.error({ err, path }, 'gateway spool: this process\'s spool file lock was taken over (the process stalled); a new file is started (a record replayed twice is counted once)');
      },
    });
    const handle = await open(path, 'a');
    await syncDir(dir);
    this.own = new SpoolFile(path, handle, release, false);
    this.files.set(path, this.own);
  }

  /** After a lost lock: what waits in the old file is written to a new one. */
  private async renewOwn(): Promise<void> {
    const old = this.own;
    this.ownLost = false;
    if (!old || !this.dir) return;
    await this.newOwnFile(this.dir);
    this.files.delete(old.path);
    for (const record of old.waiting.values()) await this.keepIn(this.own!, record);
    await old.abandon();
  }

  private async keepIn(file: SpoolFile, record: SpooledRecord): Promise<void> {
    file.waiting.set(record.requestId, record);
    this.where.set(record.requestId, file);
    try {
      await file.append(JSON.stringify({ add: record }), true);
    } catch (err) {
      file.waiting.delete(record.requestId);
      this.where.delete(record.requestId);
      this.volatile.set(record.requestId, record);
      this.log.error({ err, record }, 'gateway spool: usage NOT written to disk, kept in memory until recorded (replay it with POST /v1/usage/record if the process stops first)');
    }
  }

  /**
   * Keeps a record until it is settled: on disk and fsynced when there is a spool folder.
   * Never throws: a disk that refuses it leaves it in memory (logged with the record,
   * so it can be replayed with POST /v1/usage/record should the process stop first).
   */
  async add(record: SpooledRecord): Promise<void> {
    if (this.where.has(record.requestId) || this.volatile.has(record.requestId)) return;
    if (!this.own || this.closed) {
      this.volatile.set(record.requestId, record);
      return;
    }
    if (this.ownLost) await this.renewOwn().catch((err: unknown) => this.log.error({ err }, 'gateway spool: a new spool file could not be started'));
    await this.keepIn(this.own, record);
  }

  /** Recorded (and audited): no longer waiting. */
  async settle(requestId: string): Promise<void> {
    if (this.volatile.delete(requestId)) return;
    const file = this.where.get(requestId);
    if (!file) return;
    this.where.delete(requestId);
    file.waiting.delete(requestId);
    try {
      await file.append(JSON.stringify({ settled: requestId }), false);
      if (await file.compactIfDone()) this.files.delete(file.path);
    } catch (err) {
      // Replayed again later, counted once by the ledger.
      this.log.warn({ err, requestId, path: file.path }, 'gateway spool: settled line not written');
    }
  }

  /** The ledger refused it (4xx): kept in refused.jsonl with the reason, never retried, never dropped. */
  async setAside(record: SpooledRecord, reason: string): Promise<void> {
    if (await this.keepRefused({ record, reason, refusedAt: new Date().toISOString() }, { record })) await this.settle(record.requestId);
  }

  /** Appends to refused.jsonl (fsynced); false when the disk refused it (logged, whole). */
  private async keepRefused(entry: object, context: object): Promise<boolean> {
    if (!this.dir) {
      this.localRefused++;
      return true;
    }
    try {
      const refused = await open(join(this.dir, REFUSED_FILE), 'a');
      try {
        await refused.appendFile(`${JSON.stringify(entry)}\n`);
        await refused.datasync();
      } finally {
        await refused.close();
      }
      return true;
    } catch (err) {
      this.log.error({ err, ...context, entry }, 'gateway spool: refused usage NOT written to refused.jsonl (replay it with POST /v1/usage/record once the cause is fixed)');
      return false;
    }
  }

  /** What waits for the ledger now, oldest first. */
  waiting(): SpooledRecord[] {
    const all = [...this.volatile.values(), ...[...this.files.values()].flatMap((f) => [...f.waiting.values()])];
    return all.sort((a, b) => (a.spooledAt < b.spooledAt ? -1 : a.spooledAt > b.spooledAt ? 1 : 0));
  }

  /**
   * Takes over the files of processes gone (their lock stale or released): their waiting
   * records join this process's. Returns how many records were adopted.
   */
  async adoptOrphans(): Promise<number> {
    if (!this.dir || this.closed) return 0;
    let adopted = 0;
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      const path = join(this.dir, name);
      if (!name.endsWith('.jsonl') || name === REFUSED_FILE || this.files.has(path)) continue;
      let release: () => Promise<void>;
      try {
        release = await lockfile.lock(path, { realpath: false, stale: this.staleMs, update: this.updateMs, onCompromised: (err) => this.log.error({ err, path }, 'gateway spool: the lock of an adopted spool file was lost') });
      } catch {
        continue; // Its process is alive (or another one adopted it first).
      }
      let handle: FileHandle;
      try {
        handle = await open(path, 'a');
      } catch {
        await release().catch(() => undefined);
        continue;
      }
      const file = new SpoolFile(path, handle, release, true);
      const text = await readFile(path, 'utf8').catch(() => '');
      file.torn = text.length > 0 && !text.endsWith('\n');
      const unreadable: string[] = [];
      for (const [record, settled] of readLines(text, (bad, json) => {
        if (json) unreadable.push(bad);
        else this.log.warn({ path, line: bad.slice(0, 200) }, 'gateway spool: a line cut short skipped (a write the process stopped in: its answer had not ended)');
      })) {
        if (record) {
          if (this.where.has(record.requestId) || this.volatile.has(record.requestId)) continue;
          file.waiting.set(record.requestId, record);
        } else if (settled) file.waiting.delete(settled);
      }
      // JSON this version cannot read: kept with the refused, for the operator, never dropped.
      for (const raw of unreadable) await this.keepRefused({ line: raw, reason: 'a spool line this version cannot read', refusedAt: new Date().toISOString() }, { path });
      this.files.set(path, file);
      for (const id of file.waiting.keys()) this.where.set(id, file);
      adopted += file.waiting.size;
      if (await file.compactIfDone()) this.files.delete(path);
    }
    return adopted;
  }

  /** What waits, and what was refused (refused.jsonl re-read only when its size changed: the operator empties it once replayed). */
  async backlog(): Promise<SpoolBacklog> {
    const waiting = this.waiting();
    return { waitingRecords: waiting.length, since: waiting[0]?.spooledAt ?? null, refusedRecords: await this.refusedCount() };
  }

  private async refusedCount(): Promise<number> {
    if (!this.dir) return this.localRefused;
    const path = join(this.dir, REFUSED_FILE);
    try {
      const { size } = await stat(path);
      if (size !== this.refusedSeen.size) {
        const text = await readFile(path, 'utf8');
        this.refusedSeen = { size, count: text.split('\n').filter((l) => l.trim()).length };
      }
    } catch {
      this.refusedSeen = { size: 0, count: 0 };
    }
    return this.refusedSeen.count;
  }

  /** Stops taking files; what waits stays on disk for the next start (or another process). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.volatile.size) this.log.error({ records: [...this.volatile.values()] }, `gateway spool: ${this.volatile.size} record(s) kept in memory only are NOT recorded (replay them with POST /v1/usage/record)`);
    for (const file of this.files.values()) await file.close();
    this.files.clear();
  }
}

/** A spool file's lines: [record] for an add, [null, requestId] for a settled one; unreadable lines reported (`json`: whole JSON of another shape) and skipped. */
function* readLines(text: string, onBad: (line: string, json: boolean) => void): Generator<[SpooledRecord | null, string | null]> {
  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue;
    let parsed;
    try {
      parsed = line.safeParse(JSON.parse(raw));
    } catch {
      onBad(raw, false);
      continue;
    }
    if (!parsed.success) {
      onBad(raw, true);
      continue;
    }
    if ('add' in parsed.data) yield [parsed.data.add, null];
    else yield [null, parsed.data.settled];
  }
}

/** A new file's name is durable once its folder is synced. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
