// Records real histories of the request workflow (approved, denied by a refused
// decider first, expired, cancelled) into test/workflows/histories/. The replay test
// runs today's workflow code against them, so a change that breaks determinism
// fails CI. Re-record only on purpose: `npx tsx scripts/record-histories.ts`.
import { writeFileSync } from 'node:fs';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { ledgerOnlyPayments } from '../src/payments/port.js';
import { requestService } from '../src/services/requests.js';
import type { RequestState } from '../workflows/messages.js';
import { migrated, scratchPglite } from '../test/support/databases.js';
import { enterpriseDoc } from '../test/support/fixtures.js';
import { provision } from '../test/support/ledger.js';
import { recordingNotifier } from '../test/support/recording-notifier.js';
import { devServerEnv, testWorker } from '../test/support/temporal.js';

const OUT = new URL('../test/workflows/histories/', import.meta.url);
const scratch = await migrated(scratchPglite);
const env = await devServerEnv();
const db = scratch.db.prisma;
const worker = await testWorker(env, { db, notifier: recordingNotifier(), payments: ledgerOnlyPayments(db), now: () => new Date() });
const service = (remindAfterMs: number, expireAfterMs: number) =>
  requestService({ db, client: env.client, taskQueue: worker.taskQueue, timings: { remindAfterMs, expireAfterMs }, now: () => new Date() });

async function openedState(workflowId: string): Promise<RequestState> {
  for (;;) {
    const state = (await env.client.workflow.getHandle(workflowId).query('state')) as RequestState;
    if (state.requestId) return state;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function save(name: string, workflowId: string) {
  const handle = env.client.workflow.getHandle(workflowId);
  await handle.result();
  writeFileSync(new URL(`extra-usage-request-${name}.json`, OUT), historyToJSON(await handle.fetchHistory()) + '\n');
  console.log(`recorded ${name}`);
}

try {
  const slow = service(86_400_000, 7 * 86_400_000);
  const a = await provision(db, 'approved', enterpriseDoc());
  const asked = await slow.ask(a.orgId, 'alice', 'Need it for the launch');
  const state = await openedState(asked.workflowId);
  await slow.decide(a.orgId, state.requestId!, 'bob', { decision: 'deny' }).catch(() => {}); // refused: a member
  await slow.decide(a.orgId, state.requestId!, 'admin-1', { decision: 'enable_extra_usage', cap: '25.00' });
  await save('approved', asked.workflowId);

  const e = await provision(db, 'expired', enterpriseDoc());
  const expiring = await service(500, 1_500).ask(e.orgId, 'alice');
  await save('expired', expiring.workflowId);

  const c = await provision(db, 'cancelled', enterpriseDoc());
  const cancelling = await slow.ask(c.orgId, 'bob');
  await openedState(cancelling.workflowId);
  await slow.cancel(c.orgId, (await c.member('bob')).id, 'member_left');
  await save('cancelled', cancelling.workflowId);
} finally {
  await worker.stop();
  await env.teardown();
  await scratch.dispose();
}
