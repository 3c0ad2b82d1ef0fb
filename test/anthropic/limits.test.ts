// A connected org's spend limits through the real SDK and the Admin API stand-in: the
// effective-limits report (every page) mirrored exactly (minor units with three
// decimals, no floats) with where each limit comes from; an owner's "Edit limit" is one
// `set` on the member's user scope, audited; "Set to unlimited" sets no limit; an admin
// or member is refused; writes not enabled for the organization: the owner reads what
// to do and nothing changes.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient } from '../../src/anthropic/client.js';
import { connectOrg } from '../../src/anthropic/connection.js';
import { listEffective, mirrorEffectiveLimits, syncEffectiveLimits } from '../../src/anthropic/effective-limits.js';
import { listAllUsers, mirrorMembers } from '../../src/anthropic/members.js';
import { secretBox } from '../../src/secrets/secret-box.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, harness, type Harness } from '../support/fixtures.js';
import { startAdminApi, type AdminApiStandIn } from '../support/anthropic-admin-api.js';

const KEY = 'sk-ant-admin01-limits-test-key-0123456789';
let scratch: Scratch;
let api: AdminApiStandIn;
let h: Harness;
let orgId: string;
let key: string;

const summary = (userId: string, period: 'daily' | 'weekly' | 'monthly', amount: string | null, spent: string, source: any) => ({
  actor: { type: 'user_actor' as const, user_id: userId, name: null, email_address: null, deleted: false },
  amount, currency: 'USD', period, period_to_date_spend: spent, scope: { type: 'user' as const, user_id: userId }, source, spend_limit_id: `spl_${userId}_${period}`,
});

beforeAll(async () => {
  [scratch, api] = await Promise.all([migrated(scratchPglite), startAdminApi({ key: KEY })]);
  const anthropic = { box: secretBox(randomBytes(32)), baseUrl: api.url };
  h = await harness(scratch.db.prisma, new Date(), { anthropic });
  const doc = enterpriseDoc();
  doc.members = doc.members.map((m) => ({ ...m, email: `${m.externalId}@acme.example` }));
  orgId = (await h.provision('acme', doc)).orgId;
  key = await h.issueKey('acme', ['act_for_members']);
  api.addUser({ id: 'user_owner', email: 'owner-1@acme.example', name: 'Olivia Owner', role: 'primary_owner' });
  api.addUser({ id: 'user_admin', email: 'admin-1@acme.example', name: 'Adam Admin', role: 'admin' });
  api.addUser({ id: 'user_alice', email: 'alice@acme.example', name: 'Alice', role: 'user' });
  for (let i = 0; i < 120; i++) api.addUser({ id: `user_p${String(i).padStart(3, '0')}`, email: `p${i}@acme.example`, name: `P ${i}`, role: 'user' });
  await connectOrg(scratch.db.prisma, anthropic, orgId, KEY, 'operator');
  await mirrorMembers(scratch.db.prisma, orgId, await listAllUsers(adminClient(KEY, { baseUrl: api.url })), new Date());
  api.effective.push(
    summary('user_alice', 'monthly', '5000', '4012.125', { type: 'seat_tier', seat_tier: 'standard' }),
    summary('user_alice', 'daily', null, '0', { type: 'organization' }),
    summary('user_admin', 'monthly', '20000', '0', { type: 'rbac_group', rbac_group_id: 'rbac_grp_eng' }),
  );
  for (let i = 0; i < 120; i++) api.effective.push(summary(`user_p${String(i).padStart(3, '0')}`, 'monthly', '5000', String(i), { type: 'seat_tier', seat_tier: 'standard' }));
});
afterAll(async () => {
  await h?.close();
  await api?.close();
  await scratch?.dispose();
});

const limitsOf = async (ref: string) => (await h.call('GET', '/v1/claude/limits', { token: key, actor: 'owner-1' })).body.members.filter((m: any) => m.externalId === ref);

