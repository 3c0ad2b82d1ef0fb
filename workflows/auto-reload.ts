// One Team auto-reload per threshold crossing (workflow id `auto-reload/<orgId>/<eventId>`).
// The payment is retried with backoff; once it went through, the credit is retried
// until it lands (the money was taken). If the payment never goes through, owners
// are told and extra usage stops at zero balance by itself (the ledger refuses).
import { ActivityFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { AutoReloadActivities, ReloadPlan } from '../src/activities/auto-reload.js';

export interface AutoReloadInput {
  orgId: string;
  /** The outbox event of the crossing: it names the reload's idempotency key. */
  triggerEventId: string;
  /** Payment attempts in all (default 5). */
  maximumAttempts?: number;
  /** First wait between payment attempts, doubling each time (default 30 s). */
  initialIntervalMs?: number;
}

export type AutoReloadResult =
  | { outcome: 'skipped'; reason: Extract<ReloadPlan, { action: 'skip' }>['reason'] }
  | { outcome: 'limit_reached'; period: string; limit: number | string }
  | { outcome: 'reloaded'; amountNanos: string; balanceAfterNanos: string }
  | { outcome: 'failed'; amountNanos: string; error: string };

export const AUTO_RELOAD_DEFAULTS = { maximumAttempts: 5, initialIntervalMs: 30_000 } as const;

const steady = proxyActivities<AutoReloadActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

export async function autoReload(input: AutoReloadInput): Promise<AutoReloadResult> {
  const eventId = workflowInfo().workflowId;
  const plan = await steady.planAutoReload({ orgId: input.orgId, triggerEventId: input.triggerEventId });
  if (plan.action === 'skip') return { outcome: 'skipped', reason: plan.reason };
  if (plan.action === 'limit_reached') {
    await steady.alertAutoReload({ orgId: input.orgId, eventId, report: { type: 'reload_limit_reached', period: plan.period, limit: plan.limit } });
    return { outcome: 'limit_reached', period: plan.period, limit: plan.limit };
  }

  const step = { orgId: input.orgId, amountNanos: plan.amountNanos, idempotencyKey: plan.idempotencyKey };
  const payment = proxyActivities<AutoReloadActivities>({
    startToCloseTimeout: '1 minute',
    retry: {
      maximumAttempts: input.maximumAttempts ?? AUTO_RELOAD_DEFAULTS.maximumAttempts,
      initialInterval: input.initialIntervalMs ?? AUTO_RELOAD_DEFAULTS.initialIntervalMs,
      backoffCoefficient: 2,
    },
  });
  try {
    await payment.chargeAutoReload(step);
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    const error = innermostMessage(err);
    await steady.alertAutoReload({ orgId: input.orgId, eventId, report: { type: 'reload_failed', triggerEventId: input.triggerEventId, amountNanos: plan.amountNanos, error } });
    return { outcome: 'failed', amountNanos: plan.amountNanos, error };
  }
  const { balanceAfterNanos } = await steady.creditAutoReload(step);
  await steady.alertAutoReload({ orgId: input.orgId, eventId, balanceAfterNanos, report: { type: 'reload_succeeded', triggerEventId: input.triggerEventId, amountNanos: plan.amountNanos } });
  return { outcome: 'reloaded', amountNanos: plan.amountNanos, balanceAfterNanos };
}

function innermostMessage(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e?.cause) e = e.cause as typeof e;
  return e?.message ?? String(err);
}
