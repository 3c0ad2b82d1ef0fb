// The outside services this process depends on (Slack, Teams, SMTP, Stripe, an org's
// OpenID Provider, Temporal), and which of them cannot be reached now, since when.
// The service keeps serving without them: GET /health answers `degraded` naming each
// part, /metrics has extra_usage_dependency_up per part, and the log has one line when
// a part goes and one when it returns (not one per failed attempt).
import { isNetworkFailure } from './network-failure.js';

export interface Outage {
  part: string;
  /** When the first failed attempt of this run was seen (ISO). */
  since: string;
  /** Failed attempts in a row. */
  attempts: number;
  lastError: string;
}

export class Dependencies {
  private readonly outages = new Map<string, { since: Date; attempts: number; lastError: string }>();
  private readonly seen = new Set<string>();
  private readonly lastOk = new Map<string, Date>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  /**
   * `maxDelayMs`: the longest wait between two tries of keepTrying (DEPENDENCY_RETRY_MAX_SECONDS),
   * which also bounds how long a part that came back goes unnoticed.
   */
  constructor(private readonly log: (line: string) => void, private readonly now: () => Date = () => new Date(), private readonly maxDelayMs = 60_000) {}

  /**
   * An attempt to reach `part` failed. The first failure of a run writes the one log
   * line; true then. `startedAt`: when the attempt began; an attempt older than the
   * last success says nothing new (it was under way while the part came back).
   */
  failed(part: string, err: unknown, startedAt?: Date): boolean {
    this.seen.add(part);
    const lastOk = this.lastOk.get(part);
    if (startedAt && lastOk && lastOk >= startedAt) return false;
    const message = messageOf(err);
    const outage = this.outages.get(part);
    if (outage) {
      outage.attempts += 1;
      outage.lastError = message;
      return false;
    }
    this.outages.set(part, { since: this.now(), attempts: 1, lastError: message });
    this.log(`${part}: unreachable (network failure), serving without it and retrying with back-off: ${message}`);
    return true;
  }

  /** `part` answered. After an outage this writes the one "back" line. */
  ok(part: string): void {
    this.seen.add(part);
    this.lastOk.set(part, this.now());
    const outage = this.outages.get(part);
    if (!outage) return;
    this.outages.delete(part);
    this.log(`${part}: reachable again after ${outage.attempts} failed attempt(s) since ${outage.since.toISOString()}`);
  }

  isDown(part: string): boolean {
    return this.outages.has(part);
  }

  /** The parts down now, oldest first (GET /health `dependencies.failing`). */
  failing(): Outage[] {
    return [...this.outages.entries()]
      .map(([part, o]) => ({ part, since: o.since.toISOString(), attempts: o.attempts, lastError: o.lastError }))
      .sort((a, b) => a.since.localeCompare(b.since));
  }

  /** Every part reported on, up (1) or down (0), for the gauge. */
  states(): { part: string; up: boolean }[] {
    return [...this.seen].sort().map((part) => ({ part, up: !this.outages.has(part) }));
  }

  /**
   * Runs `probe` until it succeeds, waiting between attempts with exponential back-off
   * (doubling from `firstDelayMs` up to `maxDelayMs`). A network failure (or what
   * `retryOn` accepts) marks the part down and is tried again; any other error (a
   * refusal) is handed to `onRefused` and ends the tries. Resolves when it succeeds, is refused, or stop() is called.
   */
  keepTrying(part: string, probe: () => Promise<unknown>, opts: { firstDelayMs?: number; maxDelayMs?: number; onUp?: () => void | Promise<void>; onRefused?: (err: unknown) => void; retryOn?: (err: unknown) => boolean } = {}): Promise<void> {
    const retryOn = opts.retryOn ?? isNetworkFailure;
    const max = opts.maxDelayMs ?? this.maxDelayMs;
    const first = Math.min(opts.firstDelayMs ?? 1_000, max);
    return new Promise<void>((resolve) => {
      const attempt = (delay: number) => {
        if (this.stopped) return resolve();
        const startedAt = this.now();
        probe().then(
          async () => {
            this.ok(part);
            try {
              await opts.onUp?.();
            } catch (err) {
              this.log(`${part}: reached, but what waited for it failed: ${messageOf(err)}`);
            }
            resolve();
          },
          (err: unknown) => {
            if (!retryOn(err)) {
              opts.onRefused?.(err);
              return resolve();
            }
            this.failed(part, err, startedAt);
            if (this.stopped) return resolve();
            const timer = setTimeout(() => {
              this.timers.delete(timer);
              attempt(Math.min(delay * 2, max));
            }, delay);
            this.timers.add(timer);
          },
        );
      };
      attempt(first);
    });
  }

  /** Ends every keepTrying loop (at shutdown). */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

function messageOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error && cause.message && !err.message.includes(cause.message) ? `${err.message} (${cause.message})` : err.message;
}
