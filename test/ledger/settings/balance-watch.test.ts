// The balance watch (migration 20261205010000_balance_watch): whatever changes a Team
// balance, its holds or its settings, the outbox gets one event per episode in the
// same transaction: auto_reload_wanted (auto-reload on, at or below the threshold),
// balance_warning / balance_exhausted (auto-reload off). Records go through both the
// API (group commit) and the single-record ledger path.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { creditBalance } from '../../../src/ledger/settings/balance.js';
import { recordUsage } from '../../../src/ledger/metering/record.js';
import { BACKENDS, migrated, type Scratch } from '../../support/databases.js';
import { harness, HAIKU, teamDoc, usageOfCents, type Harness } from '../../support/fixtures.js';

const USD = 1_000_000_000n;
const noAllowance = { standard: { includedAllowance: '0.00', windowMinutes: 300 }, premium: { includedAllowance: '0.00', windowMinutes: 300 } };
const WATCHED = ['auto_reload_wanted', 'balance_warning', 'balance_exhausted'];

describe.each(BACKENDS)('balance watch on $kind', ({ open }) => {
  let scratch: Scratch;
  let h: Harness;
  beforeAll(async () => {
    scratch = await migrated(open);
    h = await harness(scratch.db.prisma);
  });
  afterAll(async () => {
    await h?.close();
    await scratch?.dispose();
  });
  const db = () => scratch.db.prisma;

  let n = 0;
  /** A team org with no included allowance (every cent is extra) and `dollars` bought. */
  async function team(autoReload: object, dollars: bigint, extra: object = {}) {
    const slug = `watch-${++n}`;
    const { orgId } = await h.provision(slug, teamDoc({ seatTiers: noAllowance, autoReload: autoReload as never, ...extra }));
    const key = await h.issueKey(slug);
    if (dollars > 0n) await buy(orgId, dollars, 'seed');
    let r = 0;
    return {
      orgId,
      /** Through the API: group commit. */
      spend: (cents: number) => h.call('POST', '/v1/usage/record', { token: key, body: { requestId: `api-${++r}`, member: 'alice', model: HAIKU, usage: usageOfCents(cents) } }),
      /** Straight through the single-record ledger path. */
      spendOne: (cents: number) => recordUsage(db(), { orgId, requestId: `one-${++r}`, member: 'alice', model: HAIKU, usage: usageOfCents(cents) }, h.clock.now),
      authorize: (requestId: string, estimate: object) => h.call('POST', '/v1/usage/authorize', { token: key, body: { member: 'alice', model: HAIKU, requestId, estimate } }),
      settings: (url: string, body: unknown, actor = 'owner-1') => h.call('PUT', url, { token: key, actor, body }),
      auditLog: () => h.call('GET', '/v1/reports/audit-log?limit=5', { token: key, actor: 'owner-1' }),
      events: async () => (await db().outboxEvent.findMany({ where: { orgId, type: { in: WATCHED } }, orderBy: { id: 'asc' } })).map((e) => ({ type: e.type, ...(e.payload as object) })),
    };
  }
  async function buy(orgId: string, dollars: bigint, key: string) {
    const org = await db().organization.findUniqueOrThrow({ where: { id: orgId } });
    await creditBalance(db(), org, { kind: 'purchase', amountNanos: dollars * USD, idempotencyKey: key, actor: 'test' });
  }
  /** What the reload workflow does when its episode ends. */
  const endEpisode = (orgId: string) => db().organization.update({ where: { id: orgId }, data: { autoReloadWantedAt: null } });

  it('wants one reload per episode, whatever number of records lead there', async () => {
    const o = await team({ enabled: true, threshold: '10.00', amount: '50.00' }, 20n);
    await o.spend(900); // $20 -> $11: above
    expect(await o.events()).toEqual([]);
    await Promise.all([o.spend(150), o.spend(150), o.spendOne(150), o.spendOne(150)]); // -> $5
    await o.spend(100); // $4: still the same episode
    expect(await o.events()).toEqual([{ type: 'auto_reload_wanted', balanceNanos: expect.any(String), thresholdNanos: String(10n * USD) }]);
    const org = await db().organization.findUniqueOrThrow({ where: { id: o.orgId } });
    expect(org.autoReloadWantedAt).not.toBeNull();

    // The episode ended (a failed reload gave up): the next record below opens the next one.
    await endEpisode(o.orgId);
    expect(await o.events()).toHaveLength(1);
    await o.spendOne(10);
    expect(await o.events()).toHaveLength(2);
  });

  it('wants a reload when auto-reload is turned on, or its threshold raised, while the balance is already low', async () => {
    const o = await team({ enabled: false, threshold: null, amount: null }, 8n);
    expect(await o.events()).toEqual([]);
    expect((await o.settings('/v1/settings/auto-reload', { enabled: true, threshold: '5.00', amount: '20.00' })).status).toBe(200);
    expect(await o.events()).toEqual([]); // $8 is above $5
    expect((await o.settings('/v1/settings/auto-reload', { enabled: true, threshold: '10.00', amount: '20.00' })).status).toBe(200);
    expect(await o.events()).toEqual([{ type: 'auto_reload_wanted', balanceNanos: String(8n * USD), thresholdNanos: String(10n * USD) }]);
  });

  it('tells the running episode about a purchase that leaves the balance low', async () => {
    const o = await team({ enabled: true, threshold: '10.00', amount: '50.00' }, 20n);
    await o.spend(1500); // $5
    expect(await o.events()).toHaveLength(1);
    await buy(o.orgId, 2n, 'small'); // $7: still low, money came in
    expect((await o.events()).map((e) => e.type)).toEqual(['auto_reload_wanted', 'auto_reload_wanted']);
    await buy(o.orgId, 100n, 'big'); // $107: nothing wanted
    expect(await o.events()).toHaveLength(2);
  });

  it('counts holds: a reservation that takes what is left below the threshold wants a reload', async () => {
    const o = await team({ enabled: true, threshold: '10.00', amount: '50.00' }, 12n, { extraUsage: { enabled: true, scope: 'all_members', orgMonthlyCap: null, enforcement: 'reserve' } });
    // 600,000 max output tokens of Haiku hold $3.00: $12 less $3 held is $9.
    const held = await o.authorize('hold-1', { input_tokens: 0, max_tokens: 600_000 });
    expect(held.body).toMatchObject({ allowed: true, reservation: { held: '3.00' } });
    expect(await o.events()).toEqual([{ type: 'auto_reload_wanted', balanceNanos: String(9n * USD), thresholdNanos: String(10n * USD) }]);
  });

  describe('with auto-reload off', () => {
    const off = { enabled: false, threshold: null, amount: null };

    it('warns owners once below their level and once when exhausted, re-armed when money comes in', async () => {
      const o = await team(off, 20n);
      const set = await o.settings('/v1/settings/balance/warning', { level: '5.00' });
      expect(set.status).toBe(200);
      expect(set.body).toEqual({ level: '5.00', balance: '20.00', available: '20.00', warned: false, autoReloadEnabled: false });
      await o.spend(1400); // $6
      expect(await o.events()).toEqual([]);
      await o.spend(200); // $4
      await Promise.all([o.spend(100), o.spendOne(100), o.spend(100)]); // $1
      expect(await o.events()).toEqual([{ type: 'balance_warning', balanceNanos: String(4n * USD), levelNanos: String(5n * USD) }]);
      await o.spendOne(100); // $0: exhausted
      await o.spend(50); // the last request may take it below zero
      expect((await o.events()).map((e) => e.type)).toEqual(['balance_warning', 'balance_exhausted']);
      expect((await o.events())[1]).toEqual({ type: 'balance_exhausted', balanceNanos: '0' });

      // A purchase that does not reach the level re-arms exhaustion only.
      await buy(o.orgId, 3n, 'small'); // $2.50
      expect((await db().organization.findUniqueOrThrow({ where: { id: o.orgId } })).balanceExhaustedAt).toBeNull();
      await o.spend(300); // -$0.50: exhausted again
      expect((await o.events()).map((e) => e.type)).toEqual(['balance_warning', 'balance_exhausted', 'balance_exhausted']);
      // Back above the level: the next fall warns again.
      await buy(o.orgId, 20n, 'big'); // $19.50
      await o.spendOne(1500); // $4.50
      expect((await o.events()).map((e) => e.type)).toEqual(['balance_warning', 'balance_exhausted', 'balance_exhausted', 'balance_warning']);
    });

    it('tells once when exhausted with no warning level set; a warning level set while below warns at once', async () => {
      const o = await team(off, 2n);
      await o.spend(200); // $0
      await o.spend(10);
      expect(await o.events()).toEqual([{ type: 'balance_exhausted', balanceNanos: '0' }]);
      await buy(o.orgId, 3n, 'top-up'); // $2.90
      expect((await o.settings('/v1/settings/balance/warning', { level: '10.00' })).body).toMatchObject({ level: '10.00', warned: true });
      expect((await o.events()).map((e) => e.type)).toEqual(['balance_exhausted', 'balance_warning']);
    });

    it('holds coming and going never re-arm a warning', async () => {
      const o = await team(off, 10n, { extraUsage: { enabled: true, scope: 'all_members', orgMonthlyCap: null, enforcement: 'reserve' } });
      await o.settings('/v1/settings/balance/warning', { level: '8.00' });
      // $10 less a $3.00 hold: $7, below the level.
      expect((await o.authorize('hold-1', { input_tokens: 0, max_tokens: 600_000 })).body).toMatchObject({ allowed: true });
      expect(await o.events()).toEqual([{ type: 'balance_warning', balanceNanos: String(7n * USD), levelNanos: String(8n * USD) }]);
      // Settled for $0.01: the hold goes back, $9.99 is above the level; the next hold warns no more.
      await h.call('POST', '/v1/usage/record', { token: (await h.issueKey(`watch-${n}`)), body: { requestId: 'hold-1', member: 'alice', model: HAIKU, usage: usageOfCents(1) } });
      expect((await o.authorize('hold-2', { input_tokens: 0, max_tokens: 600_000 })).body).toMatchObject({ allowed: true });
      expect(await o.events()).toHaveLength(1);
    });

    it('lets only owners set the level, audits it, refuses bad input and enterprise orgs, changing nothing', async () => {
      const o = await team(off, 20n);
      expect((await o.settings('/v1/settings/balance/warning', { level: '5.00' }, 'alice')).status).toBe(403);
      const bad = await o.settings('/v1/settings/balance/warning', { level: 5 });
      expect(bad.status).toBe(400);
      expect(bad.body.error.field).toBe('level');
      expect((await o.settings('/v1/settings/balance/warning', {})).body.error.field).toBe('level');
      expect((await db().organization.findUniqueOrThrow({ where: { id: o.orgId } })).balanceWarningNanos).toBeNull();

      await o.settings('/v1/settings/balance/warning', { level: '5.00' });
      await o.settings('/v1/settings/balance/warning', { level: '5.00' }); // the same: not audited again
      await o.settings('/v1/settings/balance/warning', { level: null });
      const log = (await o.auditLog()).body.entries.filter((e: any) => e.action === 'balance_warning.set');
      expect(log.map((e: any) => [e.actor, e.before, e.after])).toEqual([
        [expect.stringContaining('owner-1'), { level: '5.00' }, { level: null }],
        [expect.stringContaining('owner-1'), { level: null }, { level: '5.00' }],
      ]);

      const ent = `watch-ent-${++n}`;
      await h.provision(ent, { ...teamDoc(), plan: 'enterprise', autoReload: undefined });
      const entKey = await h.issueKey(ent);
      const refused = await h.call('PUT', '/v1/settings/balance/warning', { token: entKey, actor: 'owner-1', body: { level: '5.00' } });
      expect(refused.status).toBe(422);
      expect(refused.body.error.field).toBe('level');
    });
  });
});
