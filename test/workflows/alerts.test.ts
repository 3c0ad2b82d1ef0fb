// Cap and threshold alerts on a real Temporal dev server with the real worker and
// the real outbox relay: usage recorded through the ledger, its events routed to
// capAlert workflows, each alert sent once per (subject, threshold, period, cap).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryOutcome } from '../../src/activities/alerts.js';
import { recordUsage } from '../../src/ledger/metering/record.js';
import { setOrgCap } from '../../src/ledger/settings/settings.js';
import { ledgerOnlyPayments } from '../../src/payments/port.js';
import { requestService } from '../../src/services/requests.js';
import { startOutboxRelay, type OutboxRelay, type RelayContext } from '../../src/temporal/outbox-relay.js';
import { alertWorkflowId, outboxRoutes } from '../../src/temporal/outbox-routes.js';
import { orgSlugOf } from '../../src/temporal/names.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, HAIKU, teamDoc, usageOfCents } from '../support/fixtures.js';
import { provision } from '../support/ledger.js';
import { recordingNotifier, type RecordingNotifier } from '../support/recording-notifier.js';
import { devServerEnv, testWorker } from '../support/temporal.js';
import { isOwnersAlert } from '../../src/notify/port.js';

const DAY = 24 * 3600_000;
const ALERTED = ['seat_limit_reached', 'member_cap_reached', 'tier_cap_reached', 'org_cap_threshold', 'balance_below_threshold'];

let scratch: Scratch;
let env: TestWorkflowEnvironment;
let notifier: RecordingNotifier;
let worker: Awaited<ReturnType<typeof testWorker>>;
let ctx: RelayContext;
let relay: OutboxRelay;
const routes = outboxRoutes();

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  env = await devServerEnv();
  notifier = recordingNotifier();
  const db = scratch.db.prisma;
  worker = await testWorker(env, { db, notifier, payments: ledgerOnlyPayments(db), now: () => new Date() });
  const requests = requestService({ db, client: env.client, taskQueue: worker.taskQueue, timings: { remindAfterMs: DAY, expireAfterMs: 7 * DAY }, now: () => new Date() });
  ctx = { db, client: env.client, taskQueue: worker.taskQueue, requests };
  relay = startOutboxRelay(ctx, routes, { intervalMs: 3_600_000, log: () => {} });
});
afterAll(async () => {
  await relay?.stop();
  await worker?.stop();
  await env?.teardown();
  await scratch?.dispose();
});

let n = 0;
let r = 0;
const db = () => scratch.db.prisma;
const spend = (orgId: string, member: string, cents: number) => recordUsage(db(), { orgId, requestId: `r-${++r}`, member, model: HAIKU, usage: usageOfCents(cents) });
const alertEvents = (orgId: string) => db().outboxEvent.findMany({ where: { orgId, type: { in: ALERTED } }, orderBy: { id: 'asc' } });

/** Delivers the outbox and waits for every alert workflow of the org. */
async function settle(orgId: string): Promise<DeliveryOutcome[]> {
  await relay.drain();
  const out: DeliveryOutcome[] = [];
  for (const e of await alertEvents(orgId)) out.push(await env.client.workflow.getHandle(alertWorkflowId(await orgSlugOf(db(), orgId), e.type, e.id)).result());
  return out;
}

const alerts = (orgId: string, kind?: string) => notifier.of('alert').filter((a) => a.alert.orgId === orgId && (!kind || a.alert.kind === kind));
const recipients = (a: { to: { externalId: string }[] }) => a.to.map((p) => p.externalId).sort();

