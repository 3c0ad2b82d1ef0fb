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
  autoReloadMonthlyLimit: number | null;
}

/** What can still be spent: the balance less what open reservations hold of it. */
export const availableBalance = (s: Pick<BalanceState, 'balanceNanos' | 'heldBalanceNanos'>) => s.balanceNanos - s.heldBalanceNanos;

export type EpisodeStep =
  | { action: 'done'; reason: 'not_team' | 'disabled' | 'above_threshold' }
  /** No reload until `resumesAt` (the next month in the org's timezone), unless the limit is raised. */
  | { action: 'limit_reached'; period: string; limit: number; resumesAt: string; availableNanos: string }
  | { action: 'reload'; amountNanos: string; availableNanos: string };

/**
 * The next step of an auto-reload episode. `reloadsThisPeriod` counts the org's
 * auto-reloads in the month of `now` (its timezone).
 */
export function nextEpisodeStep(s: BalanceState, reloadsThisPeriod: number, now: Date): EpisodeStep {
  if (s.plan !== 'team') return { action: 'done', reason: 'not_team' };
  const threshold = s.autoReloadThresholdNanos;
  const amount = s.autoReloadAmountNanos;
  if (!s.autoReloadEnabled || threshold === null || amount === null || amount <= 0n) return { action: 'done', reason: 'disabled' };
  const available = availableBalance(s);
  // "Reaches the threshold": at or below it, as the crossing event and the trigger say.
  if (available > threshold) return { action: 'done', reason: 'above_threshold' };
  if (s.autoReloadMonthlyLimit !== null && reloadsThisPeriod >= s.autoReloadMonthlyLimit) {
    return { action: 'limit_reached', period: periodOf(now, s.timezone), limit: s.autoReloadMonthlyLimit, resumesAt: monthResetsAt(now, s.timezone).toISOString(), availableNanos: String(available) };
  }
  return { action: 'reload', amountNanos: String(amount), availableNanos: String(available) };
}
