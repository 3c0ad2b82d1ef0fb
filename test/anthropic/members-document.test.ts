// The operator's org document and the Anthropic users list side by side: a document PUT
// leaves the members the mirror brought alone, and the mirror never creates, demotes or
// removes an owner (owners change only through the document).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mirrorMembers } from '../../src/anthropic/members.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc } from '../support/fixtures.js';
import { provision } from '../support/ledger.js';
import type { BetaOrganizationUser } from '@anthropic-ai/sdk/resources/beta/organization/users';

let scratch: Scratch;
beforeAll(async () => {
  scratch = await migrated(scratchPglite);
});
afterAll(async () => {
  await scratch?.dispose();
});

const user = (id: string, email: string, role: BetaOrganizationUser['role']): BetaOrganizationUser =>
  ({ id, email, name: id, role, type: 'user', added_at: '2026-01-01T00:00:00Z' }) as BetaOrganizationUser;

function doc() {
  const d = enterpriseDoc();
  d.members = d.members.map((m) => ({ ...m, email: `${m.externalId}@acme.example` }));
  return d;
}

describe('org document and Anthropic mirror', () => {
  it("an operator's document PUT keeps the members the mirror created", async () => {
    const db = scratch.db.prisma;
    const { orgId } = await provision(db, 'doc-keeps', doc());
    await mirrorMembers(db, orgId, [user('user_carol', 'carol@acme.example', 'user')], new Date());
    await db.member.updateMany({ where: { orgId, anthropicUserId: 'user_carol' }, data: { slackUserId: 'U_CAROL' } });
    const d = doc();
    d.name = 'Acme renamed';
    await provision(db, 'doc-keeps', d);
    const carol = await db.member.findFirstOrThrow({ where: { orgId, anthropicUserId: 'user_carol' } });
    expect(carol.removedAt).toBeNull();
    expect(carol.slackUserId).toBe('U_CAROL');
    expect(await db.outboxEvent.count({ where: { orgId, type: 'member_removed', payload: { path: ['memberId'], equals: carol.id } } })).toBe(0);
  });

  it('the mirror never makes a second primary owner, demotes or removes the primary owner', async () => {
    const db = scratch.db.prisma;
    const { orgId, member } = await provision(db, 'owners', doc());
    // owner-1 is the document's primary owner but only a user at Anthropic; another person is Anthropic's primary owner.
    await mirrorMembers(db, orgId, [
      user('user_owner', 'owner-1@acme.example', 'user'),
      user('user_boss', 'boss@acme.example', 'primary_owner'),
      user('user_alice', 'alice@acme.example', 'owner'),
    ], new Date());
    expect((await member('owner-1')).role).toBe('primary_owner');
    expect(await db.member.count({ where: { orgId, role: 'primary_owner', removedAt: null } })).toBe(1);
    expect(await db.member.count({ where: { orgId, role: { in: ['primary_owner', 'owner'] }, removedAt: null } })).toBe(1);
    // Anthropic's owners decide requests here (admins), nothing more.
    expect((await db.member.findFirstOrThrow({ where: { orgId, anthropicUserId: 'user_boss' } })).role).toBe('admin');
    expect((await member('alice')).role).toBe('admin');
    // The primary owner leaves Anthropic's list: still the primary owner here.
    await mirrorMembers(db, orgId, [user('user_boss', 'boss@acme.example', 'primary_owner')], new Date());
    const owner = await member('owner-1');
    expect(owner.removedAt).toBeNull();
    expect(owner.role).toBe('primary_owner');
  });
});
