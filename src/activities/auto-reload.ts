// Team auto-reload, in idempotent steps: plan (re-read the org, decide), charge (the
// payment port, retried by the workflow's policy), credit (the ledger), and for the
// per-org episode workflow, finish / release (clear the episode marker). Charge and
// credit share one idempotency key per reload (org, episode, round), so any number of
// retries charges and credits once. planAutoReload serves the per-crossing workflow of
// earlier releases (workflows/auto-reload.ts), kept for runs still in flight.
import { ApplicationFailure } from '@temporalio/activity';
import type { ReloadOutcome } from '../domain/alerts.js';
import { nextEpisodeStep, reloadFits, type EpisodeStep } from '../domain/balance-watch.js';
import { periodOf, periodStart } from '../domain/periods.js';
import { creditBalance } from '../ledger/settings/balance.js';
import { LedgerError } from '../ledger/errors.js';
import { PaymentDeclined, PaymentPending } from '../payments/port.js';
import { alertActivities, type DeliveryOutcome } from './alerts.js';
import type { ActivityDeps } from './deps.js';

export const AUTO_RELOAD_ACTOR = 'auto-reload';
/** Failure types of chargeAutoReload the workflows tell apart. */
export const PAYMENT_DECLINED = 'PaymentDeclined';
export const PAYMENT_PENDING = 'PaymentPending';
const KEY_PREFIX = 'auto-reload/';
export const autoReloadKey = (orgId: string, triggerEventId: string) => `${KEY_PREFIX}${orgId}/${triggerEventId}`;

export type ReloadPlan =
  | { action: 'skip'; reason: 'not_team' | 'disabled' | 'above_threshold' }
  /** `limit`: the monthly limit in nano-dollars (a decimal string). */
  | { action: 'limit_reached'; period: string; limit: string }
  | { action: 'reload'; amountNanos: string; idempotencyKey: string };

export interface ReloadStep {
  orgId: string;
  amountNanos: string;
  idempotencyKey: string;
}

/** An outcome to tell owners; the balance is read when the alert is made. */
export type ReloadReport =
  | Omit<Extract<ReloadOutcome, { type: 'reload_succeeded' }>, 'balanceNanos'>
  | Omit<Extract<ReloadOutcome, { type: 'reload_failed' }>, 'balanceNanos'>
  | Omit<Extract<ReloadOutcome, { type: 'reload_limit_reached' }>, 'balanceNanos'>;

