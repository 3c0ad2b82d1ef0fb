// A request to raise a limit made moot by an owner's change is closed, not left open,
// end to end: the real Temporal dev server and worker (its notifier is the real Bolt
// app's), the outbox relay routing the owner's change: Alice asks to raise her $50.00
// limit, an owner sets her limit to unlimited in the settings, her request is closed
// and she reads why in Slack.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordUsage } from '../../../src/ledger/metering/record.js';
import { setMemberCap } from '../../../src/ledger/settings/settings.js';
import { ledgerOnlyPayments } from '../../../src/payments/port.js';
import { requestService } from '../../../src/services/requests.js';
import { startOutboxRelay } from '../../../src/temporal/outbox-relay.js';
import { outboxRoutes } from '../../../src/temporal/outbox-routes.js';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import { HAIKU, usageOfCents } from '../../support/fixtures.js';
import { provision } from '../../support/ledger.js';
import { slackEnterpriseDoc, startSlackHarness, USERS, type SlackHarness } from '../../support/slack-harness.js';
import { devServerEnv, testWorker } from '../../support/temporal.js';

const DAY = 86_400_000;
let scratch: Scratch;
let env: TestWorkflowEnvironment;
let worker: Awaited<ReturnType<typeof testWorker>>;
let h: SlackHarness;
let orgId: string;
let requests: ReturnType<typeof requestService>;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  const db = scratch.db.prisma;
  env = await devServerEnv();
  orgId = (await provision(db, 'acme', slackEnterpriseDoc())).orgId;
  await recordUsage(db, { orgId, requestId: 'alice-past-cap', member: 'alice', model: HAIKU, usage: usageOfCents(5200), at: new Date() }, new Date());
  const taskQueue = `slack-raise-moot-${process.pid}`;
  requests = requestService({ db, client: env.client, taskQueue, timings: { remindAfterMs: DAY, expireAfterMs: 7 * DAY }, now: () => new Date() });
  h = await startSlackHarness(db, requests);
  worker = await testWorker(env, { db, notifier: h.slack.notifier, payments: ledgerOnlyPayments(db), now: () => new Date() }, { taskQueue });
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await h?.close();
  await env?.teardown();
  await scratch?.dispose();
});

describe('a raise request made moot', () => {
  it('is closed when an owner sets the limit to unlimited, and the requester is told why', async () => {
    const db = scratch.db.prisma;
    const alice = await db.member.findFirstOrThrow({ where: { orgId, externalId: 'alice' } });
    await requests.askRaise(orgId, alice.id, { note: null, amount: '80.00' });
    await h.api.waitFor('chat.postMessage', (c) => JSON.stringify(c.args.blocks).includes('Request to raise a limit'));
    const pending = await db.extraUsageRequest.findFirstOrThrow({ where: { orgId, status: 'pending' } });

    const relay = startOutboxRelay({ db, client: env.client, taskQueue: worker.taskQueue, requests }, outboxRoutes(), { intervalMs: 100_000 });
    try {
      const org = await db.organization.findUniqueOrThrow({ where: { id: orgId } });
      const owner = await db.member.findFirstOrThrow({ where: { orgId, externalId: 'owner-1' } });
      await setMemberCap(db, org, owner, 'alice', null);
      await relay.drain();
      const [told] = await h.api.waitFor('chat.postMessage', (c) => c.response.channel === `D_${USERS.alice}` && JSON.stringify(c.args.blocks).includes('was closed'), 1, 60_000);
      expect(JSON.stringify(told!.args.blocks)).toContain('Your request to raise your limit was closed: an owner removed the limit (it is now unlimited), so it is no longer needed.');
    } finally {
      await relay.stop();
    }
    for (let i = 0; i < 200 && (await db.extraUsageRequest.findUniqueOrThrow({ where: { id: pending.id } })).status === 'pending'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await db.extraUsageRequest.findUniqueOrThrow({ where: { id: pending.id } })).toMatchObject({ status: 'cancelled', reason: 'limit_removed', openForMember: null });
    h.expectWithinLimits();
  }, 120_000);
});
