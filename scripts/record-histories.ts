// Records real histories of every workflow (workflows/index.ts) on a Temporal dev
// server with the real worker into test/workflows/histories/<workflow>-<scenario>.json.
// The replay test runs today's workflow code against them, so a change that breaks
// determinism fails CI. A history already on disk is kept as it is (its scenario is not
// run): to re-record one on purpose, delete its file and run
// `npx tsx scripts/record-histories.ts`.
import { randomUUID } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { previousPeriod } from '../src/domain/invoices.js';
import { periodOf, periodStart } from '../src/domain/periods.js';
import { creditBalance } from '../src/ledger/settings/balance.js';
import { recordUsage } from '../src/ledger/metering/record.js';
import { openRequest } from '../src/ledger/requests/requests.js';
import { alertDay, unpricedAlertKey, unpricedSubjectOf } from '../src/domain/unpriced-alert.js';
import { requestService } from '../src/services/requests.js';
import { startOutboxRelay } from '../src/temporal/outbox-relay.js';
import { alertWorkflowId, outboxRoutes } from '../src/temporal/outbox-routes.js';
import { teamAutoReloadId } from '../src/temporal/auto-reload.js';
import { orgSlugOf } from '../src/temporal/names.js';
import { enableSearchAttributes } from '../src/temporal/search-attributes.js';
import type { RequestState } from '../workflows/messages.js';
import { monthEndWorkflowId } from '../workflows/month-end.js';
import { migrated, scratchPglite } from '../test/support/databases.js';
import { enterpriseDoc, HAIKU, teamDoc, usageOfCents } from '../test/support/fixtures.js';
import { exhaustSeat, provision } from '../test/support/ledger.js';
import { recordingNotifier } from '../test/support/recording-notifier.js';
import { devServerEnv, testWorker } from '../test/support/temporal.js';
import { flakyPayments } from '../test/support/payments.js';
import { PaymentDeclined, PaymentPending, type PaymentProvider } from '../src/payments/port.js';
import { randomBytes } from 'node:crypto';
import { connectOrg } from '../src/anthropic/connection.js';
import { secretBox } from '../src/secrets/secret-box.js';
import { startAdminApi } from '../test/support/anthropic-admin-api.js';
import { anthropicRequestWorkflowId } from '../workflows/anthropic-poll.js';

const OUT = new URL('../test/workflows/histories/', import.meta.url);
const USD = 1_000_000_000n;
const DAY = 86_400_000;

const scratch = await migrated(scratchPglite);
const env = await devServerEnv();
// Workflows started as the service starts them: with our search attributes (docs/workflows.md).
await enableSearchAttributes(env.client, env.connection, env.namespace ?? 'default');
const db = scratch.db.prisma;
const payments = flakyPayments(db);
// Errors the processor answers an org's next charges with (PaymentPending, PaymentDeclined), before flakyPayments' rules.
const scripted = new Map<string, Error[]>();
const provider: PaymentProvider = {
  async charge(req) {
    const next = scripted.get(req.orgId)?.shift();
    if (next) throw next;
    return payments.provider.charge(req);
  },
};
// A stand-in of the Anthropic Admin API for the connected org's scenarios (docs/claude.md).
const ADMIN_KEY = 'sk-ant-admin01-recorded-histories-0123456789';
const adminApi = await startAdminApi({ key: ADMIN_KEY });
const anthropic = { box: secretBox(randomBytes(32)), baseUrl: adminApi.url };
const worker = await testWorker(env, { db, notifier: recordingNotifier(), payments: provider, now: () => new Date(), operators: { emails: ['ops@example.com'], notifier: recordingNotifier() }, anthropic });
const service = (remindAfterMs: number, expireAfterMs: number) =>
  requestService({ db, client: env.client, taskQueue: worker.taskQueue, timings: { remindAfterMs, expireAfterMs }, now: () => new Date() });
// The real relay and routes, with a fast payment retry policy for auto-reloads. Without
// org_provisioned: per-org Schedules would only add runs nobody records.
const { org_provisioned: _schedules, ...routes } = outboxRoutes({ autoReload: { maximumAttempts: 3, initialIntervalMs: 100, rounds: 2, backoffMs: 200 } });
const relay = startOutboxRelay({ db, client: env.client, taskQueue: worker.taskQueue, requests: service(DAY, 7 * DAY) }, routes, { intervalMs: 3_600_000, log: () => {} });

