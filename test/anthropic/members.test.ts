// Members mirrored from the Anthropic users list through the real SDK and the stand-in:
// 250 users over pages, roles as ours, existing members matched by email (their Slack
// link kept), renames and role changes followed, removed users leave (and their chat
// links are freed), each change in the audit log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient } from '../../src/anthropic/client.js';
import { listAllUsers, mirrorMembers } from '../../src/anthropic/members.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc } from '../support/fixtures.js';
import { provision } from '../support/ledger.js';
import { startAdminApi, type AdminApiStandIn } from '../support/anthropic-admin-api.js';

const KEY = 'sk-ant-admin01-members-test-key-0123456789';
let scratch: Scratch;
let api: AdminApiStandIn;
let orgId: string;

beforeAll(async () => {
  [scratch, api] = await Promise.all([migrated(scratchPglite), startAdminApi({ key: KEY })]);
  const doc = enterpriseDoc();
  doc.members = doc.members.map((m) => ({ ...m, email: `${m.externalId}@acme.example` }));
  orgId = (await provision(scratch.db.prisma, 'acme', doc)).orgId;
});
afterAll(async () => {
  await api?.close();
  await scratch?.dispose();
});

const sync = async () => mirrorMembers(scratch.db.prisma, orgId, await listAllUsers(adminClient(KEY, { baseUrl: api.url })), new Date());

describe('members mirrored from the Anthropic users list', () => {
  it('follows every page: 250 users become members with their roles; a provisioned member is matched by email', async () => {
    const db = scratch.db.prisma;
    // The provisioned owner (Slack U_OWNER) is a Claude owner under another capitalisation of her email.
    api.addUser({ id: 'user_owner', email: 'Owner-1@Acme.example', name: 'Olivia Owner', role: 'primary_owner' });
    api.addUser({ id: 'user_admin', email: 'admin-1@acme.example', name: 'Adam Admin', role: 'admin' });
    for (let i = 0; i < 248; i++) api.addUser({ id: `user_${String(i).padStart(4, '0')}`, email: `person${i}@acme.example`, name: `Person ${i}`, role: i % 50 === 0 ? 'billing' : 'user' });

    const result = await sync();
    expect(result).toMatchObject({ listed: 250, created: 248, updated: 2, removed: 0 });
    // The SDK followed the pages (100 a page).
    expect(api.calls.filter((c) => c.path === '/v1/organizations/users').length).toBe(3);

    const owner = await db.member.findFirstOrThrow({ where: { orgId, externalId: 'owner-1' } });
    expect(owner).toMatchObject({ anthropicUserId: 'user_owner', role: 'primary_owner', slackUserId: 'U_OWNER', email: 'Owner-1@Acme.example' });
    expect(await db.member.findFirstOrThrow({ where: { orgId, anthropicUserId: 'user_admin' } })).toMatchObject({ externalId: 'admin-1', role: 'admin' });
    const people = await db.member.findMany({ where: { orgId, anthropicUserId: { startsWith: 'user_0' } } });
    expect(people).toHaveLength(248);
    // billing, user … are members: only owners and admins decide.
    expect(new Set(people.map((p) => p.role))).toEqual(new Set(['member']));
    expect(await db.auditEntry.count({ where: { orgId, action: 'member.add' } })).toBeGreaterThanOrEqual(248);

    // Again, nothing changed: nothing written.
    expect(await sync()).toMatchObject({ listed: 250, created: 0, updated: 0, removed: 0 });
  });

  it('follows a rename and a role change, and a removed user leaves with their chat links freed', async () => {
    const db = scratch.db.prisma;
    Object.assign(api.users.find((u) => u.id === 'user_0001')!, { name: 'Person One', role: 'admin' });
    await db.member.updateMany({ where: { orgId, externalId: 'admin-1' }, data: { slackUserId: 'U_ADMIN' } });
    const gone = api.users.findIndex((u) => u.id === 'user_admin');
    api.users.splice(gone, 1);
    const result = await sync();
    expect(result).toMatchObject({ listed: 249, updated: 1, removed: 1 });
    expect(await db.member.findFirstOrThrow({ where: { orgId, anthropicUserId: 'user_0001' } })).toMatchObject({ name: 'Person One', role: 'admin' });
    const admin = await db.member.findFirstOrThrow({ where: { orgId, externalId: 'admin-1' } });
    expect(admin.removedAt).not.toBeNull();
    expect(admin.slackUserId).toBeNull();
    // Its open requests are closed by the relay (member_removed), as for a document.
    expect(await db.outboxEvent.count({ where: { orgId, type: 'member_removed' } })).toBe(1);
    // Members the users list never named (not mirrored) stay.
    expect((await db.member.findFirstOrThrow({ where: { orgId, externalId: 'alice' } })).removedAt).toBeNull();
  });
});
