// "Ask to raise my limit" in Teams, end to end with the real Temporal dev server, the
// real worker (its notifier is the Teams bot's) and the real CloudAdapter over HTTP: a
// member stopped by their own cap sees the amount pre-filled on their usage card, a
// raise above the org's cap comes back under its input (nothing stored), then "Request
// sent to owners"; only the owner gets the request card; an admin's view reads that an
// owner must decide, and an admin's invoke is refused; the owner's "Increase limit"
// raises the cap and the member is told.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordUsage } from '../../../src/ledger/metering/record.js';
import { ledgerOnlyPayments } from '../../../src/payments/port.js';
import { requestService } from '../../../src/services/requests.js';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import { HAIKU, usageOfCents } from '../../support/fixtures.js';
import { provision } from '../../support/ledger.js';
import { personalConversationId } from '../../support/teams-connector.js';
import { buttonData, buttonsOf, startTeamsHarness, teamsEnterpriseDoc, textOf, USERS, type TeamsHarness } from '../../support/teams-harness.js';
import { devServerEnv, testWorker } from '../../support/temporal.js';

const DAY = 86_400_000;
let scratch: Scratch;
let env: TestWorkflowEnvironment;
let worker: Awaited<ReturnType<typeof testWorker>>;
let h: TeamsHarness;
let orgId: string;
const dm = (u: { aadObjectId: string }) => personalConversationId(u.aadObjectId);

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  const db = scratch.db.prisma;
  env = await devServerEnv();
  const o = await provision(db, 'acme', teamsEnterpriseDoc());
  orgId = o.orgId;
  // Alice (cap $50.00): $1.00 included, then $51.00 extra, past her cap.
  await recordUsage(db, { orgId, requestId: 'alice-past-cap', member: 'alice', model: HAIKU, usage: usageOfCents(5200), at: new Date() }, new Date());
  const taskQueue = `teams-raise-${process.pid}`;
  const requests = requestService({ db, client: env.client, taskQueue, timings: { remindAfterMs: DAY, expireAfterMs: 7 * DAY }, now: () => new Date() });
  h = await startTeamsHarness(db, requests);
  worker = await testWorker(env, { db, notifier: h.bot.notifier, payments: ledgerOnlyPayments(db), now: () => new Date() }, { taskQueue });
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await h?.close();
  await env?.teardown();
  await scratch?.dispose();
});

describe('asking to raise a limit in Teams', () => {
  it('a member stopped by their cap asks owners from the usage card; the owner raises it', async () => {
    const db = scratch.db.prisma;
    await h.message(USERS.owner, 'hi');
    await h.message(USERS.admin, 'hi');
    await h.message(USERS.alice, 'usage');
    const [usage] = await h.connector.waitFor('send', (c) => c.conversationId === dm(USERS.alice));
    const usageCard = h.connector.cardOf(usage!);
    expect(buttonsOf(usageCard)).toContain('Ask to raise my limit');
    expect(textOf(usageCard)).toContain('To go on sooner, ask to raise your limit');
    const suggested = /"id":"raiseAmount"[^}]*"value":"(\d+\.00)"/.exec(JSON.stringify(usageCard))?.[1];
    expect(suggested).toBeDefined();
    expect(Number(suggested)).toBeGreaterThan(50);

    const ask = buttonData(usageCard, 'Ask to raise my limit');
    const tooHigh = h.cardOf(await h.invoke(USERS.alice, ask.verb, { ...ask.data, raiseAmount: '1500' }));
    expect(textOf(tooHigh)).toContain("above the organisation's monthly limit of $1,000.00");
    expect(JSON.stringify(tooHigh)).toContain('"value":"1500"');
    expect(await db.extraUsageRequest.count({ where: { orgId } })).toBe(0);

    const asked = h.cardOf(await h.invoke(USERS.alice, ask.verb, { ...ask.data, raiseAmount: suggested!, requestNote: 'launch week' }));
    expect(buttonsOf(asked)).toContain('Request sent to owners');
    expect(buttonsOf(asked)).not.toContain('Ask to raise my limit');
    const again = h.cardOf(await h.invoke(USERS.alice, ask.verb, { ...ask.data, raiseAmount: suggested! }));
    expect(textOf(again)).toContain('already have an open request');
    const [request, ...others] = await db.extraUsageRequest.findMany({ where: { orgId } });
    expect(others).toEqual([]);
    expect(request).toMatchObject({ raiseScope: 'member', note: 'launch week' });

    // Only the owner gets the card (only owners change caps).
    const [sent] = await h.connector.waitFor('send', (c) => JSON.stringify(h.connector.cardOf(c) ?? {}).includes(request!.id));
    expect(sent!.conversationId).toBe(dm(USERS.owner));
    const refresh = h.connector.cardOf(sent!).refresh.action;
    const adminView = h.cardOf(await h.invoke(USERS.admin, refresh.verb, refresh.data, 'automatic'));
    expect(textOf(adminView)).toContain('an owner must decide this request');
    expect(buttonsOf(adminView)).toEqual([]);
    const ownerView = h.cardOf(await h.invoke(USERS.owner, refresh.verb, refresh.data, 'automatic'));
    expect(buttonsOf(ownerView)).toEqual(['Increase limit…', 'Increase limit', 'Deny…', 'Deny request']);
    expect(JSON.stringify(ownerView)).toContain(`"value":"${suggested}"`);

    // An admin invoking the owner's action is refused in words; nothing changes.
    const increase = buttonData(ownerView, 'Increase limit');
    const byAdmin = h.cardOf(await h.invoke(USERS.admin, increase.verb, { ...increase.data, [`amount:${request!.id}`]: suggested! }));
    expect(textOf(byAdmin)).toContain('only an owner can change a limit');
    expect((await db.member.findFirstOrThrow({ where: { orgId, externalId: 'alice' } })).extraUsageCapNanos).toBe(50_000_000_000n);

    const done = h.cardOf(await h.invoke(USERS.owner, increase.verb, { ...increase.data, [`amount:${request!.id}`]: suggested! }));
    expect(textOf(done)).toContain(`Done: the limit is now $${suggested} a month. Alice is told.`);
    expect((await db.member.findFirstOrThrow({ where: { orgId, externalId: 'alice' } })).extraUsageCapNanos).toBe(BigInt(Number(suggested)) * 1_000_000_000n);
    await h.connector.waitFor('send', (c) => c.conversationId === dm(USERS.alice) && textOf(h.connector.cardOf(c)).includes('Your request was approved'));
  }, 120_000);
});
