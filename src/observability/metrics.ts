// Operator metrics in Prometheus form. Each API server owns its registry (tests and
// embedders build many servers in one process; prom-client's global registry would
// refuse the second set of names). Money is counted in whole nano-dollars: integers,
// exact while a series stays below 2^53 nanos (about $9M per process lifetime).
import { Counter, Registry } from 'prom-client';

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

  /** A settled record ran past its hold by `excessNanos`. */
  reservationExceeded(org: string, excessNanos: bigint): void {
    this.excess.inc({ org });
    // One record's excess is far below 2^53 nanos (a few thousand dollars at most).
    this.excessNanos.inc({ org }, Number(excessNanos));
  }

  /** The text exposition format (text/plain; version=0.0.4). */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
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