describe('org cap thresholds', () => {
  it('tells owners at 50, 80 and 100 % exactly once, however often the relay delivers, and again after the cap changes', async () => {
    const o = await provision(db(), `caps-${++n}`, enterpriseDoc({ extraUsage: { enabled: true, scope: 'all_members', orgMonthlyCap: '10.00', tierCaps: { standard: null, premium: null } } }));
    // Bob's premium seat includes $3; then $5, $3, $2 of extra usage cross 50, 80, 100 % of $10.
    for (const cents of [300, 500, 300, 200]) await spend(o.orgId, 'bob', cents);
    expect(await settle(o.orgId)).toEqual(['sent', 'sent', 'sent', 'sent']);

    // The relay delivers everything again (a crash between start and mark) ...
    await db().outboxEvent.updateMany({ where: { orgId: o.orgId }, data: { publishedAt: null } });
    await settle(o.orgId);
    // ... a route runs twice for the same event ...
    for (const e of await alertEvents(o.orgId)) await routes[e.type]!(e, ctx);
    // ... and a fresh workflow (the first one's history long gone) delivers an event again.
    const events = await alertEvents(o.orgId);
    for (const e of events) {
      const again = await env.client.workflow.execute('capAlert', { taskQueue: worker.taskQueue, workflowId: `alert/${o.orgId}/${e.id}/again`, args: [{ orgId: o.orgId, eventId: String(e.id), event: { ...(e.payload as object), type: e.type } }] });
      expect(again).toBe('already_sent');
    }
    // The same crossing carried by another event id is a duplicate of the first.
    const eighty = events.find((e) => e.type === 'org_cap_threshold' && (e.payload as { percent: number }).percent === 80)!;
    expect(await env.client.workflow.execute('capAlert', { taskQueue: worker.taskQueue, workflowId: `alert/${o.orgId}/other-event`, args: [{ orgId: o.orgId, eventId: 'other-event', event: { ...(eighty.payload as object), type: 'org_cap_threshold' } }] })).toBe('duplicate');

    const sent = alerts(o.orgId, 'org_cap_threshold');
    // Alert workflows run side by side: compare without order.
    expect(sent.map((a) => a.alert.facts.Threshold).sort()).toEqual(['100%', '50%', '80%']);
    for (const a of sent) expect(recipients(a)).toEqual(['owner-1']);
    const full = sent.find((a) => a.alert.facts.Threshold === '100%')!;
    expect(full.alert.title).toBe('Acme reached its monthly extra usage cap of $10.00');
    expect(full.alert.text).toMatch(/paused for everyone until 1 [A-Z][a-z]{2} \d{4}, 00:00 \(Europe\/Paris\)/);
    const rows = await db().alertDelivery.findMany({ where: { orgId: o.orgId, kind: 'org_cap_threshold' } });
    expect(rows).toHaveLength(3);
    expect(rows.every((row) => row.sentAt !== null)).toBe(true);

    // An owner doubles the cap: $10 spent is now 50 % exactly (no crossing); $6 and $4 cross 80 and 100 % of $20.
    const org = await db().organization.findUniqueOrThrow({ where: { id: o.orgId } });
    await setOrgCap(db(), org, await o.member('owner-1'), 20_000_000_000n);
    await spend(o.orgId, 'bob', 600);
    await spend(o.orgId, 'bob', 400);
    await settle(o.orgId);
    const after = alerts(o.orgId, 'org_cap_threshold');
    expect(after.map((a) => `${a.alert.facts.Threshold} of ${a.alert.facts.Cap}`).sort()).toEqual(['100% of $10.00', '100% of $20.00', '50% of $10.00', '80% of $10.00', '80% of $20.00']);
  }, 60_000);

  it('tells owners when a seat tier reaches its cap', async () => {
    const o = await provision(db(), `tier-${++n}`, enterpriseDoc({ extraUsage: { enabled: true, scope: 'all_members', orgMonthlyCap: null, tierCaps: { standard: '2.00', premium: null } } }));
    await spend(o.orgId, 'admin-1', 100); // the included $1
    await spend(o.orgId, 'admin-1', 250); // $2.50 of extra on a standard seat
    await settle(o.orgId);
    const [tier] = alerts(o.orgId, 'tier_cap_reached');
    expect(recipients(tier!)).toEqual(['owner-1']);
    expect(tier!.alert.facts).toMatchObject({ Tier: 'standard', Cap: '$2.00', Spent: '$2.50' });
  }, 60_000);
});

