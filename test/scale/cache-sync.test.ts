// Cross-process cache invalidation: two database handles on one PostgreSQL database
// stand for two processes (each handle has its own in-process copies). A change made
// through one is dropped from the other's copies by its next poll; the hot path's
// balance updates drop nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/client.js';
import { openDatabase, type Database } from '../../src/db/client.js';
import { authenticateApiKey, forgetApiKeys, issueApiKey, revokeApiKey } from '../../src/ledger/settings/api-keys.js';
import { readCacheVersions, startCacheSync, type CacheSync } from '../../src/ledger/cache-versions.js';
import { forgetOrgSnapshots, orgSnapshot } from '../../src/ledger/limits-state.js';
import { priceTiersOf } from '../../src/ledger/metering/prices.js';
import { migrated, postgresOpener, scratchPglite, scratchPostgres, type Scratch } from '../support/databases.js';
import { provision } from '../support/ledger.js';
import { teamDoc } from '../support/fixtures.js';

describe('cache invalidation across processes (PostgreSQL)', () => {
  let scratch: Scratch;
  let other: Database;
  let a: Db;
  let b: Db;
  let syncB: CacheSync;
  let orgId: string;

  beforeAll(async () => {
    scratch = await migrated(postgresOpener(2));
    other = await openDatabase({ url: scratch.url!, poolSize: 2 });
    a = scratch.db.prisma;
    b = other.prisma;
    ({ orgId } = await provision(a, 'acme', teamDoc()));
    // A long interval: this test polls by hand, so nothing depends on timing.
    syncB = startCacheSync(b, { intervalMs: 60_000 });
    await syncB.poll();
  });
  afterAll(async () => {
    await syncB?.stop();
    await other?.close();
    await scratch?.dispose();
  });

  it('a key revoked through one process is refused by the other after its next poll', async () => {
    const issued = await issueApiKey(a, orgId, 'gw', ['usage']);
    const t = Date.now();
    expect(await authenticateApiKey(b, issued.key, t)).not.toBeNull();
    await revokeApiKey(a, orgId, issued.id);
    // Same clock: B's copy has not expired, so only the poll can drop it.
    expect(await authenticateApiKey(b, issued.key, t)).not.toBeNull();
    expect(await syncB.poll()).toEqual(['api_key']);
    expect(await authenticateApiKey(b, issued.key, t)).toBeNull();
  });

  it('an org setting changed through one process reaches the other; balance movements drop nothing', async () => {
    const t = Date.now();
    expect((await orgSnapshot(b, orgId, t)).enforcementMode).toBe('check');
    // The hot path's own statements (record, reservation) touch only the counters.
    await a.$executeRaw`UPDATE "Organization" SET "balanceNanos" = "balanceNanos" - 5000000000, "heldBalanceNanos" = "heldBalanceNanos" + 1 WHERE "id" = ${orgId}`;
    expect(await syncB.poll()).toEqual([]);
    await a.organization.update({ where: { id: orgId }, data: { enforcementMode: 'reserve' } });
    expect((await orgSnapshot(b, orgId, t)).enforcementMode).toBe('check');
    expect(await syncB.poll()).toEqual(['org']);
    expect((await orgSnapshot(b, orgId, t)).enforcementMode).toBe('reserve');
  });

  it('a price row added through one process drops the other\'s price book copy', async () => {
    const t = Date.now();
    const at = new Date(t);
    const before = await priceTiersOf(b, 'claude-haiku-4-5', at, t);
    const future = new Date(t + 120_000);
    await a.priceEntry.create({ data: { model: 'claude-haiku-4-5', effectiveFrom: future, inputNanosPerToken: 2_000n, cacheWrite5mNanosPerToken: 2_500n, cacheWrite1hNanosPerToken: 4_000n, cacheReadNanosPerToken: 200n, outputNanosPerToken: 10_000n } });
    expect(await priceTiersOf(b, 'claude-haiku-4-5', at, t)).toHaveLength(before.length);
    expect(await syncB.poll()).toEqual(['price']);
    expect(await priceTiersOf(b, 'claude-haiku-4-5', at, t)).toHaveLength(before.length + 1);
  });

  it('a look-up in flight when the copies are dropped is not kept', async () => {
    const issued = await issueApiKey(a, orgId, 'gw-inflight', ['usage']);
    const t = Date.now();
    // Both look-ups are sent; the copies are dropped before either can answer.
    const key = authenticateApiKey(b, issued.key, t);
    const org = orgSnapshot(b, orgId, t);
    forgetApiKeys(b);
    forgetOrgSnapshots(b);
    const [k1, o1] = await Promise.all([key, org]);
    // Read again, not served from what the dropped look-ups found.
    expect(await authenticateApiKey(b, issued.key, t)).not.toBe(k1);
    expect(await orgSnapshot(b, orgId, t)).not.toBe(o1);
    // And a look-up after that is kept as usual.
    expect(await orgSnapshot(b, orgId, t)).toBe(await orgSnapshot(b, orgId, t));
  });

  it('every column of Organization is either a setting the trigger watches or a counter the hot path moves', async () => {
    // The hot path's columns: balance counters, the balance watch's episode marks, bookkeeping.
    const hot = ['id', 'createdAt', 'updatedAt', 'balanceNanos', 'heldBalanceNanos', 'balanceWarnedAt', 'balanceExhaustedAt', 'autoReloadWantedAt'];
    const columns = (await a.$queryRaw<{ name: string }[]>`
      SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'Organization'`).map((r) => r.name);
    const watched = (await a.$queryRaw<{ name: string }[]>`
      SELECT a.attname AS name FROM pg_trigger t JOIN pg_attribute a ON a.attrelid = t.tgrelid AND a.attnum = ANY(t.tgattr::int2[])
      WHERE t.tgname = 'Organization_cache_version'`).map((r) => r.name);
    const unclassified = columns.filter((c) => !hot.includes(c) && !watched.includes(c));
    // A new Organization column: add it to the trigger's column list in a migration (a
    // setting other processes must see) or to \`hot\` here (a counter the hot path moves).
    expect(unclassified).toEqual([]);
    expect(watched.filter((c) => hot.includes(c))).toEqual([]);
  });

  it('the polling loop itself drops a revoked key within a bounded wait', async () => {
    const loop = startCacheSync(b, { intervalMs: 100 });
    try {
      const issued = await issueApiKey(a, orgId, 'gw2', ['usage']);
      const t = Date.now();
      expect(await authenticateApiKey(b, issued.key, t)).not.toBeNull();
      await revokeApiKey(a, orgId, issued.id);
      let refused = false;
      for (let i = 0; i < 200 && !refused; i++) {
        refused = (await authenticateApiKey(b, issued.key, t)) === null;
        if (!refused) await new Promise((r) => setTimeout(r, 50));
      }
      expect(refused).toBe(true);
    } finally {
      await loop.stop();
    }
  });
});

describe('cache versions on PGlite', () => {
  it('the triggers run on the embedded database too', async () => {
    const scratch = await migrated(scratchPglite);
    try {
      const db = scratch.db.prisma;
      const before = await readCacheVersions(db);
      expect([...before.keys()].sort()).toEqual(['api_key', 'org', 'price']);
      const { orgId } = await provision(db, 'acme', teamDoc());
      const issued = await issueApiKey(db, orgId, 'gw', ['usage']);
      await revokeApiKey(db, orgId, issued.id);
      const after = await readCacheVersions(db);
      expect(after.get('api_key')!).toBeGreaterThan(before.get('api_key')!);
      expect(after.get('org')!).toBeGreaterThan(before.get('org')!);
    } finally {
      await scratch.dispose();
    }
  }, 180_000);
});
