// Owner settings: authorised from the stored role of the member acting, applied at
// once, every change in the audit log with who, what, before and after.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, migrated, type Scratch } from '../support/databases.js';
import { enterpriseDoc, harness, teamDoc, type Harness } from '../support/fixtures.js';

describe.each(BACKENDS)('settings on $kind', ({ open }) => {
  let scratch: Scratch;
  let h: Harness;
  let ent: string;
  let team: string;
  beforeAll(async () => {
    scratch = await migrated(open);
    h = await harness(scratch.db.prisma);
    await h.provision('ent', enterpriseDoc());
    await h.provision('team', teamDoc());
    ent = await h.issueKey('ent');
    team = await h.issueKey('team');
  });
  afterAll(async () => {
    await h?.close();
    await scratch?.dispose();
  });

  const as = (key: string, actor: string) => ({
    get: (url: string) => h.call('GET', url, { token: key, actor }),
    put: (url: string, body: unknown) => h.call('PUT', url, { token: key, actor, body }),
    post: (url: string, body: unknown) => h.call('POST', url, { token: key, actor, body }),
  });

  it('refuses money settings to admins and members, whatever they send, and changes nothing', async () => {
    const before = await as(ent, 'owner-1').get('/v1/settings/usage');
    for (const actor of ['admin-1', 'alice']) {
      const res = await as(ent, actor).put('/v1/settings/caps/org', { cap: '1.00' });
      expect(res.status).toBe(403);
      expect(res.body.error.message).toContain('only an owner');
      expect((await as(ent, actor).put('/v1/settings/extra-usage', { enabled: false })).status).toBe(403);
    }
    expect((await as(ent, 'owner-1').get('/v1/settings/usage')).body).toEqual(before.body);
  });

  it('lets admins read the seat limits table but not members', async () => {
    const table = await as(ent, 'admin-1').get('/v1/reports/seat-limits');
    expect(table.status).toBe(200);
    expect(table.body.members.map((m: any) => m.externalId)).toEqual(['admin-1', 'alice', 'bob', 'owner-1']);
    expect(table.body.members.find((m: any) => m.externalId === 'alice')).toMatchObject({ cap: '50.00', monthToDateExtra: '0.00', paused: false, seatTier: 'standard' });
    expect((await as(ent, 'alice').get('/v1/reports/seat-limits')).status).toBe(403);
  });

  it('audits each owner change with who, what, before and after', async () => {
    const owner = as(ent, 'owner-1');
    expect((await owner.put('/v1/settings/caps/org', { cap: '750.00' })).body.orgCap.cap).toBe('750.00');
    expect((await owner.put('/v1/settings/caps/tiers/premium', { cap: '300.00' })).status).toBe(200);
    expect((await owner.put('/v1/settings/caps/members/alice', { cap: null })).body).toMatchObject({ cap: null });
    expect((await owner.put('/v1/settings/extra-usage', { enabled: false })).body.extraUsage.enabled).toBe(false);
    const log = await owner.get('/v1/reports/audit-log?limit=4');
    expect(log.body.entries.map((e: any) => [e.action, e.before, e.after])).toEqual([
      ['extra_usage.set', { enabled: true, scope: 'all_members' }, { enabled: false, scope: 'all_members' }],
      ['cap.member.set', { cap: '50.00' }, { cap: null }],
      ['cap.tier.set', { cap: null }, { cap: '300.00' }],
      ['cap.org.set', { cap: '1000.00' }, { cap: '750.00' }],
    ]);
    // A back end's key acts for the owner here: the log says both who and through what.
    expect(log.body.entries[0].actor).toMatch(/^member:.+ \(owner-1\) via api_key:.+$/);
  });

  it('pages the audit log with a cursor, back to its very first entry', async () => {
    const owner = as(ent, 'owner-1');
    for (const cap of ['101.00', '102.00', '103.00', '104.00', '105.00']) await owner.put('/v1/settings/caps/org', { cap });
    const total = await scratch.db.prisma.auditEntry.count({ where: { org: { slug: 'ent' } } });
    expect(total).toBeGreaterThan(6); // more than two pages of 3
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: any } = await owner.get(`/v1/reports/audit-log?limit=3${cursor ? `&before=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.entries.map((e: any) => e.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    const ids = seen.map(BigInt);
    expect([...ids].sort((a, b) => (a > b ? -1 : 1))).toEqual(ids); // newest first, no gaps, no repeats
    const first = await scratch.db.prisma.auditEntry.findFirstOrThrow({ where: { org: { slug: 'ent' } }, orderBy: { id: 'asc' } });
    expect(seen.at(-1)).toBe(String(first.id));
    expect((await owner.get('/v1/reports/audit-log?before=99999999999999999999')).status).toBeGreaterThanOrEqual(400);
  });

  it('lets an owner move a member\'s seat up and down, audited; admins and members are refused and nothing changes', async () => {
    const owner = as(ent, 'owner-1');
    const seatOf = async (externalId: string) => (await owner.get('/v1/reports/seat-limits')).body.members.find((m: any) => m.externalId === externalId).seatTier;
    for (const actor of ['admin-1', 'alice']) {
      const res = await as(ent, actor).put('/v1/settings/members/alice/seat', { seatTier: 'premium' });
      expect(res.status).toBe(403);
      expect(res.body.error.message).toContain('only an owner');
    }
    expect(await seatOf('alice')).toBe('standard');
    const bad = await owner.put('/v1/settings/members/alice/seat', { seatTier: 'platinum' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe('seatTier');
    expect((await owner.put('/v1/settings/members/nobody/seat', { seatTier: 'premium' })).status).toBe(404);
    expect(await seatOf('alice')).toBe('standard');
    expect((await owner.get('/v1/reports/audit-log?limit=1')).body.entries[0].action).not.toBe('member.seat_tier.set');

    const up = await owner.put('/v1/settings/members/alice/seat', { seatTier: 'premium' });
    expect(up.status).toBe(200);
    expect(up.body).toEqual({ memberId: expect.any(String), seatTier: 'premium' });
    expect(await seatOf('alice')).toBe('premium');
    expect((await owner.put('/v1/settings/members/alice/seat', { seatTier: 'standard' })).body.seatTier).toBe('standard');
    const log = await owner.get('/v1/reports/audit-log?limit=2');
    expect(log.body.entries.map((e: any) => [e.action, e.subject, e.before, e.after])).toEqual([
      ['member.seat_tier.set', `member:${up.body.memberId}`, { seatTier: 'premium' }, { seatTier: 'standard' }],
      ['member.seat_tier.set', `member:${up.body.memberId}`, { seatTier: 'standard' }, { seatTier: 'premium' }],
    ]);
    expect(log.body.entries[0].actor).toContain('(owner-1)');
  });

  it('keeps the audit log append-only in the database itself', async () => {
    const db = scratch.db.prisma;
    await expect(db.auditEntry.updateMany({ data: { actor: 'someone else' } })).rejects.toThrow(/append-only/);
    await expect(db.auditEntry.deleteMany({})).rejects.toThrow(/append-only/);
  });

  it('credits a prepaid purchase once per idempotency key and refuses a reused key for another amount', async () => {
    const owner = as(team, 'owner-1');
    const first = await owner.post('/v1/settings/balance/purchases', { amount: '25.00', idempotencyKey: 'order-1' });
    expect(first.status).toBe(201);
    expect(first.body.balanceAfter).toBe('25.00');
    const retry = await owner.post('/v1/settings/balance/purchases', { amount: '25.00', idempotencyKey: 'order-1' });
    expect(retry.status).toBe(200);
    expect(retry.body.id).toBe(first.body.id);
    expect((await owner.post('/v1/settings/balance/purchases', { amount: '30.00', idempotencyKey: 'order-1' })).status).toBe(409);
    expect((await owner.get('/v1/settings/usage')).body.prepaid.balance).toBe('25.00');
    expect((await as(team, 'alice').post('/v1/settings/balance/purchases', { amount: '5.00', idempotencyKey: 'x' })).status).toBe(403);
  });

  it('sets auto-reload on a team org and rejects it half-configured', async () => {
    const owner = as(team, 'owner-1');
    // The older form, a count of reloads, is kept as money: 3 reloads of $40 = $120 a month.
    const ok = await owner.put('/v1/settings/auto-reload', { enabled: true, threshold: '5.00', amount: '40.00', monthlyLimit: 3 });
    expect(ok.body.prepaid.autoReload).toEqual({ enabled: true, threshold: '5.00', amount: '40.00', monthlyMax: '120.00', monthlyLimit: 3 });
    // The limit as an amount; the count answered is how many whole reloads fit.
    const byAmount = await owner.put('/v1/settings/auto-reload', { enabled: true, threshold: '5.00', amount: '40.00', monthlyMax: '100.00' });
    expect(byAmount.body.prepaid.autoReload).toEqual({ enabled: true, threshold: '5.00', amount: '40.00', monthlyMax: '100.00', monthlyLimit: 2 });
    // Left out: unchanged. Less than one reload: refused, naming the field, nothing changed.
    expect((await owner.put('/v1/settings/auto-reload', { enabled: true, threshold: '6.00', amount: '40.00' })).body.prepaid.autoReload.monthlyMax).toBe('100.00');
    const tooLow = await owner.put('/v1/settings/auto-reload', { enabled: true, threshold: '5.00', amount: '40.00', monthlyMax: '30.00' });
    expect(tooLow.status).toBe(422);
    expect(tooLow.body.error.field).toBe('monthlyMax');
    expect(tooLow.body.error.message).toContain('less than one reload');
    expect((await owner.get('/v1/settings/usage')).body.prepaid.autoReload.threshold).toBe('6.00');
    expect((await owner.put('/v1/settings/auto-reload', { enabled: true, threshold: '5.00', amount: '40.00', monthlyMax: '100.00', monthlyLimit: 2 })).status).toBe(422);
    const half = await owner.put('/v1/settings/auto-reload', { enabled: true, threshold: '5.00' });
    expect(half.status).toBe(422);
    expect(half.body.error.field).toBe('amount');
    // Tier caps are an enterprise feature.
    expect((await owner.put('/v1/settings/caps/tiers/standard', { cap: '5.00' })).status).toBe(422);
  });

  it('leaves auto-reload, which charges the payment method unattended, to the primary owner', async () => {
    const doc = teamDoc();
    await h.provision('team2', { ...doc, members: [...doc.members, { externalId: 'owner-2', name: 'Otto Owner', role: 'owner', seatTier: 'standard' }] });
    const key = await h.issueKey('team2');
    const before = (await as(key, 'owner-1').get('/v1/settings/usage')).body.prepaid;
    const byOwner = await as(key, 'owner-2').put('/v1/settings/auto-reload', { enabled: true, threshold: '1.00', amount: '500.00' });
    expect(byOwner.status).toBe(403);
    expect(byOwner.body.error.message).toContain('only the primary owner');
    expect((await as(key, 'owner-1').get('/v1/settings/usage')).body.prepaid).toEqual(before);
    // Other money settings are every owner's.
    expect((await as(key, 'owner-2').put('/v1/settings/caps/org', { cap: '20.00' })).status).toBe(200);
    expect((await as(key, 'owner-1').put('/v1/settings/auto-reload', { enabled: true, threshold: '1.00', amount: '50.00' })).status).toBe(200);
  });
});
