// Operator metrics in Prometheus form. One registry per process (service.ts makes it
// and hands it to the API, the worker and the status server); tests and embedders that
// build many servers in one process get one per server (prom-client's global registry
// would refuse the second set of names). Money is counted in whole nano-dollars:
// integers, exact while a series stays below 2^53 nanos (about $9M per process lifetime).
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Db } from '../db/client.js';

/** What the outbox gauges read at scrape time (src/ledger/outbox.ts). */
export type OutboxLagSource = () => Promise<{ pending: number; oldestPendingAt: Date | null; failing: number }>;
/** Workflows closed other than completed over the last day, per status (Temporal visibility). */
export type WorkflowFailureSource = () => Promise<Record<string, number>>;

// One event-loop delay monitor per process (a timer sampled every 10 ms in C++), shared by
// every registry: the delay is the process's, however many servers it runs.
let loopDelay: IntervalHistogram | null = null;
const LOOP_RESOLUTION_MS = 10;
/** The histogram records each timer interval whole: the delay is what it ran past its 10 ms. */
const delaySeconds = (nanos: number) => Math.max(0, nanos - LOOP_RESOLUTION_MS * 1e6) / 1e9;
function eventLoopDelay(): IntervalHistogram {
  if (!loopDelay) {
    loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    loopDelay.enable();
  }
  return loopDelay;
}

/** A scrape waits at most this long for a source; a slow database is reported, not waited on. */
const SOURCE_TIMEOUT_MS = 2_000;

