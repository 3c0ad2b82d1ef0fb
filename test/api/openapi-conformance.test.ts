// The published OpenAPI document is a contract: schemathesis (PyPI) generates
// requests from /openapi.json, valid and invalid, against the real server over
// HTTP, and the run fails on any 5xx or any answer the document does not describe.
// Bounded and repeatable: a fixed seed, a fixed number of examples per operation.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerOnlyPayments } from '../../src/payments/port.js';
import { requestService } from '../../src/services/requests.js';
import { findExecutable } from '../../src/temporal/cli.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, harness, OPERATOR_TOKEN, teamDoc, type Harness } from '../support/fixtures.js';
import { recordingNotifier } from '../support/recording-notifier.js';
import { devServerEnv, testWorker } from '../support/temporal.js';

const SEED = 20261115;
const EXAMPLES_PER_OPERATION = 100;
// Every check but positive_data_acceptance: a schema-valid request may still be refused
// by a rule on stored state (an unknown member is a 404, a past price a 422).
const EXCLUDED_CHECKS = ['positive_data_acceptance'];
// A run takes under a minute on two busy cores; this only stops a wedged one.
const KILL_AFTER_MS = 8 * 60_000;

let scratch: Scratch;
let env: TestWorkflowEnvironment;
let worker: Awaited<ReturnType<typeof testWorker>>;
let h: Harness;
let base: string;
let key: string;
let dir: string;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  const db = scratch.db.prisma;
  env = await devServerEnv();
  worker = await testWorker(env, { db, notifier: recordingNotifier(), payments: ledgerOnlyPayments(db), now: () => new Date() });
  const requests = requestService({ db, client: env.client, taskQueue: worker.taskQueue, timings: { remindAfterMs: 86_400_000, expireAfterMs: 7 * 86_400_000 }, now: () => new Date() });
  h = await harness(db, new Date(), { requests });
  // Settings and metering run against a team org (balance, auto-reload); an enterprise org is there to be read and replaced.
  await h.provision('team', teamDoc());
  await h.provision('acme', enterpriseDoc());
  key = await h.issueKey('team');
  base = await h.app.listen({ host: '127.0.0.1', port: 0 });
  dir = await mkdtemp(path.join(tmpdir(), 'schemathesis-'));
});
afterAll(async () => {
  await h?.close();
  await worker?.stop();
  await env?.teardown();
  await scratch?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, NO_COLOR: '1' } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('the OpenAPI document', () => {
  it('describes every answer the server gives, and the server never fails', async () => {
    const st = findExecutable('schemathesis');
    if (!st) throw new Error('schemathesis not found: pip install schemathesis (.ci/run does)');
    // Each security scheme gets its own credential; settings calls also name the acting member.
    const config = [
      `seed = ${SEED}`,
      'workers = 1',
      '[generation]',
      `max-examples = ${EXAMPLES_PER_OPERATION}`,
      'database = "none"',
      '[auth.openapi.operatorToken]',
      `bearer = "${OPERATOR_TOKEN}"`,
      '[auth.openapi.apiKey]',
      `bearer = "${key}"`,
      // The coverage phase never finishes building a 10,000-member array that `contains`
      // exactly one primary owner (schemathesis 4.32); fuzzing still covers the document.
      '[[operations]]',
      'include-name = "PUT /v1/operator/orgs/{slug}"',
      'phases.coverage.enabled = false',
    ].join('\n');
    await writeFile(path.join(dir, 'schemathesis.toml'), config);
    const { code, output } = await run(st, [
      '--config-file', path.join(dir, 'schemathesis.toml'), 'run', `${base}/openapi.json`,
      '--checks', 'all', '--exclude-checks', EXCLUDED_CHECKS.join(','),
      '--header', 'X-Actor: owner-1',
      '--phases', 'examples,coverage,fuzzing,stateful',
      '--request-timeout', '60', '--continue-on-failure', '--no-color',
    ], dir);
    if (code !== 0) throw new Error(`schemathesis failed (exit ${code}):\n${output}`);
    // Every operation was exercised, and every generated case passed every check.
    const [, selected, total] = /Selected: (\d+)\/(\d+)/.exec(output) ?? [];
    const [, tested] = /Tested: (\d+)/.exec(output) ?? [];
    expect(Number(total)).toBeGreaterThan(20);
    expect([selected, tested]).toEqual([total, total]);
    expect(output).toMatch(/(\d+) generated, \1 passed/);
  }, 600_000);
});
