// The gateway's usage spool (src/gateway/usage-spool.ts) and its drain (spool-drain.ts):
// a process's file is never taken by another while it lives, a stopped process's file
// is adopted once and removed when all is recorded, a line cut short is skipped;
// replayed records count once and are audited once, usage without a price is kept
// unpriced, and usage the ledger refuses is set aside (never retried, never dropped).
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditFailedOpenOnce, startSpoolDrain } from '../../src/gateway/spool-drain.js';
import { REFUSED_FILE, UsageSpool, type SpooledRecord } from '../../src/gateway/usage-spool.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, harness, HAIKU, type Harness } from '../support/fixtures.js';
import { until } from '../support/outage.js';

const quiet = { info() {}, warn() {}, error() {} };
const dirs: string[] = [];
const newDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'eu-spool-'));
  dirs.push(d);
  return d;
};
let n = 0;
const record = (over: Partial<SpooledRecord> = {}): SpooledRecord => ({
  orgId: 'org', requestId: `gw_test_${++n}`, member: 'member', model: HAIKU, usage: { input_tokens: 10, output_tokens: 5 },
  at: '2026-11-15T11:00:00.000Z', product: 'claude_code', keyId: 'key', unchecked: true, spooledAt: new Date(Date.UTC(2026, 10, 15, 11, 0, n)).toISOString(), ...over,
});

let scratch: Scratch;
let h: Harness;
afterAll(async () => {
  await h?.close();
  await scratch?.dispose();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the spool folder', () => {
  it('keeps a live process\'s file to it, and gives a stopped one\'s waiting records to one other process, once', async () => {
    const dir = newDir();
    const a = await UsageSpool.open(dir, quiet);
    const [r1, r2] = [record(), record()];
    await a.add(r1);
    await a.add(r2);
    await a.settle(r1.requestId);
    const b = await UsageSpool.open(dir, quiet);
    // A alive: its file is its own.
    expect(await b.adoptOrphans()).toBe(0);
    expect(b.waiting()).toEqual([]);
    expect(await a.backlog()).toEqual({ waitingRecords: 1, since: r2.spooledAt, refusedRecords: 0 });

    // A stops with r2 waiting, the last line of its file cut short (as by a kill mid-write).
    await a.close();
    const aFile = readdirSync(dir).find((f) => f.endsWith('.jsonl') && readFileSync(join(dir, f), 'utf8').includes(r2.requestId));
    appendFileSync(join(dir, aFile!), '{"add":{"orgId":"org","requestId":"gw_cut');
    const c = await UsageSpool.open(dir, quiet);
    const adopted = await Promise.all([b.adoptOrphans(), c.adoptOrphans()]);
    expect([...adopted].sort()).toEqual([0, 1]);
    const adopter = adopted[0] === 1 ? b : c;
    expect(adopter.waiting()).toEqual([r2]);
    await adopter.settle(r2.requestId);
    // All recorded: the adopted file is gone, nothing to replay.
    expect(readdirSync(dir).filter((f) => f === aFile)).toEqual([]);
    await b.close();
    await c.close();
    expect(readdirSync(dir).filter((f) => f.endsWith('.jsonl'))).toEqual([]);
  });

  it('adopts a killed process\'s file only once its lock has gone unrefreshed for the stale time it is given (GATEWAY_SPOOL_TAKEOVER_SECONDS)', async () => {
    await expect(UsageSpool.open(newDir(), quiet, 1_000)).rejects.toThrow(/at least 2000 ms/);
    const dir = newDir();
    // What a process killed mid-outage leaves: its file, and its lock (a folder whose mtime it kept fresh).
    const left = record();
    const file = join(dir, 'other-host-4242-deadbeef.jsonl');
    writeFileSync(file, `${JSON.stringify({ add: left })}\n`);
    mkdirSync(`${file}.lock`);
    const refreshedAgo = (ms: number) => utimesSync(`${file}.lock`, new Date(Date.now() - ms), new Date(Date.now() - ms));
    const spool = await UsageSpool.open(dir, quiet, 3_000);
    expect(spool.staleMs).toBe(3_000);
    refreshedAgo(1_000);
    expect(await spool.adoptOrphans()).toBe(0);
    expect(spool.waiting()).toEqual([]);
    refreshedAgo(4_000);
    expect(await spool.adoptOrphans()).toBe(1);
    expect(spool.waiting()).toEqual([left]);
    await spool.settle(left.requestId);
    expect(readdirSync(dir).filter((f) => f === 'other-host-4242-deadbeef.jsonl')).toEqual([]);
    await spool.close();
  });
});

describe('recording what waits', () => {
  let orgId: string;
  let memberId: string;
  beforeAll(async () => {
    scratch = await migrated(scratchPglite);
    h = await harness(scratch.db.prisma);
    ({ orgId } = await h.provision('spooled', enterpriseDoc()));
    memberId = (await scratch.db.prisma.member.findFirstOrThrow({ where: { orgId, externalId: 'alice' } })).id;
  });

  it('records each once and audits each unchecked one once, however often replayed; keeps usage without a price; sets aside what the ledger refuses', async () => {
    const db = scratch.db.prisma;
    const dir = newDir();
    const spool = await UsageSpool.open(dir, quiet);
    const outcomes: { requestId: string; ok: boolean }[] = [];
    const errors: string[] = [];
    const drain = startSpoolDrain({ db, spool, now: () => new Date('2026-11-15T12:00:00Z'), log: { ...quiet, error: (_o, msg) => errors.push(msg) }, onRecord: (o) => outcomes.push(o) });
    try {
      const ok = record({ orgId, member: memberId });
      const unpriced = record({ orgId, member: memberId, model: 'claude-not-yet-priced-9', unchecked: false });
      const refused = record({ orgId, member: 'no-such-member' });
      for (const r of [ok, unpriced, refused]) await spool.add(r);
      drain.kick();
      await until('all three handled', async () => outcomes.length >= 3);
      expect(outcomes.map((o) => [o.requestId, o.ok]).sort()).toEqual([[ok.requestId, true], [unpriced.requestId, true], [refused.requestId, false]].sort());

      // Replayed again (a settled line lost with the process): counted once, audited once.
      await spool.add(ok);
      drain.kick();
      await until('the replay handled', async () => outcomes.length >= 4);
      await auditFailedOpenOnce(db, ok);
      expect(await db.usageEvent.count({ where: { orgId, requestId: ok.requestId } })).toBe(1);
      const audits = await db.auditEntry.findMany({ where: { orgId, action: 'gateway.failed_open' } });
      expect(audits.map((a) => [a.subject, (a.after as { requestId: string }).requestId])).toEqual([['gateway_key:key', ok.requestId]]);

      // Without a price: kept unpriced (priced once a price exists), not refused.
      expect(await db.unpricedUsage.count({ where: { orgId, requestId: unpriced.requestId } })).toBe(1);

      // Refused: in refused.jsonl with the reason, logged, on the backlog, not retried.
      const kept = readFileSync(join(dir, REFUSED_FILE), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(kept.map((k) => [k.record, k.reason])).toEqual([[refused, expect.stringMatching(/member/)]]);
      expect(errors.some((m) => /refused by the ledger/.test(m))).toBe(true);
      expect(await spool.backlog()).toEqual({ waitingRecords: 0, since: null, refusedRecords: 1 });
      expect(outcomes.filter((o) => o.requestId === refused.requestId)).toHaveLength(1);
    } finally {
      await drain.stop();
      await spool.close();
    }
  });
});
