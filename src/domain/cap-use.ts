// How much of a cap is spent, for the bars beside caps and the at-risk mark: from 80%
// a cap is at risk, at 100% it is reached. Exact (bigint nanos); only the shown
// percentage is rounded down, so "100%" never shows before the cap is reached. Pure.
import type { Nanos } from './money.js';

export const AT_RISK_PERCENT = 80;

export type CapLevel = 'ok' | 'at_risk' | 'reached';

export interface CapUse {
  /** Whole percent spent, rounded down (may pass 100: one request can overshoot). */
  percent: number;
  level: CapLevel;
}

/** null for no cap (Unlimited): nothing to measure against. */
export function capUse(spent: Nanos, cap: Nanos | null): CapUse | null {
  if (cap === null) return null;
  // A $0 cap allows no extra usage at all: reached from the start.
  if (cap <= 0n) return { percent: 100, level: 'reached' };
  const percent = Number((spent * 100n) / cap);
  return { percent, level: spent >= cap ? 'reached' : spent * 100n >= cap * BigInt(AT_RISK_PERCENT) ? 'at_risk' : 'ok' };
}