async function openedState(workflowId: string): Promise<RequestState> {
  for (;;) {
    const state = (await env.client.workflow.getHandle(workflowId).query('state')) as RequestState;
    if (state.requestId) return state;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The connected org of the Anthropic scenarios, made once: owner, admin, Alice and Bob mirrored. */
let claudeOrg: Promise<string> | null = null;
const connectedOrg = () => (claudeOrg ??= (async () => {
  const doc = enterpriseDoc();
  doc.members = doc.members.map((m) => ({ ...m, email: `${m.externalId}@acme.example` }));
  const o = await provision(db, 'claude-org', doc);
  adminApi.addUser({ id: 'user_owner', email: 'owner-1@acme.example', name: 'Olivia Owner', role: 'primary_owner' });
  adminApi.addUser({ id: 'user_admin', email: 'admin-1@acme.example', name: 'Adam Admin', role: 'admin' });
  adminApi.addUser({ id: 'user_alice', email: 'alice@acme.example', name: 'Alice', role: 'user' });
  adminApi.addUser({ id: 'user_bob', email: 'bob@acme.example', name: 'Bob', role: 'user' });
  await connectOrg(db, anthropic, o.orgId, ADMIN_KEY, 'operator');
  return o.orgId;
})());
let polls = 0;
/** One poll of the connected org, run to its end; its workflow id. */
async function pollClaude(): Promise<string> {
  const workflowId = `anthropic-poll/claude-org/recorded-${++polls}`;
  await env.client.workflow.execute('anthropicPoll', { taskQueue: worker.taskQueue, workflowId, args: [{ orgId: await connectedOrg(), remindAfterMs: DAY }] });
  return workflowId;
}

let r = 0;
const spend = (orgId: string, member: string, cents: number, at?: Date) =>
  recordUsage(db, { orgId, requestId: `rec-${++r}-${randomUUID()}`, member, model: HAIKU, usage: usageOfCents(cents), ...(at ? { at } : {}) });

/** The id of the org's only outbox event of this type. */
async function eventId(orgId: string, type: string): Promise<string> {
  const events = await db.outboxEvent.findMany({ where: { orgId, type } });
  if (events.length !== 1) throw new Error(`expected one ${type} event of ${orgId}, found ${events.length}`);
  return String(events[0]!.id);
}

/** A team org (threshold $10, reload $50) with $20 bought and Alice's included $1 used up. */
async function teamOrg(slug: string) {
  const o = await provision(db, slug, teamDoc({ autoReload: { enabled: true, threshold: '10.00', amount: '50.00' } }));
  const org = await db.organization.findUniqueOrThrow({ where: { id: o.orgId } });
  await creditBalance(db, org, { kind: 'purchase', amountNanos: 20n * USD, idempotencyKey: 'seed', actor: 'recorder' });
  await spend(o.orgId, 'alice', 100);
  return o;
}

/**
 * Alice spends $15 ($20 -> $5, below the $10 threshold) and the per-crossing autoReload
 * of earlier releases is started as its route used to (the episode workflow is kept out).
 */
async function reloadOf(orgId: string): Promise<string> {
  await spend(orgId, 'alice', 1500);
  await db.outboxEvent.updateMany({ where: { orgId, type: 'auto_reload_wanted' }, data: { publishedAt: new Date() } });
  await relay.drain();
  const crossing = await eventId(orgId, 'balance_below_threshold');
  const workflowId = `auto-reload/${orgId}/${crossing}`;
  await env.client.workflow.start('autoReload', { taskQueue: worker.taskQueue, workflowId, args: [{ orgId, triggerEventId: crossing, maximumAttempts: 3, initialIntervalMs: 100 }] });
  return workflowId;
}

/** Alice spends $15 ($20 -> $5); the balance watch opens the org's episode (teamAutoReload), whose history is returned. */
async function episodeOf(orgId: string): Promise<string> {
  await spend(orgId, 'alice', 1500);
  await relay.drain();
  return teamAutoReloadId(await orgSlugOf(db, orgId));
}

/** Each scenario drives one workflow and returns its workflow id; `expect` is checked against its result. */
const scenarios: { file: string; expect?: (result: any) => boolean; run: () => Promise<string> }[] = [
  {
    file: 'extra-usage-request-approved',
    async run() {
      const slow = service(DAY, 7 * DAY);
      const a = await provision(db, 'approved', enterpriseDoc());
      const asked = await slow.ask(a.orgId, 'alice', 'Need it for the launch');
      const state = await openedState(asked.workflowId);
      await slow.decide(a.orgId, state.requestId!, 'bob', { decision: 'deny' }).catch(() => {}); // refused: a member
      await slow.decide(a.orgId, state.requestId!, 'admin-1', { decision: 'enable_extra_usage', cap: '25.00' });
      return asked.workflowId;
    },
  },
  {
    // Started with the search attributes: RequestStatus is upserted when the admin decides.
    file: 'extra-usage-request-denied-status',
    expect: (result) => result.status === 'denied',
    async run() {
      const slow = service(DAY, 7 * DAY);
      const d = await provision(db, 'denied-status', enterpriseDoc({ extraUsage: { enabled: true, scope: 'selected_members' } }));
      await exhaustSeat(db, d.orgId, 'alice');
      const asked = await slow.ask(d.orgId, 'alice');
      const state = await openedState(asked.workflowId);
      await slow.decide(d.orgId, state.requestId!, 'admin-1', { decision: 'deny' });
      return asked.workflowId;
    },
  },
  {
    file: 'extra-usage-request-expired',
    async run() {
      const e = await provision(db, 'expired', enterpriseDoc());
      return (await service(500, 1_500).ask(e.orgId, 'alice')).workflowId;
    },
  },
  {
    file: 'extra-usage-request-cancelled',
    async run() {
      const slow = service(DAY, 7 * DAY);
      const c = await provision(db, 'cancelled', enterpriseDoc());
      const cancelling = await slow.ask(c.orgId, 'bob');
      await openedState(cancelling.workflowId);
      await slow.cancel(c.orgId, (await c.member('bob')).id, 'member_left');
      return cancelling.workflowId;
    },
  },
  {
    // Bob's premium seat includes $3; $5 of extra usage crosses 50 % of the $10 org cap.
    file: 'cap-alert-sent',
    expect: (result) => result === 'sent',
    async run() {
      const o = await provision(db, 'cap-alert', enterpriseDoc({ extraUsage: { enabled: true, scope: 'all_members', orgMonthlyCap: '10.00', tierCaps: { standard: null, premium: null } } }));
      await spend(o.orgId, 'bob', 300);
      await spend(o.orgId, 'bob', 500);
      await relay.drain();
      return alertWorkflowId('cap-alert', 'org_cap_threshold', await eventId(o.orgId, 'org_cap_threshold'));
    },
  },
  {
    // The same crossing carried by another event id: told once already.
    file: 'cap-alert-duplicate',
    expect: (result) => result === 'duplicate',
    async run() {
      const o = await provision(db, 'cap-alert-duplicate', enterpriseDoc({ extraUsage: { enabled: true, scope: 'all_members', orgMonthlyCap: '10.00', tierCaps: { standard: null, premium: null } } }));
      await spend(o.orgId, 'bob', 300);
      await spend(o.orgId, 'bob', 500);
      await relay.drain();
      const first = await eventId(o.orgId, 'org_cap_threshold');
      await env.client.workflow.getHandle(alertWorkflowId('cap-alert-duplicate', 'org_cap_threshold', first)).result();
      const event = await db.outboxEvent.findUniqueOrThrow({ where: { id: BigInt(first) } });
      const workflowId = `alert/${o.orgId}/other-event`;
      await env.client.workflow.start('capAlert', { taskQueue: worker.taskQueue, workflowId, args: [{ orgId: o.orgId, eventId: 'other-event', event: { ...(event.payload as object), type: event.type } }] });
      return workflowId;
    },
  },
  {
    file: 'auto-reload-reloaded',
    expect: (result) => result.outcome === 'reloaded',
    async run() {
      const o = await teamOrg('auto-reload');
      return reloadOf(o.orgId);
    },
  },
  {
    // Declined twice, then charged on the third attempt.
    file: 'auto-reload-payment-retried',
    expect: (result) => result.outcome === 'reloaded',
    async run() {
      const o = await teamOrg('auto-reload-retried');
      payments.failures.set(o.orgId, 2);
      return reloadOf(o.orgId);
    },
  },
  {
    // Declined on every attempt: owners are told, nothing is credited.
    file: 'auto-reload-payment-failed',
    expect: (result) => result.outcome === 'failed',
    async run() {
      const o = await teamOrg('auto-reload-failed');
      payments.failures.set(o.orgId, Infinity);
      return reloadOf(o.orgId);
    },
  },
  {
    // An episode that knows its org's slug: its notice is alert/<slug>/reload_succeeded/…, with OrgSlug and AlertKind.
    file: 'team-auto-reload-named-notice',
    expect: (result) => result.outcome === 'above_threshold' && result.reloads === 1,
    async run() {
      return episodeOf((await teamOrg('team-auto-reload-named')).orgId);
    },
  },
  {
    file: 'team-auto-reload-reloaded',
    expect: (result) => result.outcome === 'above_threshold' && result.reloads === 1,
    async run() {
      return episodeOf((await teamOrg('team-auto-reload')).orgId);
    },
  },
  {
    // The first round (3 attempts) declined: owners told, a back-off, then the second round charges.
    file: 'team-auto-reload-retried',
    expect: (result) => result.outcome === 'above_threshold' && result.reloads === 1 && result.failedRounds === 1,
    async run() {
      const o = await teamOrg('team-auto-reload-retried');
      payments.failures.set(o.orgId, 3);
      return episodeOf(o.orgId);
    },
  },
  {
    // Declined in both rounds: owners told once, the episode gives up.
    file: 'team-auto-reload-gave-up',
    expect: (result) => result.outcome === 'failed' && result.failedRounds === 2,
    async run() {
      const o = await teamOrg('team-auto-reload-gave-up');
      payments.failures.set(o.orgId, Infinity);
      return episodeOf(o.orgId);
    },
  },
  {
    // Sent but not confirmed for four tries (a whole round and more): the same key again, then charged.
    file: 'team-auto-reload-pending',
    expect: (result) => result.outcome === 'above_threshold' && result.reloads === 1 && result.failedRounds === 0,
    async run() {
      const o = await teamOrg('team-auto-reload-pending');
      scripted.set(o.orgId, Array.from({ length: 4 }, () => new PaymentPending('payment pi_1 is not confirmed yet')));
      return episodeOf(o.orgId);
    },
  },
  {
    // Declined at once in the first round (final for its key), charged in the second.
    file: 'team-auto-reload-declined',
    expect: (result) => result.outcome === 'above_threshold' && result.reloads === 1 && result.failedRounds === 1,
    async run() {
      const o = await teamOrg('team-auto-reload-declined');
      scripted.set(o.orgId, [new PaymentDeclined('your card has insufficient funds')]);
      return episodeOf(o.orgId);
    },
  },
  {
    // A record for a model the price book does not know: kept unpriced, the operators told once.
    file: 'unpriced-alert-sent',
    expect: (result) => result === 'sent',
    async run() {
      const o = await provision(db, 'unpriced-alert', enterpriseDoc());
      const model = 'claude-recorded-20270101';
      const res = await recordUsage(db, { orgId: o.orgId, requestId: `rec-unpriced-${randomUUID()}`, member: 'alice', model, usage: usageOfCents(10) });
      if (res.response.priced !== false) throw new Error('expected the record to be kept unpriced');
      await relay.drain();
      const event = await db.outboxEvent.findFirstOrThrow({ where: { orgId: o.orgId, type: 'usage_unpriced' } });
      const p = event.payload as { family: string; reason: string };
      return unpricedAlertKey(unpricedSubjectOf(p.family, p.reason), alertDay(event.createdAt));
    },
  },
  {
    // A connected org's poll finds a pending increase request and starts its request workflow.
    file: 'anthropic-poll-opened',
    expect: (result) => result.opened === 1,
    async run() {
      await connectedOrg();
      adminApi.addRequest('user_alice', { period: 'monthly', limitCents: '5000', spentCents: '5000' });
      return pollClaude();
    },
  },
  {
    // That request approved in claude.ai: the next poll signals it closed.
    file: 'extra-usage-request-claude-decided-there',
    expect: (result) => result.status === 'approved',
    async run() {
      await connectedOrg();
      const pending = [...adminApi.requests.values()].find((x) => x.status === 'pending' && x.actor.type === 'user_actor' && x.actor.user_id === 'user_alice')
        ?? adminApi.addRequest('user_alice', { period: 'monthly' });
      await pollClaude();
      const workflowId = anthropicRequestWorkflowId('claude-org', pending.id);
      await openedState(workflowId);
      adminApi.decideInClaude(pending.id, 'approved', 'user_owner');
      await pollClaude();
      return workflowId;
    },
  },
  {
    // An admin raises Bob's limit here: one approve at Anthropic, then recorded.
    file: 'extra-usage-request-claude-increase-limit',
    expect: (result) => result.status === 'approved' && result.view?.decision === 'increase_limit',
    async run() {
      const orgId = await connectedOrg();
      const asked = adminApi.addRequest('user_bob', { period: 'weekly', limitCents: '2000', spentCents: '2000' });
      await pollClaude();
      const workflowId = anthropicRequestWorkflowId('claude-org', asked.id);
      const state = await openedState(workflowId);
      const admin = await db.member.findFirstOrThrow({ where: { orgId, externalId: 'admin-1' } });
      await service(DAY, 7 * DAY).decide(orgId, state.requestId!, admin.id, { decision: 'increase_limit', amount: '30.00', period: 'weekly' });
      return workflowId;
    },
  },
  {
    file: 'daily-digest-sent',
    expect: (result) => result.sent === true && result.requests === 1,
    async run() {
      const o = await provision(db, 'daily-digest', enterpriseDoc());
      const runId = randomUUID();
      await openRequest(db, { orgId: o.orgId, memberId: (await o.member('alice')).id, workflowId: `recorded-request/${runId}`, runId, requestedAt: new Date(Date.now() - 26 * 3600_000), note: null });
      const workflowId = `digest/${o.orgId}/recorded`;
      await env.client.workflow.start('dailyDigest', { taskQueue: worker.taskQueue, workflowId, args: [{ orgId: o.orgId }] });
      return workflowId;
    },
  },
  {
    // Last month (Paris): Alice reached her $50 cap (told she is active again), Bob a cent over his allowance.
    file: 'month-end-closed',
    expect: (result) => result.invoice.created === true && result.invoice.total === '50.01' && result.reactivated.length === 1,
    async run() {
      const o = await provision(db, 'month-end', enterpriseDoc());
      const period = previousPeriod(periodOf(new Date(), 'Europe/Paris'));
      const at = new Date(periodStart(period, 'Europe/Paris').getTime() + 10 * DAY);
      await spend(o.orgId, 'alice', 100, at);
      await spend(o.orgId, 'alice', 5_000, at);
      await spend(o.orgId, 'bob', 300, at);
      await spend(o.orgId, 'bob', 1, at);
      const workflowId = monthEndWorkflowId(o.orgId, period);
      await env.client.workflow.start('monthEnd', { taskQueue: worker.taskQueue, workflowId, args: [{ orgId: o.orgId, period }] });
      return workflowId;
    },
  },
];

try {
  for (const s of scenarios) {
    const file = new URL(`${s.file}.json`, OUT);
    if (existsSync(file)) {
      console.log(`kept ${s.file} (already recorded)`);
      continue;
    }
    const handle = env.client.workflow.getHandle(await s.run());
    const result = await handle.result();
    if (s.expect && !s.expect(result)) throw new Error(`${s.file}: unexpected result ${JSON.stringify(result)}`);
    writeFileSync(file, historyToJSON(await handle.fetchHistory()) + '\n', { flag: 'wx' });
    console.log(`recorded ${s.file}`);
  }
} finally {
  await adminApi.close();
  await relay.stop();
  await worker.stop();
  await env.teardown();
  await scratch.dispose();
}
