// What a decider sees about a request (RequestView.context, src/ledger/requests/requests.ts):
// the member's extra spend this month, their cap, and the org's room left, as exact
// decimal dollar strings read for the month of the instant the view is built.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRequest, requestView } from '../../../src/ledger/requests/requests.js';
import { BACKENDS, migrated, type Scratch } from '../../support/databases.js';
import { enterpriseDoc, harness, HAIKU, teamDoc, usageOfCents, type Harness } from '../../support/fixtures.js';

const NOW = new Date('2026-11-15T12:00:00Z');

describe.each(BACKENDS)('request context for deciders on $kind', ({ open }) => {
  let scratch: Scratch;
  let h: Harness;
  beforeAll(async () => {
    scratch = await migrated(open);
    h = await harness(scratch.db.prisma, NOW);
  });
  afterAll(async () => {
    await h?.close();
    await scratch?.dispose();
  });
  const db = () => scratch.db.prisma;

  async function ask(orgId: string, externalId: string) {
    const member = await db().member.findUniqueOrThrow({ where: { orgId_externalId: { orgId, externalId } } });
    return openRequest(db(), { orgId, memberId: member.id, workflowId: `wf-${orgId}-${externalId}`, runId: `run-${orgId}-${externalId}`, requestedAt: NOW, note: null });
  }

  it("shows the member's month so far, their cap and what the org has left", async () => {
    const { orgId } = await h.provision('ctx-ent', enterpriseDoc());
    const key = await h.issueKey('ctx-ent');
    // $1.00 included per window; $2.335 used: $1.335 of it extra (exact, not rounded).
    for (const [i, cents] of [100, 133.5].entries()) {
      const res = await h.call('POST', '/v1/usage/record', { token: key, body: { requestId: `r-${i}`, member: 'alice', model: HAIKU, usage: usageOfCents(cents) } });
      expect(res.status).toBe(200);
    }
    const res = await h.call('POST', '/v1/usage/record', { token: key, body: { requestId: 'r-bob', member: 'bob', model: HAIKU, usage: usageOfCents(400) } });
    expect(res.status).toBe(200);
    const alice = await requestView(db(), await ask(orgId, 'alice'), NOW);
    expect(alice.context).toEqual({ monthToDateExtra: '1.335', cap: '50.00', orgRemaining: '997.665', extraUsage: true }); // Bob's $1.00 counts too
    // Bob (premium: $3.00 included) spent $1.00 extra and has no cap of his own.
    const bob = await requestView(db(), await ask(orgId, 'bob'), NOW);
    expect(bob.context).toEqual({ monthToDateExtra: '1.00', cap: null, orgRemaining: '997.665', extraUsage: true });
    // Next month (Paris) starts from nothing.
    const december = await requestView(db(), alice.requestId, new Date('2026-11-30T23:30:00Z'));
    expect(december.context).toEqual({ monthToDateExtra: '0.00', cap: '50.00', orgRemaining: '1000.00', extraUsage: true });
  });

  it('says no org cap as null, and never a negative remainder', async () => {
    const { orgId } = await h.provision('ctx-team', teamDoc());
    const view = await requestView(db(), await ask(orgId, 'alice'), NOW);
    expect(view.context).toEqual({ monthToDateExtra: '0.00', cap: null, orgRemaining: null, extraUsage: true });

    await h.provision('ctx-over', enterpriseDoc({ extraUsage: { enabled: true, scope: 'all_members', orgMonthlyCap: '0.50', tierCaps: { standard: null, premium: null } } }));
    const over = await db().organization.findUniqueOrThrow({ where: { slug: 'ctx-over' } });
    const member = await db().member.findUniqueOrThrow({ where: { orgId_externalId: { orgId: over.id, externalId: 'alice' } } });
    // Spend past the cap (a record is kept even when it passes a cap).
    await db().monthlySpend.create({ data: { orgId: over.id, period: '2026-11', scope: 'org', subject: 'org', extraNanos: 700_000_000n } });
    await db().monthlySpend.create({ data: { orgId: over.id, period: '2026-11', scope: 'member', subject: member.id, extraNanos: 700_000_000n } });
    const capped = await requestView(db(), await ask(over.id, 'alice'), NOW);
    expect(capped.context).toEqual({ monthToDateExtra: '0.70', cap: '50.00', orgRemaining: '0.00', extraUsage: true });
  });
});
