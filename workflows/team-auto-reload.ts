// Team auto-reload, level-triggered: one workflow per org (id `auto-reload/<orgId>`),
// started or signalled (signalWithStart) whenever the balance-watch trigger sees the
// balance less holds at or below the threshold, and at service start. A second trigger
// while it runs is a signal to the same run, so exactly one reload is in flight per
// org. It reloads until the balance is above the threshold, the monthly limit is
// reached (it then waits for the next month, or for a settings change), or the payment
// rounds of the episode are used up.
//
// A failed round (the charge retried `maximumAttempts` times, or declined at once: a
// decline is final for its key) tells owners once per episode with the reason, then
// backs off (`backoffMs`, doubling) before the next round, under a new key; triggers
// during a back-off are noted, not acted on. After the last round's
// back-off the episode gives up and clears its marker: the next balance change at or
// below the threshold (a record, a purchase, a settings change) opens a new episode.
// A charge the processor took but has not confirmed (PaymentPending) is not a failure:
// it is tried again under the same key, waiting longer each time, before anything else,
// so the card is never charged twice for one reload.
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ActivityFailure, condition, continueAsNew, defineSignal, ParentClosePolicy, patched, proxyActivities, setHandler, sleep, startChild, workflowInfo } from '@temporalio/workflow';
import type { AutoReloadActivities, ReloadStep } from '../src/activities/auto-reload.js';
import type { AlertEvent } from '../src/domain/alerts.js';
import type { DeliverAlertInput } from '../src/activities/alerts.js';
import { ALERT_KIND, ORG_SLUG } from './search-attributes.js';

/** "Look again": the balance or the settings changed. Carries nothing; the workflow re-reads. */
export const reloadWanted = defineSignal('reloadWanted');

export interface TeamAutoReloadInput {
  orgId: string;
  /** The org's slug: names the episode's notices (`alert/<slug>/<kind>/…`). Absent in episodes started before. */
  orgSlug?: string;
  /** Charge attempts in one payment round (default 3). */
  maximumAttempts?: number;
  /** First wait between the attempts of a round, doubling (default 30 s). */
  initialIntervalMs?: number;
  /** Payment rounds per episode before it gives up (default 4). */
  rounds?: number;
  /** Wait after the first failed round, doubling after each further one (default 15 minutes). */
  backoffMs?: number;
  /** State carried over continue-as-new. */
  carried?: { episode?: string; round: number; failedRounds: number; reloads: number; lastError: string | null; pending?: ReloadStep | null; pendingWaits?: number };
}

export type TeamAutoReloadResult = {
  /** Why the episode ended: the balance is above the threshold, auto-reload is off (or not team), or payment kept failing. */
  outcome: 'above_threshold' | 'disabled' | 'not_team' | 'failed';
  reloads: number;
  failedRounds: number;
  lastError: string | null;
};

export const TEAM_AUTO_RELOAD_DEFAULTS = { maximumAttempts: 3, initialIntervalMs: 30_000, rounds: 4, backoffMs: 15 * 60_000 } as const;

// Failure types of chargeAutoReload (src/activities/auto-reload.ts), as literals: workflow code imports no activity module.
const PAYMENT_DECLINED = 'PaymentDeclined';
const PAYMENT_PENDING = 'PaymentPending';
/** The longest wait between two tries of a charge that is sent but not confirmed. */
const PENDING_MAX_WAIT_MS = 10 * 60_000;

const steady = proxyActivities<AutoReloadActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/** Iterations per run before continue-as-new keeps the history short. */
const ITERATIONS_PER_RUN = 50;

