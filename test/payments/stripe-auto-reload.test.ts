// Auto-reload end to end with Stripe: the real worker on a Temporal dev server, the
// real outbox relay and level-triggered episode, the Stripe provider on the real
// `stripe` SDK against the stand-in, whose events reach our webhook signed. The
// card an owner saved through Checkout is charged off-session once; a declined card
// ends with owners told the bank's reason and a payment link in the notice.
import { WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordUsage } from '../../src/ledger/metering/record.js';
import { setAutoReload } from '../../src/ledger/settings/settings.js';
import { withPaymentLinks } from '../../src/payments/payment-links.js';
import { stripePurchases } from '../../src/payments/purchases.js';
import { stripePayments } from '../../src/payments/stripe.js';
import { requestService } from '../../src/services/requests.js';
import { teamAutoReloadId, type AutoReloadOptions } from '../../src/temporal/auto-reload.js';
import { orgSlugOf } from '../../src/temporal/names.js';
import { startOutboxRelay, type OutboxRelay } from '../../src/temporal/outbox-relay.js';
import { outboxRoutes } from '../../src/temporal/outbox-routes.js';
import type { TeamAutoReloadResult } from '../../workflows/team-auto-reload.js';
import { BACKENDS, migrated, type Scratch } from '../support/databases.js';
import { HAIKU, usageOfCents } from '../support/fixtures.js';
import { recordingNotifier, type RecordingNotifier } from '../support/recording-notifier.js';
import { devServerEnv, testWorker } from '../support/temporal.js';
import { eventually, PUBLIC_URL, stripeWorld, type StripeWorld } from './stripe-fixture.js';

const USD = 1_000_000_000n;
const DAY = 24 * 3600_000;
/** A round is 2 charge attempts; 2 rounds per episode, a short back-off. */
const FAST: AutoReloadOptions = { maximumAttempts: 2, initialIntervalMs: 50, rounds: 2, backoffMs: 300 };

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await devServerEnv();
});
afterAll(async () => {
  await env?.teardown();
});