describe('a connected org\'s spend limits', () => {
  it('mirrors the effective-limits report over pages, exactly, with where each limit comes from', async () => {
    const stored = await mirrorEffectiveLimits(scratch.db.prisma, orgId, await listEffective(adminClient(KEY, { baseUrl: api.url })), new Date());
    expect(stored).toBe(123);
    expect(api.calls.filter((c) => c.path === '/v1/organizations/spend_limits/effective').length).toBe(2);
    const alice = await limitsOf('alice');
    expect(alice).toEqual([
      expect.objectContaining({ period: 'daily', limit: null, spent: '0.00', source: 'organization', sourceEditableHere: false }),
      expect.objectContaining({ period: 'monthly', limit: '50.00', spent: '40.12125', source: 'seat_tier', sourceRef: 'standard', sourceEditableHere: false }),
    ]);
    expect(await limitsOf('admin-1')).toEqual([expect.objectContaining({ limit: '200.00', source: 'rbac_group', sourceRef: 'rbac_grp_eng' })]);
    // Admins read it; members do not.
    expect((await h.call('GET', '/v1/claude/limits', { token: key, actor: 'admin-1' })).status).toBe(200);
    expect((await h.call('GET', '/v1/claude/limits', { token: key, actor: 'alice' })).status).toBe(403);
  });

  it('an owner\'s Edit limit is one set on the member\'s user scope, audited; Set to unlimited sets no limit', async () => {
    const db = scratch.db.prisma;
    const res = await h.call('PUT', '/v1/claude/members/alice/limit', { token: key, actor: 'owner-1', body: { amount: '100.00', period: 'monthly' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ externalId: 'alice', period: 'monthly', limit: '100.00', source: 'user' });
    expect(api.sets()).toEqual([{ scope: { type: 'user', user_id: 'user_alice' }, period: 'monthly', amount: '10000' }]);
    expect(await limitsOf('alice')).toContainEqual(expect.objectContaining({ period: 'monthly', limit: '100.00', source: 'user', sourceEditableHere: true }));
    const audit = await db.auditEntry.findMany({ where: { orgId, action: 'anthropic.spend_limit.user.set' } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ before: { limit: '50.00', period: 'monthly', source: 'seat_tier' }, after: { limit: '100.00', period: 'monthly', source: 'user' } });
    expect(audit[0]!.actor).toContain('(owner-1)');

    const unlimited = await h.call('PUT', '/v1/claude/members/alice/limit', { token: key, actor: 'owner-1', body: { amount: null, period: 'daily' } });
    expect(unlimited.status).toBe(200);
    expect(api.sets().at(-1)).toEqual({ scope: { type: 'user', user_id: 'user_alice' }, period: 'daily', amount: null });

    // Only owners; a bad amount names the field; nothing reaches Anthropic.
    const before = api.sets().length;
    expect((await h.call('PUT', '/v1/claude/members/alice/limit', { token: key, actor: 'admin-1', body: { amount: '1.00', period: 'monthly' } })).status).toBe(403);
    const bad = await h.call('PUT', '/v1/claude/members/alice/limit', { token: key, actor: 'owner-1', body: { amount: '1.005', period: 'monthly' } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('amount');
    // A member only provisioned here (no Anthropic user) has no limit there to edit.
    const bob = await h.call('PUT', '/v1/claude/members/bob/limit', { token: key, actor: 'owner-1', body: { amount: '1.00', period: 'monthly' } });
    expect(bob.status).toBe(422);
    expect(api.sets().length).toBe(before);
  });

  it('writes not enabled for the organization: the owner reads what to do, and nothing changes', async () => {
    const db = scratch.db.prisma;
    api.writesEnabled = false;
    const audits = await db.auditEntry.count({ where: { orgId } });
    const res = await h.call('PUT', '/v1/claude/members/admin-1/limit', { token: key, actor: 'owner-1', body: { amount: '300.00', period: 'monthly' } });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('writes_not_enabled');
    expect(res.body.error.message).toContain('change the limit in claude.ai');
    expect(res.body.error.message).toContain('Nothing was changed');
    expect(await db.auditEntry.count({ where: { orgId } })).toBe(audits);
    expect(await limitsOf('admin-1')).toEqual([expect.objectContaining({ limit: '200.00', source: 'rbac_group' })]);
    api.writesEnabled = true;
  });

  it('a Claude Team organization (no effective report there): the read is skipped, what is stored stays, and nothing fails', async () => {
    const db = scratch.db.prisma;
    const before = await db.anthropicEffectiveLimit.count({ where: { orgId } });
    api.effectiveSupported = false;
    expect(await syncEffectiveLimits(db, adminClient(KEY, { baseUrl: api.url }), orgId, new Date())).toBeNull();
    expect(await db.anthropicEffectiveLimit.count({ where: { orgId } })).toBe(before);
    api.effectiveSupported = true;
    expect(await syncEffectiveLimits(db, adminClient(KEY, { baseUrl: api.url }), orgId, new Date())).toBe(123);
  });
});