describe('member alerts', () => {
  it('tells the member (not the owners) at their seat limit, offering "Request extra usage" on enterprise', async () => {
    const o = await provision(db(), `seat-${++n}`, enterpriseDoc({ extraUsage: { enabled: true, scope: 'selected_members' } }));
    const alice = await o.member('alice');
    await spend(o.orgId, 'alice', 100); // Alice's standard seat includes $1; she has no extra usage
    await settle(o.orgId);
    const seat = alerts(o.orgId, 'seat_limit_reached');
    expect(seat).toHaveLength(1);
    expect(recipients(seat[0]!)).toEqual(['alice']);
    expect(seat[0]!.alert).toMatchObject({ canRequestExtraUsage: true, member: { memberId: alice.id, externalId: 'alice' } });
    const resetsAt = (await db().member.findUniqueOrThrow({ where: { id: alice.id } })).windowStartedAt!.getTime() + 300 * 60_000;
    expect(seat[0]!.alert.facts.Resets).toBe(new Date(resetsAt).toISOString());
    expect(alerts(o.orgId).filter((a) => recipients(a).includes('owner-1'))).toHaveLength(0);

    // On a team plan there is nobody to ask.
    const t = await provision(db(), `seat-team-${++n}`, teamDoc({ extraUsage: { enabled: false } }));
    await spend(t.orgId, 'alice', 100);
    await settle(t.orgId);
    expect(alerts(t.orgId, 'seat_limit_reached').map((a) => a.alert.canRequestExtraUsage)).toEqual([false]);
  }, 60_000);

  it('tells the member their own cap pauses them until the month ends in the org timezone', async () => {
    const o = await provision(db(), `member-cap-${++n}`, enterpriseDoc());
    await spend(o.orgId, 'alice', 100); // included $1
    await spend(o.orgId, 'alice', 5_100); // $51 of extra: past Alice's $50 cap
    await settle(o.orgId);
    const capped = alerts(o.orgId, 'member_cap_reached').filter((a) => !isOwnersAlert(a.alert));
    expect(capped).toHaveLength(1);
    expect(recipients(capped[0]!)).toEqual(['alice']);
    // The owners are told too (their "member reached their cap" notice is on by default).
    const owners = alerts(o.orgId, 'member_cap_reached').filter((a) => isOwnersAlert(a.alert));
    expect(owners.map((a) => [recipients(a), a.alert.title])).toEqual([[['owner-1'], 'Alice reached their extra usage cap of $50.00 for this month']]);
    const event = (await db().outboxEvent.findFirstOrThrow({ where: { orgId: o.orgId, type: 'member_cap_reached' } })).payload as { period: string };
    const { monthResetsAt } = await import('../../src/domain/periods.js');
    const resets = monthResetsAt(new Date(`${event.period}-15T12:00:00Z`), 'Europe/Paris');
    expect(capped[0]!.alert.facts).toMatchObject({ Cap: '$50.00', Spent: '$51.00', Resets: resets.toISOString() });
    // The one wording of the refusal she now gets from the gateway (src/domain/refusal-words.ts), with the console link.
    expect(capped[0]!.alert.text).toMatch(/^You reached your monthly extra usage limit \(\$51\.00 of \$50\.00\); it lifts 1 [A-Z][a-z]{2} \d{4}, 00:00 \(Europe\/Paris\)\. To go on sooner, ask to raise your limit( in the web console at |: \S+)\/me$/);
    // She still has extra usage on (her cap paused it), so no "Request extra usage" at her seat limit.
    expect(alerts(o.orgId, 'seat_limit_reached')[0]!.alert.canRequestExtraUsage).toBe(false);
  }, 60_000);
});
