// The Temporal worker: runs our workflows (bundled once) and activities on one task queue.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger, type ActivityInterceptorsFactory, NativeConnection, Runtime, Worker, type LogLevel, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import type { ActivityDeps } from '../activities/deps.js';
import type { Metrics } from '../observability/metrics.js';

export const DEFAULT_TASK_QUEUE = 'extra-usage';
// index.ts under tsx, index.js in the compiled image (dist/): the same extension as this file.
const OWN_EXTENSION = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
export const WORKFLOWS_PATH = fileURLToPath(new URL(`../../workflows/index${OWN_EXTENSION}`, import.meta.url));

let runtimeInstalled = false;
/** Sets how much the Temporal SDK logs; must run before the first worker or connection. */
export function installTemporalRuntime(level: LogLevel = 'WARN'): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger(level) });
  } catch {
    // Already installed by someone else in this process: keep theirs.
  }
}

let cachedBundle: Promise<WorkflowBundleWithSourceMap> | null = null;

/**
 * Bundles the workflow code once per process (webpack takes a few seconds), or reads a
 * bundle prebuilt from this same code (WORKFLOW_BUNDLE: the test suite builds one per run
 * for every process it starts).
 */
export function workflowBundle(prebuilt?: string): Promise<WorkflowBundleWithSourceMap> {
  cachedBundle ??= prebuilt
    ? Promise.all([readFile(prebuilt, 'utf8'), readFile(`${prebuilt}.map`, 'utf8')]).then(([code, sourceMap]) => ({ code, sourceMap }))
    : bundleWorkflows();
  return cachedBundle;
}

/** Bundles the workflow code now (webpack, a few seconds), quietly but for errors. */
export function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
}

const noop = () => {};
const quietBundlerLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: (m: string, meta?: unknown) => console.error(m, meta), log: noop };

export interface WorkerOptions {
  /** Connect to this address, or reuse `connection` (tests share the environment's). */
  address?: string;
  connection?: NativeConnection;
  namespace: string;
  taskQueue?: string;
  deps: ActivityDeps;
  /** Wraps the activities (tests use it to stop a worker mid-activity). */
  activities?: Record<string, (...args: any[]) => Promise<unknown>>;
  /** Counts failed activity attempts (GET /metrics). */
  metrics?: Metrics;
  /** A prebuilt workflow bundle's file (WORKFLOW_BUNDLE). */
  workflowBundlePath?: string;
}

export interface RunningWorker {
  worker: Worker;
  /** Resolves when the worker has stopped. */
  done: Promise<void>;
  stop(): Promise<void>;
}

export async function startWorker(opts: WorkerOptions): Promise<RunningWorker> {
  const owned = !opts.connection;
  const connection = opts.connection ?? (await NativeConnection.connect({ address: opts.address }));
  const worker = await Worker.create({
    connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue ?? DEFAULT_TASK_QUEUE,
    workflowBundle: await workflowBundle(opts.workflowBundlePath),
    activities: opts.activities ?? createActivities(opts.deps),
    shutdownGraceTime: '2 seconds',
    ...(opts.metrics ? { interceptors: { activity: [failureCounter(opts.metrics)] } } : {}),
  });
  const done = worker.run().finally(() => (owned ? connection.close() : undefined));
  return {
    worker,
    done,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}

/** Counts every failed activity attempt by type; the failure goes on to Temporal's retry policy. */
function failureCounter(metrics: Metrics): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        try {
          return await next(input);
        } catch (err) {
          metrics.activityFailed(ctx.info.activityType);
          throw err;
        }
      },
    },
  });
}
