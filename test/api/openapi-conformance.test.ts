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
import { API_KEY_SCOPES } from '../../src/ledger/settings/api-keys.js';
import { ledgerOnlyPayments } from '../../src/payments/port.js';
import { requestService } from '../../src/services/requests.js';
import { findExecutable } from '../../src/temporal/cli.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, harness, OPERATOR_TOKEN, teamDoc, type Harness } from '../support/fixtures.js';
import { recordingNotifier } from '../support/recording-notifier.js';
import { devServerEnv, testWorker } from '../support/temporal.js';
import { randomBytes } from 'node:crypto';
import { secretBox } from '../../src/secrets/secret-box.js';
import { startAdminApi, type AdminApiStandIn } from '../support/anthropic-admin-api.js';

const SEED = 20261115;
// Examples go where they find things: the coverage phase (every boundary and invalid
// value the document allows, hostile strings included, whatever max-examples says) and
// the stateful phase (sequences of calls that feed one another's ids) keep their full
// weight; random fuzzing gets 20 cases an operation (it had 60, the larger part of the
// run's time). SCHEMATHESIS_EXAMPLES=60 npx vitest run test/api/openapi-conformance.test.ts
// runs the deeper fuzzing before a release.
const FUZZ_EXAMPLES_PER_OPERATION = Number(process.env.SCHEMATHESIS_EXAMPLES ?? 20);
const STATEFUL_SCENARIOS = 60;
// Every check but positive_data_acceptance: a schema-valid request may still be refused
// by a rule on stored state (an unknown member is a 404, a past price a 422).
const EXCLUDED_CHECKS = ['positive_data_acceptance'];
// A run takes a few minutes on two cores, over ten when other work shares them (47
// operations, a coverage phase, then fuzzing); this only stops a wedged one.
const KILL_AFTER_MS = 15 * 60_000;
// Values that once took the server down, mixed into generated strings and integers:
// NUL and control characters (as TOML escapes), amounts past BIGINT nanos, integers
// past int4 and int8.
const HOSTILE_STRINGS = ['a\\u0000b', '\\u0000', '\\u0001\\u007f', '9223372036.86', '9223372036854775808', '1000000000.00'];
const HOSTILE_INTEGERS = [3_000_000_000, 2_147_483_648, 9_223_372_036_854_775_807n, 9_223_372_036_854_775_808n];

