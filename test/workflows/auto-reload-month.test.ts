// An auto-reload episode stopped by the monthly reload limit waits for the next month
// in the org's timezone and then reloads by itself, with nobody touching anything: the
// time-skipping server jumps to the month's end, and the activities' clock goes with it.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monthResetsAt } from '../../src/domain/periods.js';
import { creditBalance } from '../../src/ledger/settings/balance.js';
import { recordUsage } from '../../src/ledger/metering/record.js';
import { requestAutoReload, teamAutoReloadId } from '../../src/temporal/auto-reload.js';
import type { TeamAutoReloadResult } from '../../workflows/team-auto-reload.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { HAIKU, teamDoc, usageOfCents } from '../support/fixtures.js';
import { provision } from '../support/ledger.js';
import { flakyPayments } from '../support/payments.js';
import { recordingNotifier } from '../support/recording-notifier.js';
import { testWorker, timeSkippingEnv } from '../support/temporal.js';

const USD = 1_000_000_000n;
const TZ = 'America/Los_Angeles';

describe('auto-reload at the monthly limit', () => {
  let env: TestWorkflowEnvironment;
  let scratch: Scratch;
  beforeAll(async () => {
    env = await timeSkippingEnv();
    scratch = await migrated(scratchPglite);
  });
  afterAll(async () => {
    await env?.teardown();
    await scratch?.dispose();
  });

  const now = new Date();
  it.each([
    ['now', now],
    ['a minute before the local month ends', new Date(monthResetsAt(now, TZ).getTime() - 60_000)],
  ])('waits for the next local month, then reloads once without another trigger (clock: %s)', async (_, start) => {
    const db = scratch.db.prisma;
    const clock = { now: start };
    const notifier = recordingNotifier();
    const payments = flakyPayments(db);
    const worker = await testWorker(env, { db, notifier, payments: payments.provider, now: () => clock.now });
    try {
      const slug = `month-limit-${start.getTime()}`;
      const o = await provision(db, slug, teamDoc({ timezone: TZ, autoReload: { enabled: true, threshold: '10.00', amount: '50.00', monthlyLimit: 1 } } as never));
      const org = await db.organization.findUniqueOrThrow({ where: { id: o.orgId } });
      await creditBalance(db, org, { kind: 'purchase', amountNanos: 20n * USD, idempotencyKey: 'seed', actor: 'test' });
      // This month's one reload already happened.
      const { entry } = await creditBalance(db, org, { kind: 'reload', amountNanos: 50n * USD, idempotencyKey: `auto-reload/${o.orgId}/earlier/1`, actor: 'auto-reload' });
      // Dated by the test's clock, not the database's, so the test holds at any hour (a month's last minute too).
      await db.balanceEntry.update({ where: { id: entry.id }, data: { createdAt: clock.now } });
      await recordUsage(db, { orgId: o.orgId, requestId: 'included', member: 'alice', model: HAIKU, usage: usageOfCents(100) });
      await recordUsage(db, { orgId: o.orgId, requestId: 'big', member: 'alice', model: HAIKU, usage: usageOfCents(6_100) }); // $70 -> $9

      await requestAutoReload(env.client, worker.taskQueue, { id: o.orgId, slug }, { maximumAttempts: 2, initialIntervalMs: 50, rounds: 2, backoffMs: 300 });
      const limit = await notifier.waitFor('alert', 1, 30_000);
      expect(limit.map((a) => a.alert.kind)).toEqual(['reload_limit_reached']);
      expect(payments.calls.get(o.orgId)).toBeUndefined();

      // From the next local month on, the activities see the new month.
      clock.now = new Date(monthResetsAt(clock.now, TZ).getTime() + 60_000);
      const result = (await env.client.workflow.getHandle(teamAutoReloadId(slug)).result()) as TeamAutoReloadResult;
      expect(result).toEqual({ outcome: 'above_threshold', reloads: 1, failedRounds: 0, lastError: null });
      expect(payments.calls.get(o.orgId)).toBe(1);
      expect((await db.organization.findUniqueOrThrow({ where: { id: o.orgId } })).balanceNanos).toBe(59n * USD);
      await notifier.waitFor('alert', 2, 30_000);
      expect(notifier.of('alert').map((a) => a.alert.kind)).toEqual(['reload_limit_reached', 'reload_succeeded']);
    } finally {
      await worker.stop();
    }
  }, 120_000);
});
