// Team balance rules for auto-reload episodes: pure, no I/O. The database trigger of
// migration 20261205010000_balance_watch opens an episode on the same rules (balance
// less holds at or below the threshold); the reload workflow decides each next step here.
import { monthResetsAt, periodOf } from './periods.js';

export interface BalanceState {
  plan: 'team' | 'enterprise';
  timezone: string;
  balanceNanos: bigint;
  heldBalanceNanos: bigint;
  autoReloadEnabled: boolean;
  autoReloadThresholdNanos: bigint | null;
  autoReloadAmountNanos: bigint | null;
  /** At most this much auto-reloaded per month (nano-dollars); null = no limit. */
  autoReloadMonthlyMaxNanos: bigint | null;
}

/** What can still be spent: the balance less what open reservations hold of it. */
export const availableBalance = (s: Pick<BalanceState, 'balanceNanos' | 'heldBalanceNanos'>) => s.balanceNanos - s.heldBalanceNanos;

/**
 * A Team org whose extra usage is on with nothing to spend: authorize refuses every
 * request past a seat's included usage (balance_exhausted), so every surface says so.
 */
export const onWithoutBalance = (s: Pick<BalanceState, 'plan' | 'balanceNanos' | 'heldBalanceNanos'> & { extraUsageEnabled: boolean }) =>
  s.plan === 'team' && s.extraUsageEnabled && availableBalance(s) <= 0n;

export type EpisodeStep =
  | { action: 'done'; reason: 'not_team' | 'disabled' | 'above_threshold' }
  /**
   * No reload until `resumesAt` (the next month in the org's timezone), unless the limit
   * is raised. `limit`: the monthly limit in nano-dollars, as a decimal string.
   */
  | { action: 'limit_reached'; period: string; limit: string; resumesAt: string; availableNanos: string }
  | { action: 'reload'; amountNanos: string; availableNanos: string };

/** A reload of `amount` fits the monthly limit when what was reloaded this month plus it stays within it. */
export const reloadFits = (monthlyMaxNanos: bigint | null, reloadedThisPeriodNanos: bigint, amountNanos: bigint) =>
  monthlyMaxNanos === null || reloadedThisPeriodNanos + amountNanos <= monthlyMaxNanos;

/**
 * The next step of an auto-reload episode. `reloadedThisPeriodNanos` sums the org's
 * auto-reloads in the month of `now` (its timezone).
 */
export function nextEpisodeStep(s: BalanceState, reloadedThisPeriodNanos: bigint, now: Date): EpisodeStep {
  if (s.plan !== 'team') return { action: 'done', reason: 'not_team' };
  const threshold = s.autoReloadThresholdNanos;
  const amount = s.autoReloadAmountNanos;
  if (!s.autoReloadEnabled || threshold === null || amount === null || amount <= 0n) return { action: 'done', reason: 'disabled' };
  const available = availableBalance(s);
  // "Reaches the threshold": at or below it, as the crossing event and the trigger say.
  if (available > threshold) return { action: 'done', reason: 'above_threshold' };
  if (!reloadFits(s.autoReloadMonthlyMaxNanos, reloadedThisPeriodNanos, amount)) {
    return { action: 'limit_reached', period: periodOf(now, s.timezone), limit: String(s.autoReloadMonthlyMaxNanos), resumesAt: monthResetsAt(now, s.timezone).toISOString(), availableNanos: String(available) };
  }
  return { action: 'reload', amountNanos: String(amount), availableNanos: String(available) };
}
