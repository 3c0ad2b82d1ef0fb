// A decision on a request from Claude, the activity run straight against the stand-in
// through the real SDK: attempts that overlap (one Temporal timed out that keeps
// running, its retry) send approve once; the later attempt only reads and records.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anthropicActivities } from '../../src/activities/anthropic.js';
import type { ActivityDeps } from '../../src/activities/deps.js';
import { adminClient } from '../../src/anthropic/client.js';
import { connectOrg } from '../../src/anthropic/connection.js';
import { listAllUsers, mirrorMembers } from '../../src/anthropic/members.js';
import { summaryOf } from '../../src/anthropic/increase-requests.js';
import { mirrorEffectiveLimits } from '../../src/anthropic/effective-limits.js';
import { openRequest } from '../../src/ledger/requests/requests.js';
import { secretBox } from '../../src/secrets/secret-box.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc } from '../support/fixtures.js';
import { provision } from '../support/ledger.js';
import { startAdminApi, type AdminApiStandIn } from '../support/anthropic-admin-api.js';

const KEY = 'sk-ant-admin01-decisions-test-key-0123456789';
let scratch: Scratch;
let api: AdminApiStandIn;
let orgId: string;
let acts: ReturnType<typeof anthropicActivities>;

beforeAll(async () => {
  [scratch, api] = await Promise.all([migrated(scratchPglite), startAdminApi({ key: KEY })]);
  const db = scratch.db.prisma;
  const doc = enterpriseDoc();
  doc.members = doc.members.map((m) => ({ ...m, email: `${m.externalId}@acme.example` }));
  orgId = (await provision(db, 'acme', doc)).orgId;
  api.addUser({ id: 'user_admin', email: 'admin-1@acme.example', name: 'Adam Admin', role: 'admin' });
  api.addUser({ id: 'user_alice', email: 'alice@acme.example', name: 'Alice', role: 'user' });
  const anthropic = { box: secretBox(randomBytes(32)), baseUrl: api.url };
  await connectOrg(db, anthropic, orgId, KEY, 'operator');
  await mirrorMembers(db, orgId, await listAllUsers(adminClient(KEY, { baseUrl: api.url })), new Date());
  acts = anthropicActivities({ db, now: () => new Date(), anthropic } as unknown as ActivityDeps);
});
afterAll(async () => {
  await api?.close();
  await scratch?.dispose();
});

async function pendingRequest(): Promise<{ id: string; anthropicId: string }> {
  const db = scratch.db.prisma;
  const asked = api.addRequest('user_alice', { period: 'monthly', limitCents: '5000', spentCents: '5000' });
  const alice = await db.member.findFirstOrThrow({ where: { orgId, externalId: 'alice' } });
  const id = await openRequest(db, { orgId, memberId: alice.id, workflowId: `request/acme/anthropic/${asked.id}`, runId: randomUUID(), requestedAt: new Date(), note: null, anthropic: { requestId: asked.id, period: 'monthly', summary: { limit: '50.00', spent: '50.00', source: 'seat_tier', currency: 'USD' } } });
  return { id, anthropicId: asked.id };
}

async function until(what: () => boolean): Promise<void> {
  const end = Date.now() + 10_000;
  while (!what()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a decision on a request from Claude', () => {
  it('overlapping attempts send approve once: the second finds the first in flight, then reads it approved and records it', async () => {
    const db = scratch.db.prisma;
    const { id, anthropicId } = await pendingRequest();
    const input = { requestId: id, deciderRef: 'admin-1', decision: 'increase_limit' as const, amount: '75.00', period: 'monthly' as const };
    const release = api.holdNextWrite();
    // The first attempt's approve reaches Anthropic, its answer not back yet (Temporal timed the attempt out).
    const first = acts.decideAnthropicRequest(input);
    await until(() => api.approves().some((a) => a.id === anthropicId));
    // Its retry starts meanwhile: it must not approve again.
    const second = await acts.decideAnthropicRequest(input).then(() => 'decided', (err: Error) => err.message);
    expect(second).toContain('still being applied');
    release();
    expect((await first).status).toBe('approved');
    // A later retry reads it approved: recorded once, still one approve.
    expect((await acts.decideAnthropicRequest(input)).status).toBe('approved');
    expect(api.approves().filter((a) => a.id === anthropicId)).toEqual([{ id: anthropicId, body: { amount: '7500', period: 'monthly' } }]);
    expect(await db.auditEntry.count({ where: { orgId, action: 'request.decided', subject: { contains: id } } })).toBe(1);
  });

  it('an attempt that failed before sending frees its claim: the next one approves', async () => {
    const { id, anthropicId } = await pendingRequest();
    const input = { requestId: id, deciderRef: 'admin-1', decision: 'increase_limit' as const, amount: '60.00', period: 'monthly' as const };
    api.failNext(1, 503);
    await expect(acts.decideAnthropicRequest(input)).rejects.toThrow();
    expect((await acts.decideAnthropicRequest(input)).status).toBe('approved');
    expect(api.approves().filter((a) => a.id === anthropicId)).toHaveLength(1);
  });

  it('refuses an increase to $0.00 or not above the limit the member hit (same period), naming amount; nothing reaches Anthropic', async () => {
    const { id, anthropicId } = await pendingRequest(); // monthly limit $50.00
    for (const amount of ['0.00', '50.00', '20.00']) {
      await expect(acts.decideAnthropicRequest({ requestId: id, deciderRef: 'admin-1', decision: 'increase_limit', amount, period: 'monthly' })).rejects.toMatchObject({ type: 'invalid', message: expect.stringMatching(/amount must be above/) });
    }
    expect(api.approves().filter((a) => a.id === anthropicId)).toEqual([]);
    // Another period's limit is not the one they hit: $20.00 daily is a limit of its own.
    expect((await acts.decideAnthropicRequest({ requestId: id, deciderRef: 'admin-1', decision: 'increase_limit', amount: '20.00', period: 'daily' })).status).toBe('approved');
  });

  it('an organization billed in another currency than USD: never shown as dollars, and approve is refused in words', async () => {
    const db = scratch.db.prisma;
    const eur = { actor: { type: 'user_actor' as const, user_id: 'user_alice', name: 'Alice', email_address: 'alice@acme.example', deleted: false }, amount: '5000', currency: 'EUR', period: 'monthly' as const, period_to_date_spend: '5000', scope: { type: 'user' as const, user_id: 'user_alice' }, source: { type: 'user' as const, user_id: 'user_alice' }, spend_limit_id: 'spl_eur' };
    expect(summaryOf(eur)).toMatchObject({ limit: null, spent: null, currency: 'EUR' });
    await mirrorEffectiveLimits(db, orgId, [eur], new Date());
    expect(await db.anthropicEffectiveLimit.count({ where: { orgId, currency: 'EUR' } })).toBe(0);

    const { id, anthropicId } = await pendingRequest();
    api.requests.get(anthropicId)!.spend_summary!.currency = 'EUR';
    await expect(acts.decideAnthropicRequest({ requestId: id, deciderRef: 'admin-1', decision: 'increase_limit', amount: '80.00', period: 'monthly' })).rejects.toThrow(/billed in EUR.*claude\.ai/);
    expect(api.approves().filter((a) => a.id === anthropicId)).toEqual([]);
    expect(api.requests.get(anthropicId)!.status).toBe('pending');
    // Deny writes no amount: it goes through.
    expect((await acts.decideAnthropicRequest({ requestId: id, deciderRef: 'admin-1', decision: 'deny' })).status).toBe('denied');
  });
});
