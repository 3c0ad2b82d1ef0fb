// Records usage after the fact, off the caller's path. Usage that happened must not
// be lost: a record that fails for a passing reason (no answer, 5xx, 429) is tried
// again with exponential backoff, and one that still fails, or is refused outright,
// goes to onRecordError with the exact body to replay later (replaying it is safe:
// the control plane counts a requestId once).
import { ControlPlaneError } from './errors.js';
import type { ControlPlane, RecordRequest, RecordResult } from './control-plane.js';

export interface RecordRetry {
  /** Tries in all, the first included. Default 5. */
  attempts?: number;
  /** Wait before the second try; doubles each time (with jitter). Default 250 ms. */
  baseDelayMs?: number;
  /** The longest wait between two tries. Default 5 s. */
  maxDelayMs?: number;
}

/** Called once per record that could not be made; `record` is the body to replay. */
export type OnRecordError = (error: Error, record: RecordRequest) => void | Promise<void>;
/** Called once per record the control plane accepted. */
export type OnRecorded = (result: RecordResult, record: RecordRequest) => void;

/** Without an onRecordError the failure is logged with the body, never dropped silently. */
export const logRecordError: OnRecordError = (error, record) => {
  console.error(`[extra-usage] usage NOT recorded, replay this record: ${JSON.stringify(record)}`, error);
};

export class Recorder {
  readonly #pending = new Set<Promise<void>>();
  readonly #attempts: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;

  constructor(
    private readonly controlPlane: ControlPlane,
    private readonly hooks: { onRecordError?: OnRecordError; onRecorded?: OnRecorded },
    retry: RecordRetry = {},
  ) {
    this.#attempts = Math.max(1, retry.attempts ?? 5);
    this.#baseDelayMs = retry.baseDelayMs ?? 250;
    this.#maxDelayMs = retry.maxDelayMs ?? 5_000;
  }

  /** Keeps work that ends in a record (reading a stream, say) visible to flush(). */
  track(work: Promise<void>): void {
    const tracked = work.catch((err: unknown) => console.error('[extra-usage] metering failed', err)).finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  /** Resolves once every call that has had its response is recorded or handed to onRecordError. */
  async flush(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  /** Never rejects: a record that cannot be made goes to onRecordError. */
  async record(body: RecordRequest): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      let result: RecordResult;
      try {
        result = await this.controlPlane.record(body);
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        const retryable = error instanceof ControlPlaneError && error.retryable;
        if (!retryable || attempt >= this.#attempts) return this.#report(error, body);
        await sleep(this.#delay(attempt));
        continue;
      }
      try {
        this.hooks.onRecorded?.(result, body);
      } catch (hookError) {
        console.error('[extra-usage] onRecorded threw', hookError);
      }
      return;
    }
  }

  async #report(error: Error, body: RecordRequest): Promise<void> {
    try {
      await (this.hooks.onRecordError ?? logRecordError)(error, body);
    } catch (hookError) {
      console.error('[extra-usage] onRecordError threw', hookError, 'for record', JSON.stringify(body));
    }
  }

  #delay(attempt: number): number {
    const full = Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** (attempt - 1));
    return full / 2 + (Math.random() * full) / 2;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
