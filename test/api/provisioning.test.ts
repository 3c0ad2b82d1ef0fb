// An operator provisions an org from one document; PUT again with the same document
// changes nothing; a changed document changes exactly what it changed since the last
// one, audited, and never undoes what owners and approvals changed in between.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, migrated, type Scratch } from '../support/databases.js';
import { applyDecision } from '../../src/ledger/requests/requests.js';
import { enterpriseDoc, harness, HAIKU, OPERATOR_TOKEN, teamDoc, usageOfCents, type Harness } from '../support/fixtures.js';

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
    expect(res.body.changes.find((c: any) => c.subject === 'org')).toEqual({ subject: 'org', before: { orgMonthlyCap: '1000.00' }, after: { orgMonthlyCap: '2000.00' } });
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

  describe('a re-sent document merges with what owners and approvals changed since', () => {
    const db = () => scratch.db.prisma;
    const operatorAudits = async (slug: string) => db().auditEntry.count({ where: { org: { slug }, actor: 'operator' } });
    const stored = async (slug: string) => {
      const org = await db().organization.findUniqueOrThrow({ where: { slug }, include: { members: { orderBy: { externalId: 'asc' } }, seatTiers: true } });
      const m = Object.fromEntries(org.members.map((x) => [x.externalId, { seatTier: x.seatTier, extraUsageEnabled: x.extraUsageEnabled, cap: x.extraUsageCapNanos, slackUserId: x.slackUserId }]));
      return { enabled: org.extraUsageEnabled, scope: org.extraUsageScope, orgCap: org.orgMonthlyCapNanos, standardCap: org.standardTierCapNanos, premiumCap: org.premiumTierCapNanos, members: m };
    };
    const USD = 1_000_000_000n;

    /** Provisions `slug`, then owners change every money setting and an admin approves a seat upgrade. */
    async function ownersChangeEverything(slug: string) {
      await put(slug, enterpriseDoc());
      const key = await h.issueKey(slug);
      const owner = (method: string, url: string, body: unknown) => h.call(method, url, { token: key, actor: 'owner-1', body });
      expect((await owner('PUT', '/v1/settings/caps/members/alice', { cap: '20.00' })).status).toBe(200);
      expect((await owner('PUT', '/v1/settings/caps/org', { cap: '1500.00' })).status).toBe(200);
      expect((await owner('PUT', '/v1/settings/caps/tiers/premium', { cap: '300.00' })).status).toBe(200);
      expect((await owner('PUT', '/v1/settings/extra-usage', { enabled: false, scope: 'selected_members' })).status).toBe(200);
      expect((await owner('PUT', '/v1/settings/members/bob/extra-usage', { enabled: true })).status).toBe(200);
      expect((await owner('PUT', '/v1/settings/members/bob/seat', { seatTier: 'standard' })).status).toBe(200);
      // An admin approves Alice's request for a premium seat.
      const org = await db().organization.findUniqueOrThrow({ where: { slug } });
      const alice = await db().member.findUniqueOrThrow({ where: { orgId_externalId: { orgId: org.id, externalId: 'alice' } } });
      const request = await db().extraUsageRequest.create({
        data: { orgId: org.id, memberId: alice.id, workflowId: `wf-${slug}`, runId: `run-${slug}`, openForMember: alice.id, seatTierAtRequest: 'standard', requestedAt: h.clock.now },
      });
      await applyDecision(db(), { requestId: request.id, deciderRef: 'admin-1', decision: 'upgrade_seat' }, h.clock.now);
      return { key };
    }

    const CHANGED = {
      enabled: false, scope: 'selected_members', orgCap: 1500n * USD, standardCap: 500n * USD, premiumCap: 300n * USD,
      members: {
        'admin-1': { seatTier: 'standard', extraUsageEnabled: false, cap: null, slackUserId: null },
        alice: { seatTier: 'premium', extraUsageEnabled: false, cap: 20n * USD, slackUserId: null },
        bob: { seatTier: 'standard', extraUsageEnabled: true, cap: null, slackUserId: null },
        'owner-1': { seatTier: 'premium', extraUsageEnabled: false, cap: null, slackUserId: 'U_OWNER' },
      },
    };

    it('keeps every change owners and approvals made when the same document is sent again', async () => {
      await ownersChangeEverything('merge-same');
      expect(await stored('merge-same')).toEqual(CHANGED);
      const operatorBefore = await operatorAudits('merge-same');
      const outboxBefore = await db().outboxEvent.count({ where: { org: { slug: 'merge-same' } } });

      const again = await put('merge-same', enterpriseDoc());
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ orgId: expect.any(String), created: false, changed: false, changes: [] });
      expect(await stored('merge-same')).toEqual(CHANGED);
      expect(await operatorAudits('merge-same')).toBe(operatorBefore);
      expect(await db().outboxEvent.count({ where: { org: { slug: 'merge-same' } } })).toBe(outboxBefore);
      // Amounts written differently but meaning the same are the same document.
      const sameInOtherWords = enterpriseDoc({ extraUsage: { enabled: true, scope: 'all_members', orgMonthlyCap: '1000', tierCaps: { standard: '500', premium: null } } });
      expect((await put('merge-same', sameInOtherWords)).body.changed).toBe(false);
      expect(await stored('merge-same')).toEqual(CHANGED);
    });

    it('applies a field the document changes, that field alone, audited as the operator', async () => {
      const { key } = await ownersChangeEverything('merge-one');
      const res = await put('merge-one', enterpriseDoc({ extraUsage: { enabled: true, scope: 'all_members', orgMonthlyCap: '2500.00', tierCaps: { standard: '500.00', premium: null } } }));
      expect(res.body).toMatchObject({ changed: true, changes: [{ subject: 'org', before: { orgMonthlyCap: '1500.00' }, after: { orgMonthlyCap: '2500.00' } }] });
      expect(res.body.changes).toHaveLength(1);
      expect(await stored('merge-one')).toEqual({ ...CHANGED, orgCap: 2500n * USD });
      const last = await db().auditEntry.findFirstOrThrow({ where: { org: { slug: 'merge-one' } }, orderBy: { id: 'desc' } });
      expect(last).toMatchObject({ actor: 'operator', action: 'org.update', subject: 'org' });
      // Owners read the operator's change in dollars, as they read their own.
      const log = await h.call('GET', '/v1/reports/audit-log?limit=1', { token: key, actor: 'owner-1' });
      expect(log.body.entries[0]).toMatchObject({ actor: 'operator', action: 'org.update', before: { orgMonthlyCap: '1500.00' }, after: { orgMonthlyCap: '2500.00' } });

      // A seat tier the document changes from what it said last time wins too; Bob's own seat stays the owner's.
      const doc = enterpriseDoc({ extraUsage: { enabled: true, scope: 'all_members', orgMonthlyCap: '2500.00', tierCaps: { standard: '500.00', premium: null } } });
      const seat = await put('merge-one', { ...doc, members: doc.members.map((m) => (m.externalId === 'admin-1' ? { ...m, seatTier: 'premium' } : m)) });
      expect(seat.body.changes).toEqual([{ subject: expect.stringMatching(/^member:/), before: { seatTier: 'standard' }, after: { seatTier: 'premium' } }]);
      const after = await stored('merge-one');
      expect(after.members['admin-1']!.seatTier).toBe('premium');
      expect(after.members.bob!.seatTier).toBe('standard');
    });

    it('leaves the org cap as it is when extraUsage leaves orgMonthlyCap out, and makes it Unlimited only where null is written', async () => {
      await ownersChangeEverything('merge-null');
      const without = await put('merge-null', enterpriseDoc({ extraUsage: { enabled: true, scope: 'all_members', tierCaps: { standard: '500.00', premium: null } } }));
      expect(without.body.changed).toBe(false);
      expect((await stored('merge-null')).orgCap).toBe(1500n * USD);
      // Leaving out a member's cap, or a tier cap, leaves it too.
      const lean = (extraUsage: NonNullable<Parameters<typeof enterpriseDoc>[0]>['extraUsage']) => {
        const doc = enterpriseDoc({ extraUsage });
        return { ...doc, members: doc.members.map(({ extraUsageCap: _cap, ...m }) => m) };
      };
      expect((await put('merge-null', lean({ enabled: true }))).body.changed).toBe(false);
      expect(await stored('merge-null')).toEqual(CHANGED);

      const unlimited = await put('merge-null', lean({ enabled: true, orgMonthlyCap: null }));
      expect(unlimited.body.changes).toEqual([{ subject: 'org', before: { orgMonthlyCap: '1500.00' }, after: { orgMonthlyCap: null } }]);
      expect(await stored('merge-null')).toEqual({ ...CHANGED, orgCap: null });
    });

    it('turns extra usage back on when the document changes the switch, and tells the workflows', async () => {
      await ownersChangeEverything('merge-switch');
      const off = enterpriseDoc({ extraUsage: { enabled: false } });
      expect((await put('merge-switch', off)).body.changed).toBe(false); // already off: the owner did it
      const on = await put('merge-switch', enterpriseDoc({ extraUsage: { enabled: true } }));
      expect(on.body.changes).toEqual([{ subject: 'org', before: { extraUsageEnabled: false }, after: { extraUsageEnabled: true } }]);
      // A member's extra usage the document turns on closes their open request, as an owner's would.
      const doc = enterpriseDoc({ extraUsage: { enabled: true } });
      await put('merge-switch', { ...doc, members: doc.members.map((m) => (m.externalId === 'admin-1' ? { ...m, extraUsageEnabled: true } : m)) });
      const events = await db().outboxEvent.findMany({ where: { org: { slug: 'merge-switch' } }, orderBy: { id: 'asc' } });
      const admin = await db().member.findFirstOrThrow({ where: { org: { slug: 'merge-switch' }, externalId: 'admin-1' } });
      expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['org_extra_usage_enabled', 'member_extra_usage_enabled']));
      expect(events.filter((e) => e.type === 'member_extra_usage_enabled').map((e) => e.payload)).toContainEqual({ memberId: admin.id });
    });

    it('refuses a chat id still held by a member the document leaves as they are, naming the field; nothing changes', async () => {
      await put('merge-chat', enterpriseDoc());
      const doc = enterpriseDoc();
      const members = doc.members.map(({ slackUserId: _id, ...m }) => (m.externalId === 'bob' ? { ...m, slackUserId: 'U_OWNER' } : m));
      const before = await stored('merge-chat');
      const res = await put('merge-chat', { ...doc, name: 'Renamed', members });
      expect(res.status).toBe(409);
      expect(res.body.error).toMatchObject({ field: 'members.3.slackUserId', message: expect.stringContaining("still 'owner-1''s") });
      expect(await stored('merge-chat')).toEqual(before);
      expect((await db().organization.findUniqueOrThrow({ where: { slug: 'merge-chat' } })).name).toBe('Acme');
      // Moving it in the same document is fine.
      const moved = await put('merge-chat', { ...doc, members: doc.members.map((m) => (m.externalId === 'bob' ? { ...m, slackUserId: 'U_OWNER' } : m.externalId === 'owner-1' ? { ...m, slackUserId: null } : m)) });
      expect(moved.status).toBe(200);
      expect((await stored('merge-chat')).members.bob!.slackUserId).toBe('U_OWNER');
    });

    it('refuses auto-reload turned on without a threshold and amount stored or written, naming autoReload', async () => {
      const res = await put('merge-reload', teamDoc({ autoReload: { enabled: true } }));
      expect(res.status).toBe(422);
      expect(res.body.error.field).toBe('autoReload');
      expect(await db().organization.findUnique({ where: { slug: 'merge-reload' } })).toBeNull();
      // Stored from the first document, they need not be written again.
      expect((await put('merge-reload', teamDoc())).status).toBe(201);
      expect((await put('merge-reload', teamDoc({ autoReload: { enabled: true } }))).body.changed).toBe(false);
    });
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