export async function teamAutoReload(input: TeamAutoReloadInput): Promise<TeamAutoReloadResult> {
  const { orgId } = input;
  const o = { ...TEAM_AUTO_RELOAD_DEFAULTS, ...definedOnly(input) };
  let wanted = true; // the start is itself a trigger
  setHandler(reloadWanted, () => {
    wanted = true;
  });
  // The episode is named after its first run (carried over continue-as-new): its notices and keys are named after it.
  const episode = input.carried?.episode ?? workflowInfo().runId;
  let { round, failedRounds, reloads, lastError } = input.carried ?? { round: 0, failedRounds: 0, reloads: 0, lastError: null };
  // A charge sent but not confirmed: tried again under its own key until it is settled, whatever else happens.
  let pending: ReloadStep | null = input.carried?.pending ?? null;
  let pendingWaits = input.carried?.pendingWaits ?? 0;
  let available = '0';
  const payment = proxyActivities<AutoReloadActivities>({
    startToCloseTimeout: '1 minute',
    retry: { maximumAttempts: o.maximumAttempts, initialInterval: o.initialIntervalMs, backoffCoefficient: 2, nonRetryableErrorTypes: [PAYMENT_DECLINED] },
  });
  const result = (outcome: TeamAutoReloadResult['outcome']): TeamAutoReloadResult => ({ outcome, reloads, failedRounds, lastError });

  for (let i = 0; ; i++) {
    if (i >= ITERATIONS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      return continueAsNew<typeof teamAutoReload>({ ...input, carried: { episode, round, failedRounds, reloads, lastError, pending, pendingWaits } });
    }
    let reload: ReloadStep;
    if (pending) {
      reload = pending;
    } else {
      wanted = false;
      const step = await steady.planReloadEpisode({ orgId });

      if (step.action === 'done') {
        // Done only if nothing changed meanwhile (checked again under the row lock).
        if (!wanted && (await steady.finishReloadEpisode({ orgId })) && !wanted) return result(step.reason);
        continue;
      }

      if (step.action === 'limit_reached') {
        await tell(input, `${episode}/limit/${step.period}`, { type: 'reload_limit_reached', period: step.period, limit: step.limit, balanceNanos: step.availableNanos });
        // Next month, or sooner if something changes (a raised limit, a purchase).
        await condition(() => wanted, Math.max(1_000, Date.parse(step.resumesAt) - Date.now()));
        continue;
      }

      round += 1;
      available = step.availableNanos;
      reload = { orgId, amountNanos: step.amountNanos, idempotencyKey: `auto-reload/${orgId}/${episode}/${round}` };
    }
    try {
      await payment.chargeAutoReload(reload);
      pending = null;
      pendingWaits = 0;
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      if (innermostType(err) === PAYMENT_PENDING) {
        pending = reload;
        pendingWaits += 1;
        await sleep(Math.min(o.initialIntervalMs * 2 ** pendingWaits, PENDING_MAX_WAIT_MS));
        continue;
      }
      pending = null;
      pendingWaits = 0;
      failedRounds += 1;
      lastError = innermostMessage(err);
      // Once per episode, whatever the number of rounds.
      await tell(input, `${episode}/failed`, { type: 'reload_failed', triggerEventId: `episode/${episode}`, amountNanos: reload.amountNanos, balanceNanos: available, error: lastError });
      await sleep(o.backoffMs * 2 ** (failedRounds - 1));
      if (failedRounds >= o.rounds) {
        wanted = false; // triggers during the back-off do not count
        await steady.releaseReloadEpisode({ orgId });
        // A trigger that came after the release found no episode open: it starts the next one.
        if (wanted) return continueAsNew<typeof teamAutoReload>({ ...input, carried: undefined });
        return result('failed');
      }
      continue;
    }
    const { balanceAfterNanos } = await steady.creditAutoReload(reload);
    reloads += 1;
    await tell(input, `${episode}/${round}`, { type: 'reload_succeeded', triggerEventId: `${episode}/${round}`, amountNanos: reload.amountNanos, balanceNanos: balanceAfterNanos });
  }
}

/**
 * Tells owners through a capAlert workflow of its own (deduplicated there), so a
 * notifier outage never holds up the reload.
 */
async function tell(input: TeamAutoReloadInput, name: string, event: AlertEvent): Promise<void> {
  const { orgId, orgSlug } = input;
  const eventId = `auto-reload/${orgId}/${name}`;
  const args: [DeliverAlertInput] = [{ orgId, eventId, event }];
  // Named like the relay's alerts, and filterable, in episodes that know their slug; older
  // episodes keep their ids to their end (the patch keeps their histories replaying).
  const readable = orgSlug !== undefined && patched('readable-notice-ids');
  const workflowId = readable ? `alert/${orgSlug}/${event.type}/${name}` : `alert/${eventId}`;
  const shown = readable && workflowInfo().typedSearchAttributes.get(ORG_SLUG) !== undefined;
  const typedSearchAttributes = shown ? [{ key: ORG_SLUG, value: orgSlug }, { key: ALERT_KIND, value: event.type }] : undefined;
  try {
    await startChild('capAlert', { workflowId, args, parentClosePolicy: ParentClosePolicy.ABANDON, workflowIdReusePolicy: 'REJECT_DUPLICATE', ...(typedSearchAttributes ? { typedSearchAttributes } : {}) });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The type of the innermost application failure (what the activity threw), if any. */
function innermostType(err: unknown): string | undefined {
  let e = err as { type?: string; cause?: unknown } | undefined;
  let type: string | undefined;
  while (e) {
    if (typeof e.type === 'string') type = e.type;
    e = e.cause as typeof e;
  }
  return type;
}

function innermostMessage(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e?.cause) e = e.cause as typeof e;
  return e?.message ?? String(err);
}
