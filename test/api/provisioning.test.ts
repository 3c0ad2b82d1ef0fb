// An operator provisions an org from one document; PUT again with the same document
// changes nothing; a changed document changes exactly what differs, audited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, migrated, type Scratch } from '../support/databases.js';
import { enterpriseDoc, harness, HAIKU, OPERATOR_TOKEN, usageOfCents, type Harness } from '../support/fixtures.js';

describe.each(BACKENDS)('provisioning on $kind', ({ open }) => {
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

  const put = (slug: string, doc: unknown) => h.call('PUT', `/v1/operator/orgs/${slug}`, { body: doc, token: OPERATOR_TOKEN });
  const auditCount = () => scratch.db.prisma.auditEntry.count();

  it('creates the org, then treats the same document as a no-op', async () => {
    const created = await put('acme', enterpriseDoc());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ created: true, changed: true });
    const audits = await auditCount();
    const again = await put('acme', enterpriseDoc());
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ created: false, changed: false, changes: [] });
    expect(await auditCount()).toBe(audits);
    const view = await h.call('GET', '/v1/operator/orgs/acme', { token: OPERATOR_TOKEN });
    expect(view.body).toMatchObject({
      org: { plan: 'enterprise', timezone: 'Europe/Paris' },
      extraUsage: { enabled: true, scope: 'all_members' },
      orgCap: { cap: '1000.00' },
      seatTiers: [
        { tier: 'standard', includedAllowance: '1.00', windowMinutes: 300, cap: '500.00' },
        { tier: 'premium', includedAllowance: '3.00', windowMinutes: 300, cap: null },
      ],
    });
  });

  it('applies only what changed, audits it, and removes members left out of the document', async () => {
    const doc = enterpriseDoc();
    await put('beta', doc);
    const key = await h.issueKey('beta');
    const changed = enterpriseDoc({
      extraUsage: { enabled: true, orgMonthlyCap: '2000.00', tierCaps: { standard: '500.00', premium: null } },
      members: doc.members.filter((m) => m.externalId !== 'bob').map((m) => (m.externalId === 'alice' ? { ...m, seatTier: 'premium' as const } : m)),
    });
    const res = await put('beta', changed);
    expect(res.body.changed).toBe(true);
    const subjects = res.body.changes.map((c: any) => c.subject);
    expect(subjects).toHaveLength(3);
    expect(res.body.changes.find((c: any) => c.subject === 'org')).toEqual({ subject: 'org', before: { orgMonthlyCapNanos: '1000000000000' }, after: { orgMonthlyCapNanos: '2000000000000' } });
    const org = await scratch.db.prisma.organization.findUniqueOrThrow({ where: { slug: 'beta' } });
    const audit = await scratch.db.prisma.auditEntry.findMany({ where: { orgId: org.id, action: { in: ['org.update', 'member.update', 'member.remove'] } } });
    expect(audit.map((a) => a.action).sort()).toEqual(['member.remove', 'member.update', 'org.update']);
    expect(audit.every((a) => a.actor === 'operator')).toBe(true);
    // Bob is gone: the gateway is told so.
    const bob = await h.call('POST', '/v1/usage/authorize', { token: key, body: { member: 'bob', model: HAIKU } });
    expect(bob.status).toBe(404);
    // Alice now has the premium allowance ($3.00).
    const rec = await h.call('POST', '/v1/usage/record', { token: key, body: { requestId: 'a1', member: 'alice', model: HAIKU, usage: usageOfCents(250) } });
    expect(rec.body).toMatchObject({ included: '2.50', extra: '0.00' });
  });

  it('keeps an owner\'s later cap change when the document says nothing about that member\'s cap', async () => {
    await put('gamma', enterpriseDoc());
    const key = await h.issueKey('gamma');
    await h.call('PUT', '/v1/settings/caps/members/bob', { token: key, actor: 'owner-1', body: { cap: '20.00' } });
    const again = await put('gamma', enterpriseDoc());
    expect(again.body.changed).toBe(false);
    const limits = await h.call('GET', '/v1/reports/seat-limits', { token: key, actor: 'owner-1' });
    expect(limits.body.members.find((m: any) => m.externalId === 'bob').cap).toBe('20.00');
  });

  it('issues keys that work at once and stop working when revoked; the secret is never stored', async () => {
    await put('delta', enterpriseDoc());
    const issued = await h.call('POST', '/v1/operator/orgs/delta/api-keys', { token: OPERATOR_TOKEN, body: { name: 'gateway' } });
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({ name: 'gateway', scopes: ['usage'], key: expect.stringMatching(/^eu_/) });
    const stored = await scratch.db.prisma.apiKey.findUniqueOrThrow({ where: { id: issued.body.id } });
    expect(stored.keyHash).not.toContain(issued.body.key);
    const ask = () => h.call('POST', '/v1/usage/authorize', { token: issued.body.key, body: { member: 'alice', model: HAIKU } });
    expect((await ask()).status).toBe(200);
    const list = await h.call('GET', '/v1/operator/orgs/delta/api-keys', { token: OPERATOR_TOKEN });
    expect(JSON.stringify(list.body)).not.toContain(issued.body.key);
    expect((await h.call('DELETE', `/v1/operator/orgs/delta/api-keys/${issued.body.id}`, { token: OPERATOR_TOKEN })).status).toBe(200);
    expect((await ask()).status).toBe(401);
  });
});
