// An owner's "Edit limit" for a member of a connected org: the write to Anthropic is
// never left unaudited. A database that cannot write the audit sends nothing.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminClient } from '../../src/anthropic/client.js';
import { connectOrg } from '../../src/anthropic/connection.js';
import { setMemberLimit } from '../../src/anthropic/member-limits.js';
import { listAllUsers, mirrorMembers } from '../../src/anthropic/members.js';
import { secretBox } from '../../src/secrets/secret-box.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc } from '../support/fixtures.js';
import { provision } from '../support/ledger.js';
import { startAdminApi, type AdminApiStandIn } from '../support/anthropic-admin-api.js';

const KEY = 'sk-ant-admin01-member-limits-test-key-0123456789';
let scratch: Scratch;
let api: AdminApiStandIn;
let orgId: string;
const anthropic = { box: secretBox(randomBytes(32)), baseUrl: '' };

beforeAll(async () => {
  [scratch, api] = await Promise.all([migrated(scratchPglite), startAdminApi({ key: KEY })]);
  anthropic.baseUrl = api.url;
  const db = scratch.db.prisma;
  const doc = enterpriseDoc();
  doc.members = doc.members.map((m) => ({ ...m, email: `${m.externalId}@acme.example` }));
  orgId = (await provision(db, 'acme', doc)).orgId;
  api.addUser({ id: 'user_alice', email: 'alice@acme.example', name: 'Alice', role: 'user' });
  await connectOrg(db, anthropic, orgId, KEY, 'operator');
  await mirrorMembers(db, orgId, await listAllUsers(adminClient(KEY, { baseUrl: api.url })), new Date());
});
afterAll(async () => {
  await api?.close();
  await scratch?.dispose();
});

describe("an owner's Edit limit at Anthropic", () => {
  it('sends nothing to Anthropic when the audit cannot be written, and audits it when it can', async () => {
    const db = scratch.db.prisma;
    const owner = await db.member.findFirstOrThrow({ where: { orgId, externalId: 'owner-1' } });
    await db.$executeRawUnsafe(`CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit unavailable'; END $$ LANGUAGE plpgsql`);
    await db.$executeRawUnsafe(`CREATE TRIGGER refuse_audit BEFORE INSERT ON "AuditEntry" FOR EACH ROW EXECUTE FUNCTION refuse_audit()`);
    await expect(setMemberLimit(db, anthropic, orgId, owner, 'alice', { amountNanos: 90_000_000_000n, period: 'monthly' })).rejects.toThrow();
    expect(api.sets()).toEqual([]);

    await db.$executeRawUnsafe(`DROP TRIGGER refuse_audit ON "AuditEntry"`);
    const at = new Date('2026-12-01T10:00:00Z');
    await setMemberLimit(db, anthropic, orgId, owner, 'alice', { amountNanos: 90_000_000_000n, period: 'monthly', at });
    expect(api.sets()).toHaveLength(1);
    expect(await db.auditEntry.count({ where: { orgId, action: 'anthropic.spend_limit.user.set' } })).toBe(1);
    const alice = await db.member.findFirstOrThrow({ where: { orgId, externalId: 'alice' } });
    expect((await db.anthropicEffectiveLimit.findUniqueOrThrow({ where: { memberId_period: { memberId: alice.id, period: 'monthly' } } })).fetchedAt).toEqual(at);
  });
});
