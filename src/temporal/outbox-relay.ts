// Hands the ledger's outbox events to Temporal: each event type has a route that
// starts or signals workflows. Routes use workflow ids derived from the event, so
// delivering an event twice (after a crash between start and mark) does nothing new.
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import type { Db } from '../db/client.js';
import { claimEvents, markFailed, markPublished, retryFailedNow, type OutboxRow } from '../ledger/outbox.js';
import type { RequestService } from '../services/requests.js';
import type { ScheduleProblems } from './schedules.js';
import type { Dependencies } from '../observability/dependencies.js';
import { isNetworkFailure } from '../observability/network-failure.js';

export interface RelayContext {
  db: Db;
  client: Client;
  taskQueue: string;
  requests: RequestService;
  /** Orgs whose schedules could not be ensured (for /health). */
  schedules?: ScheduleProblems;
  /** Where a repeated start is reported (it means an event was delivered twice). */
  log?: (msg: string) => void;
  /** Where Temporal being unreachable is reported (one line when it goes, one when it returns). */
  dependencies?: Dependencies;
}

export type OutboxRoute = (event: OutboxRow, ctx: RelayContext) => Promise<void>;

/**
 * Starts a workflow once per id; a second start for the same id is a no-op. `perEvent`:
 * the id is derived from one event alone, so a second start means that event was
 * delivered again (with claims, only after a relay died between starting and marking):
 * it is logged, for operators and the multi-process test. Ids several events share
 * (one alert per model per day) are refused quietly.
 */
export async function startOnce(ctx: RelayContext, workflowType: string, workflowId: string, args: unknown[], opts: { perEvent?: boolean; typedSearchAttributes?: SearchAttributePair[]; staticSummary?: string } = {}): Promise<void> {
  const { perEvent: _, ...shown } = opts;
  try {
    await ctx.client.workflow.start(workflowType, { taskQueue: ctx.taskQueue, workflowId, args, workflowIdReusePolicy: 'REJECT_DUPLICATE', ...shown });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    if (opts.perEvent) ctx.log?.(`outbox: workflow ${workflowId} was already started (its event was delivered again; nothing new started)`);
  }
}

export interface OutboxRelay {
  /** Delivers what is waiting now; returns how many events were published. */
  drain(): Promise<number>;
  stop(): Promise<void>;
}

export function startOutboxRelay(ctx: RelayContext, routes: Record<string, OutboxRoute>, opts: { intervalMs?: number; log?: (msg: string) => void } = {}): OutboxRelay {
  const log = opts.log ?? console.error;
  let stopped = false;
  let running: Promise<number> = Promise.resolve(0);

  async function deliver(): Promise<number> {
    let published = 0;
    for (;;) {
      const batch = await claimEvents(ctx.db, 100);
      if (batch.length === 0) return published;
      const done: bigint[] = [];
      let unreachable = false;
      for (const event of batch) {
        if (unreachable) {
          // Temporal is away: the rest of the batch waits with the one that failed (each
          // try would wait on the connection), and goes out when Temporal is back.
          await markFailed(ctx.db, event.id, 'not tried: Temporal unreachable');
          continue;
        }
        try {
          await routes[event.type]?.(event, ctx);
          done.push(event.id);
          ctx.dependencies?.ok('temporal');
        } catch (err) {
          // Kept, and tried again after a back-off: one event that keeps failing
          // (a bad org, Temporal down) neither floods the log nor holds up the rest.
          const message = (err as Error).message;
          // Temporal unreachable: one line for the outage (Dependencies), not one per event.
          if (ctx.dependencies && isNetworkFailure(err)) {
            unreachable = true;
            if (ctx.dependencies.failed('temporal', err)) watchForReturn(ctx.dependencies);
          }
          else log(`outbox: ${event.type} #${event.id} (org ${event.orgId}) not delivered, will retry: ${message}`);
          await markFailed(ctx.db, event.id, message);
        }
      }
      await markPublished(ctx.db, done);
      published += done.length;
      if (unreachable) return published;
    }
  }

  // While Temporal is away, its system info is asked with back-off (not every event at
  // every pass); when it answers, the events that failed meanwhile go out at once.
  function watchForReturn(dependencies: Dependencies) {
    void dependencies.keepTrying('temporal', () => ctx.client.workflowService.getSystemInfo({}), {
      onUp: async () => {
        await retryFailedNow(ctx.db);
        if (!stopped) await drain();
      },
    });
  }

  // One pass at a time; drain() joins the pass in flight and then runs another.
  const drain = () => (running = running.catch(() => 0).then(deliver));
  const timer = setInterval(() => {
    if (!stopped) drain().catch((err) => log(`outbox: ${(err as Error).message}`));
  }, opts.intervalMs ?? 500);

  return {
    drain,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running.catch(() => 0);
    },
  };
}