let scratch: Scratch;
let env: TestWorkflowEnvironment;
let worker: Awaited<ReturnType<typeof testWorker>>;
let h: Harness;
let base: string;
let key: string;
let dir: string;
let adminApi: AdminApiStandIn;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  const db = scratch.db.prisma;
  env = await devServerEnv();
  worker = await testWorker(env, { db, notifier: recordingNotifier(), payments: ledgerOnlyPayments(db), now: () => new Date() });
  const requests = requestService({ db, client: env.client, taskQueue: worker.taskQueue, timings: { remindAfterMs: 86_400_000, expireAfterMs: 7 * 86_400_000 }, now: () => new Date() });
  // Connected orgs (docs/claude.md) against the Admin API stand-in: a generated key is refused there (422), never a 5xx.
  adminApi = await startAdminApi({ key: `sk-ant-admin01-${randomBytes(16).toString('hex')}` });
  h = await harness(db, new Date(), { requests, anthropic: { box: secretBox(randomBytes(32)), baseUrl: adminApi.url } });
  // Settings and metering run against a team org (balance, auto-reload); an enterprise org is there to be read and replaced.
  await h.provision('team', teamDoc());
  await h.provision('acme', enterpriseDoc());
  // One key with every scope: it stands for every API-key scheme the document declares.
  key = await h.issueKey('team', [...API_KEY_SCOPES]);
  base = await h.app.listen({ host: '127.0.0.1', port: 0 });
  dir = await mkdtemp(path.join(tmpdir(), 'schemathesis-'));
});
afterAll(async () => {
  await h?.close();
  await worker?.stop();
  await env?.teardown();
  await adminApi?.close();
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

type Schema = { type?: string | string[]; properties?: Record<string, Schema>; items?: Schema; anyOf?: Schema[] };

/** Every string or integer field of a body, as schemathesis body paths ("members[*].name"). */
function leafFields(s: Schema, at: string[] = [], out = new Map<string, 'string' | 'integer'>()) {
  for (const variant of s.anyOf ?? []) leafFields(variant, at, out);
  for (const [name, child] of Object.entries(s.properties ?? {})) leafFields(child, [...at, name], out);
  if (s.items && at.length > 0) leafFields(s.items, [...at.slice(0, -1), `${at.at(-1)}[*]`], out);
  const types = ([] as string[]).concat(s.type ?? []);
  const type = types.includes('string') ? 'string' : types.includes('integer') ? 'integer' : null;
  if (type && at.length > 0) out.set(at.join('.'), type);
  return out;
}

describe('the OpenAPI document', () => {
  it('describes every answer the server gives, and the server never fails', async () => {
    const st = findExecutable('schemathesis');
    if (!st) throw new Error('schemathesis not found: pip install schemathesis (.ci/run does)');
    // Each bearer scheme gets a credential (the operator token, else the all-scope key);
    // calls on behalf of a member name the acting one.
    const spec = (await h.call('GET', '/openapi.json')).body as {
      components: { securitySchemes: Record<string, { type: string; scheme?: string }> };
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Schema }> } }>>;
    };
    const auth = Object.entries(spec.components.securitySchemes)
      .filter(([, s]) => s.type === 'http' && s.scheme === 'bearer')
      .flatMap(([name]) => [`[auth.openapi.${name}]`, `bearer = "${name === 'operatorToken' ? OPERATOR_TOKEN : key}"`]);
    const bodyFields = new Map<string, 'string' | 'integer'>();
    for (const op of Object.values(spec.paths).flatMap((p) => Object.values(p))) {
      const schema = op.requestBody?.content['application/json']?.schema;
      if (schema) leafFields(schema, [], bodyFields);
    }
    const config = [
      `seed = ${SEED}`,
      'workers = 1',
      // No crash replays or example database carried between runs: each run is the seed's.
      '[cache]',
      'enabled = false',
      '[generation]',
      `max-examples = ${FUZZ_EXAMPLES_PER_OPERATION}`,
      'database = "none"',
      '[phases.stateful.generation]',
      `max-examples = ${STATEFUL_SCENARIOS}`,
      '[dictionaries.hostile-strings]',
      `values = [${HOSTILE_STRINGS.map((v) => `"${v}"`).join(', ')}]`,
      '[dictionaries.hostile-integers]',
      `values = [${HOSTILE_INTEGERS.join(', ')}]`,
      '[generation.dictionaries.string]',
      'dictionary = "hostile-strings"',
      'probability = 0.1',
      '[generation.dictionaries.integer]',
      'dictionary = "hostile-integers"',
      'probability = 0.1',
      ...auth,
      // Type-wide bindings reach parameters; body fields are bound one by one.
      '[parameters]',
      ...[...bodyFields].map(([field, type]) => `"body.${field}" = { dictionary = "hostile-${type}s", probability = 0.1 }`),
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
    if (process.env.SCHEMATHESIS_OUTPUT) console.log(output);
    // Its run time and cases, in the suite's output: the number to watch when it grows.
    console.log(`schemathesis: ${/\d+ generated, \d+ passed[^\n]*/.exec(output)?.[0] ?? '?'}; ${/=+ .*in ([\d.]+s) =+/.exec(output)?.[1] ?? '?'}; phases: ${[...output.matchAll(/✅ {2}(Examples|Coverage|Fuzzing|Stateful) \(in ([\d.]+s)\)/g)].map((m) => `${m[1]} ${m[2]}`).join(', ')}`);
    // Every operation was exercised, and every generated case passed every check.
    const [, selected, total] = /Selected: (\d+)\/(\d+)/.exec(output) ?? [];
    const [, tested] = /Tested: (\d+)/.exec(output) ?? [];
    expect(Number(total)).toBeGreaterThan(20);
    expect([selected, tested]).toEqual([total, total]);
    expect(output).toMatch(/(\d+) generated, \1 passed/);
  }, 16 * 60_000);
});
