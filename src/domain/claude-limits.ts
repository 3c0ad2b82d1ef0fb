// When owners are told a member of a connected org is nearing their effective limit at
// Anthropic: pure rules over two readings of the report. Spend only grows within a
// period, so spend going down means a new period began (the threshold re-arms); a
// changed limit re-arms too, without telling again what is already past under it.

export interface LimitReading {
  limitNanos: bigint | null;
  spentNanos: bigint;
}

export interface ThresholdState {
  window: number;
  alertedPercent: number | null;
}

/** The highest threshold spend has reached under the limit, or null. */
export function highestReached(reading: LimitReading, thresholds: readonly number[]): number | null {
  if (reading.limitNanos === null || reading.limitNanos <= 0n) return null;
  let best: number | null = null;
  // spend >= limit * p / 100, kept in integers.
  for (const p of thresholds) if (reading.spentNanos * 100n >= reading.limitNanos * BigInt(p) && (best === null || p > best)) best = p;
  return best;
}

/**
 * The state after a new reading, and the threshold to tell owners of now (null: none).
 * `previous` null: the first reading of this member and period, told like any crossing.
 */
export function nextThresholdState(previous: (LimitReading & ThresholdState) | null, now: LimitReading, thresholds: readonly number[]): ThresholdState & { tell: number | null } {
  const reached = highestReached(now, thresholds);
  if (!previous) return { window: 0, alertedPercent: reached, tell: reached };
  const newWindow = now.spentNanos < previous.spentNanos;
  const window = newWindow ? previous.window + 1 : previous.window;
  if (now.limitNanos !== previous.limitNanos) return { window, alertedPercent: reached, tell: null };
  const told = newWindow ? null : previous.alertedPercent;
  if (reached !== null && (told === null || reached > told)) return { window, alertedPercent: reached, tell: reached };
  return { window, alertedPercent: newWindow ? reached : told, tell: null };
}
