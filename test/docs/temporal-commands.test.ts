// The `temporal` commands docs/workflows.md gives operators, run exactly as written
// (only the dev server's address put in) against a dev server where the service
// started an org's workflows: each must find what the docs say it finds.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerOnlyPayments } from '../../src/payments/port.js';
import { requestService, type RequestService } from '../../src/services/requests.js';
import { findTemporalCli } from '../../src/temporal/cli.js';
import { startOutboxRelay, type OutboxRelay } from '../../src/temporal/outbox-relay.js';
import { outboxRoutes } from '../../src/temporal/outbox-routes.js';
import { requestAutoReload } from '../../src/temporal/auto-reload.js';
import { ensureOrgSchedules } from '../../src/temporal/schedules.js';
import { enableSearchAttributes } from '../../src/temporal/search-attributes.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc } from '../support/fixtures.js';
import { exhaustSeat, provision } from '../support/ledger.js';
import { recordingNotifier } from '../support/recording-notifier.js';
import { devServerEnv, testWorker } from '../support/temporal.js';

const DOC = readFileSync(new URL('../../docs/workflows.md', import.meta.url), 'utf8');
const DOC_ADDRESS = '127.0.0.1:7233';
const DAY = 24 * 3600_000;

/** Every `temporal …` line of the ```sh blocks in the section "Finding workflows with the `temporal` CLI". */
function documentedCommands(): string[] {
  const start = DOC.indexOf('## Finding workflows with the `temporal` CLI');
  expect(start, 'docs/workflows.md has the section').toBeGreaterThanOrEqual(0);
  const end = DOC.indexOf('\n## ', start + 1);
  const section = DOC.slice(start, end === -1 ? undefined : end);
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.flatMap((b) => b.split('\n')).filter((l) => l.startsWith('temporal '));
}

/** What each documented command must show, by a piece of the command; and what it must not. */
const EXPECT: { when: string; shows: RegExp[]; not?: RegExp[] }[] = [
  { when: '--workflow-id request/acme/alice', shows: [/request\/acme\/alice/, /extraUsageRequest/] },
  { when: "RequestStatus = 'pending'", shows: [/request\/acme\/alice/], not: [/request\/acme\/bob/] },
  { when: "Member = 'bob' AND RequestStatus = 'approved'", shows: [/request\/acme\/bob/], not: [/request\/acme\/alice/] },
  { when: "WorkflowType = 'capAlert' AND OrgSlug = 'acme' AND StartTime", shows: [/alert\/acme\/seat_limit_reached\/\d+/] },
  { when: "AlertKind = 'seat_limit_reached'", shows: [/alert\/acme\/seat_limit_reached\/\d+/] },
  { when: '--schedule-id digest/acme', shows: [/digest\/acme/, /dailyDigest/] },
  { when: '--workflow-id auto-reload/acme', shows: [/auto-reload\/acme/, /teamAutoReload/] },
  { when: "OrgSlug = 'acme' AND ExecutionStatus = 'Running'", shows: [/request\/acme\/alice/], not: [/request\/acme\/bob/] },
];

let scratch: Scratch;
let env: TestWorkflowEnvironment;
let worker: Awaited<ReturnType<typeof testWorker>>;
let relay: OutboxRelay;
let requests: RequestService;
let cli: string;
let address: string;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  env = await devServerEnv();
  cli = await findTemporalCli();
  address = env.address;
  const db = scratch.db.prisma;
  await enableSearchAttributes(env.client, env.connection, env.namespace ?? 'default');
  worker = await testWorker(env, { db, notifier: recordingNotifier(), payments: ledgerOnlyPayments(db), now: () => new Date() });
  requests = requestService({ db, client: env.client, taskQueue: worker.taskQueue, timings: { remindAfterMs: DAY, expireAfterMs: 7 * DAY }, now: () => new Date() });
  relay = startOutboxRelay({ db, client: env.client, taskQueue: worker.taskQueue, requests }, outboxRoutes(), { intervalMs: 60_000, log: () => {} });
}, 120_000);
afterAll(async () => {
  await relay?.stop();
  await worker?.stop();
  await env?.teardown();
  await scratch?.dispose();
});

/** Runs a documented line through the shell, as an operator pastes it, against our dev server. */
function run(command: string): Promise<{ code: number | null; out: string }> {
  const line = command.replaceAll(DOC_ADDRESS, address).replace(/^temporal /, `'${cli}' `);
  const child = spawn('bash', ['-c', line], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out })));
}

describe('docs/workflows.md: the operator commands', () => {
  it('find Alice\'s request, the org\'s pending and approved requests, today\'s alerts, its schedule and its reload episode', async () => {
    const db = scratch.db.prisma;
    const o = await provision(db, 'acme', enterpriseDoc({ extraUsage: { enabled: true, scope: 'selected_members' } }));
    for (const m of ['alice', 'bob']) await exhaustSeat(db, o.orgId, m);
    // Bob asks and is approved (his run ends); Alice asks: pending.
    const bob = await requests.ask(o.orgId, 'bob');
    await requests.decide(o.orgId, bob.request.requestId, 'admin-1', { decision: 'enable_extra_usage' });
    await env.client.workflow.getHandle(bob.workflowId).result();
    const alice = await requests.ask(o.orgId, 'alice');
    // The seat-limit alerts of both, through the outbox as in production.
    await relay.drain();
    await ensureOrgSchedules(env.client, await db.organization.findUniqueOrThrow({ where: { id: o.orgId } }), worker.taskQueue);
    // A Team-style episode under the org's id scheme (the workflow itself ends at once: not a team org).
    await requestAutoReload(env.client, worker.taskQueue, { id: o.orgId, slug: 'acme' });
    expect(alice.workflowId).toBe('request/acme/alice');
    expect(bob.workflowId).toBe('request/acme/bob');

    const commands = documentedCommands();
    expect(commands.length).toBeGreaterThanOrEqual(EXPECT.length);
    for (const command of commands) {
      const e = EXPECT.find((x) => command.includes(x.when));
      expect(e, `an expectation for the documented command: ${command}`).toBeDefined();
      expect(command, 'documented with --address').toContain(`--address ${DOC_ADDRESS}`);
      // Visibility follows a start or an update by a moment: ask again until it shows.
      let last = { code: null as number | null, out: '' };
      for (let i = 0; i < 60; i++) {
        last = await run(command);
        if (last.code === 0 && e!.shows.every((r) => r.test(last.out)) && !(e!.not ?? []).some((r) => r.test(last.out))) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      expect(last.code, `${command}\n${last.out}`).toBe(0);
      for (const r of e!.shows) expect(last.out, command).toMatch(r);
      for (const r of e!.not ?? []) expect(last.out, command).not.toMatch(r);
    }
  }, 240_000);
});