describe.each(BACKENDS)('auto-reload through Stripe on $kind', ({ open }) => {
  let scratch: Scratch;
  let w: StripeWorld;
  let notifier: RecordingNotifier;
  let relay: OutboxRelay;
  let stopWorker: () => Promise<void>;
  beforeAll(async () => {
    scratch = await migrated(open);
    const db = scratch.db.prisma;
    w = await stripeWorld(db);
    notifier = recordingNotifier();
    const purchases = stripePurchases(db, w.stripe, { publicUrl: PUBLIC_URL });
    const worker = await testWorker(env, {
      db,
      notifier: withPaymentLinks(notifier, { db, purchases, log: () => {} }),
      payments: stripePayments(db, w.stripe, { waitMs: 10_000, pollMs: 50 }),
      now: () => new Date(),
    });
    stopWorker = () => worker.stop();
    const requests = requestService({ db, client: env.client, taskQueue: worker.taskQueue, timings: { remindAfterMs: DAY, expireAfterMs: 7 * DAY }, now: () => new Date() });
    relay = startOutboxRelay({ db, client: env.client, taskQueue: worker.taskQueue, requests }, outboxRoutes({ autoReload: FAST }), { intervalMs: 3_600_000, log: () => {} });
  });
  afterAll(async () => {
    await relay?.stop();
    await stopWorker?.();
    await w?.close();
    await scratch?.dispose();
  });

  const db = () => scratch.db.prisma;
  let r = 0;
  const spend = (orgId: string, cents: number) => recordUsage(db(), { orgId, requestId: `r-${++r}`, member: 'alice', model: HAIKU, usage: usageOfCents(cents) });
  const balanceOf = async (orgId: string) => (await db().organization.findUniqueOrThrow({ where: { id: orgId } })).balanceNanos;
  const awaited = new Set<string>();
  /** Delivers the outbox and waits for each episode run it started, until nothing is left. */
  async function settle(orgId: string): Promise<TeamAutoReloadResult[]> {
    const results: TeamAutoReloadResult[] = [];
    for (let i = 0; i < 20; i++) {
      const published = await relay.drain();
      let run;
      try {
        run = await env.client.workflow.getHandle(teamAutoReloadId(await orgSlugOf(db(), orgId))).describe();
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        run = null;
      }
      if (run && !awaited.has(run.runId)) {
        awaited.add(run.runId);
        results.push(await env.client.workflow.getHandle(run.workflowId, run.runId).result());
        continue;
      }
      if (published === 0 && run?.status.name !== 'RUNNING') return results;
    }
    throw new Error('the org never settled');
  }
  /** A team org whose owner bought $20 through Checkout with `card`; auto-reload $50 at $10. */
  async function paidTeam(card: string) {
    const team = await w.team();
    const started = await team.as('owner-1').post('/v1/settings/balance/purchases', { amount: '20.00', idempotencyKey: 'first' });
    const { completed } = w.standIn.payCheckout(/cs_test_\w+/.exec(started.body.checkoutUrl)![0], card);
    expect((await w.deliver(completed)).status).toBe(200);
    const org = await db().organization.findUniqueOrThrow({ where: { id: team.orgId } });
    const owner = await db().member.findFirstOrThrow({ where: { orgId: team.orgId, externalId: 'owner-1' } });
    await setAutoReload(db(), org, owner, { enabled: true, thresholdNanos: 10n * USD, amountNanos: 50n * USD });
    await spend(team.orgId, 100); // Alice's included $1
    return team;
  }
  const intentsOf = (orgId: string) => [...w.standIn.intents.values()].filter((i) => i.metadata.orgId === orgId && i.off_session);

  it('charges the saved card off-session once and credits the reload once Stripe confirms it', async () => {
    const team = await paidTeam('pm_card_visa');
    expect(await balanceOf(team.orgId)).toBe(20n * USD);
    await spend(team.orgId, 1500); // $20 -> $5
    const [episode, ...more] = await settle(team.orgId);
    expect(more).toEqual([]);
    expect(episode).toMatchObject({ outcome: 'above_threshold', reloads: 1 });
    expect(await balanceOf(team.orgId)).toBe(55n * USD);
    const intents = intentsOf(team.orgId);
    expect(intents).toHaveLength(1);
    expect(intents[0]).toMatchObject({ amount: 5000, payment_method: 'pm_card_visa', status: 'succeeded' });
    expect((await db().stripePaymentIntent.findUniqueOrThrow({ where: { intentId: intents[0]!.id } })).status).toBe('succeeded');
    expect(await db().balanceEntry.count({ where: { orgId: team.orgId, kind: 'reload' } })).toBe(1);
  }, 120_000);

  it('tells owners the decline reason, with a payment link, and credits nothing', async () => {
    const team = await paidTeam('pm_card_low');
    w.standIn.declining.set('pm_card_low', 'insufficient_funds');
    await spend(team.orgId, 1500); // $20 -> $5
    const episodes = await settle(team.orgId);
    expect(episodes.at(-1)).toMatchObject({ outcome: 'failed', reloads: 0, lastError: expect.stringContaining('insufficient funds') });
    expect(await balanceOf(team.orgId)).toBe(5n * USD);
    expect(intentsOf(team.orgId).every((i) => i.status === 'requires_payment_method')).toBe(true);
    // Owners are told by a workflow of its own: wait for it (bounded).
    const failed = await eventually(async () => notifier.of('alert').filter((a) => a.alert.orgId === team.orgId && a.alert.kind === 'reload_failed'), (l) => l.length >= 1, 'the reload_failed notice', 30_000);
    expect(failed[0]!.alert.text).toContain('insufficient funds');
    const link = Object.entries(failed[0]!.alert.facts).find(([k]) => k.startsWith('Pay $50.00'));
    expect(link?.[1]).toMatch(new RegExp(`^${w.standIn.base}/c/pay/cs_test_`));
  }, 120_000);
});
