// Whose Claude Code a user.id is: a member claims one seen here; an owner or the
// operator maps, re-maps or unmaps any (audited), so a wrong claim can be put right.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepUnattributed, recordPendingAttributions } from '../../src/ledger/metering/unattributed.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, harness, OPERATOR_TOKEN, type Harness } from '../support/fixtures.js';

const NOW = new Date('2026-12-07T12:00:00Z');
const usage = { input_tokens: 1_000, output_tokens: 0 };

describe('mapping Claude Code user.ids', () => {
  let scratch: Scratch;
  let h: Harness;
  let orgId: string;
  let key: string;
  beforeAll(async () => {
    scratch = await migrated(scratchPglite);
    h = await harness(scratch.db.prisma, NOW);
    ({ orgId } = await h.provision('cc-users', enterpriseDoc()));
    key = await h.issueKey('cc-users');
  });
  afterAll(async () => {
    await h?.close();
    await scratch?.dispose();
  });

  const keep = (requestId: string, clientUserId: string) =>
    keepUnattributed(scratch.db.prisma, orgId, [{ requestId, clientUserId, model: 'claude-sonnet-4-5', usage, at: new Date('2026-12-07T11:00:00Z') }], NOW);
  const as = (actor: string, method: string, url: string, body?: unknown) => h.call(method, url, { token: key, actor, ...(body ? { body } : {}) });
  const ownerOf = async (userId: string) =>
    (await scratch.db.prisma.claudeCodeUser.findUnique({ where: { orgId_clientUserId: { orgId, clientUserId: userId } }, include: { member: true } }))?.member.externalId ?? null;
  const audits = async (userId: string) =>
    (await scratch.db.prisma.auditEntry.findMany({ where: { orgId, subject: `claude_code_user:${userId}` }, orderBy: { id: 'asc' } })).map((a) => [a.action, a.before, a.after]);

  it('a member may claim only a user.id whose usage was kept here; an owner may map one not seen yet', async () => {
    const unseen = await as('alice', 'PUT', '/v1/me/claude-code-users/device-never-seen');
    expect([unseen.status, unseen.body.error.field]).toEqual([404, 'userId']);
    expect(unseen.body.error.message).toContain('was seen here yet');
    expect(await ownerOf('device-never-seen')).toBeNull();
    const mapped = await as('owner-1', 'PUT', '/v1/claude-code-users/device-new-laptop', { member: 'bob' });
    expect(mapped.status).toBe(200);
    expect(mapped.body).toMatchObject({ member: 'bob', created: true, previousMember: null });
  });

  it('an owner re-maps a wrong claim and removes a mapping, audited; a member can do neither', async () => {
    await keep('otel:wrong-1', 'device-carol');
    // Alice claims Bob's device by mistake: its kept event is recorded as hers.
    expect((await as('alice', 'PUT', '/v1/me/claude-code-users/device-carol')).body).toMatchObject({ member: 'alice', created: true, attributed: 1 });
    const taken = await as('bob', 'PUT', '/v1/me/claude-code-users/device-carol');
    expect([taken.status, taken.body.error.message]).toEqual([409, expect.stringContaining('an owner can re-map it')]);
    expect((await as('alice', 'PUT', '/v1/claude-code-users/device-carol', { member: 'alice' })).status).toBe(403);
    expect((await as('alice', 'DELETE', '/v1/claude-code-users/device-carol')).status).toBe(403);

    const remapped = await as('owner-1', 'PUT', '/v1/claude-code-users/device-carol', { member: 'bob' });
    expect(remapped.status).toBe(200);
    expect(remapped.body).toMatchObject({ member: 'bob', created: false, previousMember: 'alice' });
    expect(await ownerOf('device-carol')).toBe('bob');
    // Later events from it are Bob's.
    await keep('otel:later-1', 'device-carol');
    expect((await as('owner-1', 'PUT', '/v1/claude-code-users/device-carol', { member: 'bob' })).body).toMatchObject({ created: false, previousMember: null, attributed: 1 });
    const bob = await scratch.db.prisma.member.findFirstOrThrow({ where: { orgId, externalId: 'bob' } });
    expect((await scratch.db.prisma.usageEvent.findFirstOrThrow({ where: { orgId, requestId: 'otel:later-1' } })).memberId).toBe(bob.id);

    const removed = await as('owner-1', 'DELETE', '/v1/claude-code-users/device-carol');
    expect([removed.status, removed.body]).toEqual([200, { userId: 'device-carol', member: 'bob' }]);
    expect(await ownerOf('device-carol')).toBeNull();
    expect((await as('owner-1', 'DELETE', '/v1/claude-code-users/device-carol')).status).toBe(404);
    expect((await audits('device-carol')).map(([action]) => action)).toEqual(['claude_code_user.mapped', 'claude_code_user.remapped', 'claude_code_user.unmapped']);
    expect((await audits('device-carol'))[1]).toEqual(['claude_code_user.remapped', expect.objectContaining({ member: 'alice' }), expect.objectContaining({ member: 'bob' })]);
  });

  it('the operator re-maps and removes mappings too', async () => {
    await keep('otel:op-1', 'device-op');
    expect((await as('alice', 'PUT', '/v1/me/claude-code-users/device-op')).status).toBe(200);
    const op = (method: string, body?: unknown) => h.call(method, '/v1/operator/orgs/cc-users/claude-code-users/device-op', { token: OPERATOR_TOKEN, ...(body ? { body } : {}) });
    expect((await op('PUT', { member: 'bob' })).body).toMatchObject({ member: 'bob', previousMember: 'alice' });
    expect((await op('DELETE')).body).toEqual({ userId: 'device-op', member: 'bob' });
    expect((await op('DELETE')).status).toBe(404);
  });

  it('records kept events a failed claim left behind: at the next claim in the org, and at start', async () => {
    const db = scratch.db.prisma;
    const alice = await db.member.findFirstOrThrow({ where: { orgId, externalId: 'alice' } });
    // A claim that committed its mapping and failed before recording the kept events.
    await keep('otel:left-1', 'device-crashed');
    await db.claudeCodeUser.create({ data: { orgId, clientUserId: 'device-crashed', memberId: alice.id, createdBy: 'alice', createdAt: NOW } });
    await keep('otel:other-1', 'device-other');
    expect((await as('bob', 'PUT', '/v1/me/claude-code-users/device-other')).status).toBe(200);
    expect((await db.usageEvent.findFirstOrThrow({ where: { orgId, requestId: 'otel:left-1' } })).memberId).toBe(alice.id);

    await keep('otel:left-2', 'device-crashed-2');
    await db.claudeCodeUser.create({ data: { orgId, clientUserId: 'device-crashed-2', memberId: alice.id, createdBy: 'alice', createdAt: NOW } });
    expect(await recordPendingAttributions(db, NOW)).toEqual({ attributed: 1, notRecorded: 0 });
    expect((await db.usageEvent.findFirstOrThrow({ where: { orgId, requestId: 'otel:left-2' } })).memberId).toBe(alice.id);
    expect(await recordPendingAttributions(db, NOW)).toEqual({ attributed: 0, notRecorded: 0 });
    expect(await db.usageEvent.count({ where: { orgId, requestId: { in: ['otel:left-1', 'otel:left-2'] } } })).toBe(2);
  });
});
