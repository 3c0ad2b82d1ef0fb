// Replays recorded histories of the request workflow against today's code: a change
// that would break workflows already running in production fails here.
import { readdirSync, readFileSync } from 'node:fs';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { describe, expect, it } from 'vitest';
import { workflowBundle } from '../../src/temporal/worker.js';
import '../support/temporal.js';

const DIR = new URL('./histories/', import.meta.url);
const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();

describe('recorded histories replay', () => {
  it('has histories to replay', () => {
    expect(files).toEqual(expect.arrayContaining(['extra-usage-request-approved.json', 'extra-usage-request-expired.json', 'extra-usage-request-cancelled.json']));
  });

  it.each(files)('%s replays without nondeterminism', async (file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(new URL(file, DIR), 'utf8')));
    await expect(Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, file)).resolves.toBeUndefined();
  }, 60_000);
});