export function autoReloadActivities(deps: ActivityDeps) {
  const { db, payments } = deps;
  const { deliverAlert } = alertActivities(deps);

  async function planAutoReload(input: { orgId: string; triggerEventId: string }): Promise<ReloadPlan> {
    const idempotencyKey = autoReloadKey(input.orgId, input.triggerEventId);
    // Already credited (the workflow ran before): finish the same reload, whatever the balance.
    const done = await db.balanceEntry.findUnique({ where: { orgId_idempotencyKey: { orgId: input.orgId, idempotencyKey } } });
    if (done) return { action: 'reload', amountNanos: String(done.amountNanos), idempotencyKey };

    const org = await db.organization.findUniqueOrThrow({ where: { id: input.orgId } });
    if (org.plan !== 'team') return { action: 'skip', reason: 'not_team' };
    if (!org.autoReloadEnabled || org.autoReloadAmountNanos === null || org.autoReloadThresholdNanos === null || org.autoReloadAmountNanos <= 0n) {
      return { action: 'skip', reason: 'disabled' };
    }
    // A purchase (or another reload) may have topped it up since the crossing.
    if (org.balanceNanos > org.autoReloadThresholdNanos) return { action: 'skip', reason: 'above_threshold' };
    if (org.autoReloadMonthlyMaxNanos !== null) {
      const period = periodOf(deps.now(), org.timezone);
      const reloaded = await reloadedThisPeriod(org.id, org.timezone);
      if (!reloadFits(org.autoReloadMonthlyMaxNanos, reloaded, org.autoReloadAmountNanos)) return { action: 'limit_reached', period, limit: String(org.autoReloadMonthlyMaxNanos) };
    }
    return { action: 'reload', amountNanos: String(org.autoReloadAmountNanos), idempotencyKey };
  }

  /** What auto-reloads credited in the org's current month (the monthly limit adds these up). */
  async function reloadedThisPeriod(orgId: string, timezone: string): Promise<bigint> {
    const period = periodOf(deps.now(), timezone);
    const sum = await db.balanceEntry.aggregate({ _sum: { amountNanos: true }, where: { orgId, kind: 'reload', idempotencyKey: { startsWith: KEY_PREFIX }, createdAt: { gte: periodStart(period, timezone) } } });
    return sum._sum.amountNanos ?? 0n;
  }

  /** The next step of the org's reload episode (workflows/team-auto-reload.ts), from the stored balance and settings. */
  async function planReloadEpisode(input: { orgId: string }): Promise<EpisodeStep> {
    const org = await db.organization.findUniqueOrThrow({ where: { id: input.orgId } });
    const reloaded = org.autoReloadMonthlyMaxNanos === null ? 0n : await reloadedThisPeriod(org.id, org.timezone);
    return nextEpisodeStep(org, reloaded, deps.now());
  }

  /**
   * Ends the episode only if no reload is wanted now: one statement, under the row lock
   * every balance change takes, so a record that took the balance down after the last
   * plan is seen here (false: plan again) or finds the marker cleared and opens the next
   * episode itself (the balance-watch trigger).
   */
  async function finishReloadEpisode(input: { orgId: string }): Promise<boolean> {
    const rows = await db.$queryRaw<{ id: string }[]>`
      UPDATE "Organization" SET "autoReloadWantedAt" = NULL
      WHERE "id" = ${input.orgId} AND NOT (
        "plan" = 'team' AND "autoReloadEnabled" AND "autoReloadThresholdNanos" IS NOT NULL AND COALESCE("autoReloadAmountNanos", 0) > 0
        AND "balanceNanos" - "heldBalanceNanos" <= "autoReloadThresholdNanos")
      RETURNING "id"`;
    return rows.length === 1;
  }

  /** Gives the episode up (payment rounds used up): the next balance change at or below the threshold opens a new one. */
  async function releaseReloadEpisode(input: { orgId: string }): Promise<void> {
    await db.$executeRaw`UPDATE "Organization" SET "autoReloadWantedAt" = NULL WHERE "id" = ${input.orgId}`;
  }

  async function chargeAutoReload(step: ReloadStep): Promise<{ chargeId: string }> {
    try {
      return await payments.charge({ orgId: step.orgId, amountNanos: BigInt(step.amountNanos), idempotencyKey: step.idempotencyKey, description: 'Auto-reload of the prepaid balance' });
    } catch (err) {
      // A decline is final for this key (retrying it is refused the same way); its reason is what owners read.
      if (err instanceof PaymentDeclined) throw ApplicationFailure.nonRetryable(err.reason, PAYMENT_DECLINED);
      // Sent, not confirmed yet: only the same key may be tried again, or the card could be charged twice.
      if (err instanceof PaymentPending) throw ApplicationFailure.retryable(err.message, PAYMENT_PENDING);
      throw err;
    }
  }

  async function creditAutoReload(step: ReloadStep): Promise<{ balanceAfterNanos: string }> {
    const org = await db.organization.findUniqueOrThrow({ where: { id: step.orgId } });
    try {
      const { entry } = await creditBalance(db, org, { kind: 'reload', amountNanos: BigInt(step.amountNanos), idempotencyKey: step.idempotencyKey, actor: AUTO_RELOAD_ACTOR });
      return { balanceAfterNanos: String(entry.balanceAfterNanos) };
    } catch (err) {
      // A refusal (the key was used for another amount) will not change on retry.
      if (err instanceof LedgerError) throw ApplicationFailure.nonRetryable(err.message, err.code);
      throw err;
    }
  }

  async function alertAutoReload(input: { orgId: string; eventId: string; report: ReloadReport; balanceAfterNanos?: string }): Promise<DeliveryOutcome> {
    let balanceNanos = input.balanceAfterNanos;
    if (balanceNanos === undefined) {
      const org = await db.organization.findUniqueOrThrow({ where: { id: input.orgId } });
      balanceNanos = String(org.balanceNanos);
    }
    return deliverAlert({ orgId: input.orgId, eventId: input.eventId, event: { ...input.report, balanceNanos } as ReloadOutcome });
  }

  return { planAutoReload, planReloadEpisode, finishReloadEpisode, releaseReloadEpisode, chargeAutoReload, creditAutoReload, alertAutoReload };
}

export type AutoReloadActivities = ReturnType<typeof autoReloadActivities>;