export class Metrics {
  readonly registry = new Registry();
  private readonly excess = new Counter({
    name: 'extra_usage_reservation_excess_total',
    help: 'Records that cost more than their reservation held (reservation mode): the gateway estimate was too low',
    labelNames: ['org'] as const,
    registers: [this.registry],
  });
  private readonly excessNanos = new Counter({
    name: 'extra_usage_reservation_excess_nanos_total',
    help: 'Cost recorded past reservations, in nano-dollars (1e-9 USD)',
    labelNames: ['org'] as const,
    registers: [this.registry],
  });
  private readonly http = new Histogram({
    name: 'extra_usage_http_request_duration_seconds',
    help: 'HTTP requests answered, by method, route pattern and status (count = request rate, buckets = latency)',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly batchSize = new Histogram({
    name: 'extra_usage_record_batch_size',
    help: 'Records written per group-commit transaction (POST /v1/usage/records and OTLP)',
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500],
    registers: [this.registry],
  });
  private readonly batchFallbacks = new Counter({
    name: 'extra_usage_record_batch_fallbacks_total',
    help: 'Group-commit batches that failed as a whole and were written one record at a time',
    registers: [this.registry],
  });
  private readonly signInThrottles = new Counter({
    name: 'extra_usage_sign_in_throttled_total',
    help: 'Sign-ins answered 429: too many refused sign-ins from one client address or of one link',
    registers: [this.registry],
  });
  private readonly connectionsRefused = new Counter({
    name: 'extra_usage_http_connections_refused_total',
    help: 'Connections closed at once: their client address already held HTTP_MAX_CONNECTIONS_PER_CLIENT open connections',
    registers: [this.registry],
  });
  private readonly activityFailures = new Counter({
    name: 'extra_usage_activity_failures_total',
    help: 'Temporal activity attempts of this worker that failed (each is retried by its policy), by activity',
    labelNames: ['activity'] as const,
    registers: [this.registry],
  });
  private readonly noticeFailures = new Counter({
    name: 'extra_usage_notice_delivery_failures_total',
    help: 'Notices a channel failed to deliver (retried by the activity), by channel and notice kind',
    labelNames: ['channel', 'notice'] as const,
    registers: [this.registry],
  });
  private outboxSource: OutboxLagSource | null = null;
  private dependencySource: (() => { part: string; up: boolean }[]) | null = null;
  private workflowSource: WorkflowFailureSource | null = null;
  private spoolSource: (() => Promise<SpoolBacklogView>) | null = null;
  private readonly watchedBatchers = new WeakSet<object>();

  constructor() {
    const self = this;
    const outbox = (name: string, help: string, pick: (o: Awaited<ReturnType<OutboxLagSource>>, now: number) => number) =>
      new Gauge({
        name, help, registers: [this.registry],
        async collect() {
          if (!self.outboxSource) return;
          const o = await withTimeout(self.outboxSource());
          if (o) this.set(pick(o, Date.now()));
        },
      });
    outbox('extra_usage_outbox_pending_events', 'Outbox events not yet delivered to their workflows', (o) => o.pending);
    outbox('extra_usage_outbox_lag_seconds', 'Age of the oldest outbox event not yet delivered (0 when none waits)', (o, now) => (o.oldestPendingAt ? Math.max(0, (now - o.oldestPendingAt.getTime()) / 1000) : 0));
    outbox('extra_usage_outbox_failing_events', 'Outbox events whose delivery failed at least once and still waits (see GET /health)', (o) => o.failing);
    new Gauge({
      name: 'extra_usage_dependency_up',
      help: 'Outside services this process uses (slack, teams, smtp, stripe, temporal, oidc:<org>): 1 reachable, 0 unreachable now (see GET /health dependencies.failing)',
      labelNames: ['part'] as const,
      registers: [this.registry],
      collect() {
        if (!self.dependencySource) return;
        this.reset();
        for (const d of self.dependencySource()) this.set({ part: d.part }, d.up ? 1 : 0);
      },
    });
    const spool = (name: string, help: string, pick: (b: SpoolBacklogView, now: number) => number) =>
      new Gauge({
        name, help, registers: [this.registry],
        async collect() {
          if (!self.spoolSource) return;
          const b = await withTimeout(self.spoolSource());
          if (b) this.set(pick(b, Date.now()));
        },
      });
    spool('extra_usage_gateway_waiting_records', 'Gateway usage kept in the usage spool until the ledger records it (requests forwarded unchecked, or recorded while the database was away)', (b) => b.waitingRecords);
    spool('extra_usage_gateway_waiting_seconds', 'Age of the oldest gateway usage waiting in the spool (0 when none waits)', (b, now) => (b.since ? Math.max(0, (now - Date.parse(b.since)) / 1000) : 0));
    spool('extra_usage_gateway_refused_records', 'Gateway usage the ledger refused, kept in the spool folder\'s refused.jsonl for the operator', (b) => b.refusedRecords);
    // How long ready work waited for the event loop (a record batch priced or serialised,
    // a garbage collection): what every request's latency pays on top of its own work.
    eventLoopDelay();
    new Gauge({
      name: 'extra_usage_event_loop_delay_seconds',
      help: 'How late the event loop ran a 10 ms timer, over the time since the previous scrape: quantile 0.5, 0.99 and 1 (the maximum)',
      labelNames: ['quantile'] as const,
      registers: [this.registry],
      collect() {
        const h = eventLoopDelay();
        // No sample since the last scrape (under 10 ms ago): no figure, rather than an old one.
        if (h.count === 0) return this.reset();
        this.set({ quantile: '0.5' }, delaySeconds(h.percentile(50)));
        this.set({ quantile: '0.99' }, delaySeconds(h.percentile(99)));
        this.set({ quantile: '1' }, delaySeconds(h.max));
        h.reset();
      },
    });
    new Gauge({
      name: 'extra_usage_workflows_closed_unsuccessfully',
      help: 'Workflows of this namespace that failed, timed out or were terminated in the last 24 hours, by status',
      labelNames: ['status'] as const,
      registers: [this.registry],
      async collect() {
        if (!self.workflowSource) return;
        const counts = await withTimeout(self.workflowSource());
        if (!counts) return;
        this.reset();
        for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
      },
    });
  }

  /** A settled record ran past its hold by `excessNanos`. */
  reservationExceeded(org: string, excessNanos: bigint): void {
    this.excess.inc({ org });
    // One record's excess is far below 2^53 nanos (a few thousand dollars at most).
    this.excessNanos.inc({ org }, Number(excessNanos));
  }

  /** One HTTP answer; `route` is the pattern (`/v1/settings/members/:member`), never the raw URL. */
  httpAnswered(method: string, route: string, status: number, seconds: number): void {
    this.http.observe({ method, route, status: String(status) }, seconds);
  }

  /** Counts the batches of a record batcher (once per batcher, however often asked). */
  watchRecordBatches(batcher: { onBatch: Set<(size: number, fellBack: boolean) => void> }): void {
    if (this.watchedBatchers.has(batcher)) return;
    this.watchedBatchers.add(batcher);
    batcher.onBatch.add((size, fellBack) => {
      this.batchSize.observe(size);
      if (fellBack) this.batchFallbacks.inc();
    });
  }

  signInThrottled(): void {
    this.signInThrottles.inc();
  }

  connectionRefused(): void {
    this.connectionsRefused.inc();
  }

  activityFailed(activity: string): void {
    this.activityFailures.inc({ activity });
  }

  noticeFailed(channel: string, notice: string): void {
    this.noticeFailures.inc({ channel, notice });
  }

  /** Where the outbox gauges read from (a process with the database). */
  watchOutbox(source: OutboxLagSource): void {
    this.outboxSource = source;
  }

  /** Where the dependency gauge reads from (src/observability/dependencies.ts). */
  watchDependencies(source: () => { part: string; up: boolean }[]): void {
    this.dependencySource = source;
  }

  /** Where the gateway spool gauges read from (src/gateway/usage-spool.ts). */
  watchGatewaySpool(source: () => Promise<SpoolBacklogView>): void {
    this.spoolSource = source;
  }

  /** Where the workflow-failure gauge reads from (a process with a Temporal client). */
  watchWorkflows(source: WorkflowFailureSource): void {
    this.workflowSource = source;
  }

  /** The text exposition format (text/plain; version=0.0.4). */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** A source's answer, or null when it fails or takes longer than a scrape should wait. */
async function withTimeout<T>(p: Promise<T>): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), SOURCE_TIMEOUT_MS)));
  try {
    return await Promise.race([p.catch(() => null), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The outbox's waiting and failing events, read for the gauges. */
export function outboxLagOf(db: Db): OutboxLagSource {
  return async () => {
    const where = { publishedAt: null };
    const [pending, oldest, failing] = await Promise.all([
      db.outboxEvent.count({ where }),
      db.outboxEvent.findFirst({ where, orderBy: { id: 'asc' }, select: { createdAt: true } }),
      db.outboxEvent.count({ where: { publishedAt: null, attempts: { gt: 0 } } }),
    ]);
    return { pending, oldestPendingAt: oldest?.createdAt ?? null, failing };
  };
}

/** The gateway's usage spool as the gauges read it (src/gateway/usage-spool.ts SpoolBacklog). */
interface SpoolBacklogView {
  waitingRecords: number;
  since: string | null;
  refusedRecords: number;
}

const owned = new WeakMap<object, Metrics>();

/** The metrics of one server, keyed by its dependencies object (created on first use). */
export function metricsOf(owner: object): Metrics {
  let m = owned.get(owner);
  if (!m) owned.set(owner, (m = new Metrics()));
  return m;
}

/** Injects a registry for a server before it is built (e.g. to share one across servers). */
export function useMetrics(owner: object, metrics: Metrics): void {
  owned.set(owner, metrics);
}
