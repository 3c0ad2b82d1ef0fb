// Replays recorded histories of every workflow against today's code: a change that
// would break workflows already running in production fails here. Histories are
// recorded by scripts/record-histories.ts.
import { readdirSync, readFileSync } from 'node:fs';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { describe, expect, it } from 'vitest';
import { workflowBundle } from '../../src/temporal/worker.js';
import * as workflows from '../../workflows/index.js';
import { suiteWorkflowBundle } from '../support/temporal.js';

const DIR = new URL('./histories/', import.meta.url);
const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
const read = (file: string) => JSON.parse(readFileSync(new URL(file, DIR), 'utf8'));

/** The workflow type a history is of, from its first event (WorkflowExecutionStarted). */
const workflowTypeOf = (file: string): string | undefined => read(file).events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;

describe('recorded histories replay', () => {
  it('has at least one history of every workflow the worker runs', () => {
    const exported = Object.entries(workflows).filter(([, v]) => typeof v === 'function').map(([name]) => name).sort();
    expect(exported.length).toBeGreaterThan(0);
    const recorded = new Set(files.map(workflowTypeOf));
    expect(exported.filter((name) => !recorded.has(name)), 'workflows without a recorded history: run scripts/record-histories.ts').toEqual([]);
  });

  it.each(files)('%s replays without nondeterminism', async (file) => {
    const history = historyFromJSON(read(file));
    await expect(Worker.runReplayHistory({ workflowBundle: await workflowBundle(suiteWorkflowBundle()) }, history, file)).resolves.toBeUndefined();
  }, 60_000);
});
