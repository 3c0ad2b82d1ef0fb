// The daily digest and the per-org Schedules on a real Temporal dev server with the
// real worker: schedules in the org's timezone (next action times checked against
// instants computed by hand from the DST rules), kept up to date idempotently, and
// a triggered digest that lists outstanding requests once per local date.
// The time-skipping test server has no Schedules ("Failed to create schedule"), so
// it only runs the digest workflow itself there, to let a day pass in a second.
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestActivities, localDateOf, type DigestResult } from '../../src/activities/digest.js';
import type { ActivityDeps } from '../../src/activities/deps.js';
import type { Db } from '../../src/db/client.js';
import { openRequest } from '../../src/ledger/requests/requests.js';
import type { Notifier } from '../../src/notify/port.js';
import { ledgerOnlyPayments } from '../../src/payments/port.js';
import { requestService } from '../../src/services/requests.js';
import { startOutboxRelay } from '../../src/temporal/outbox-relay.js';
import { outboxRoutes } from '../../src/temporal/outbox-routes.js';
import { orgSlugOf } from '../../src/temporal/names.js';
import { digestScheduleId, ensureAllSchedules, ensureOrgSchedules, monthEndScheduleId, ScheduleProblems } from '../../src/temporal/schedules.js';
import { BACKENDS, migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc } from '../support/fixtures.js';
import { provision } from '../support/ledger.js';
import { recordingNotifier, type RecordingNotifier } from '../support/recording-notifier.js';
import { devServerEnv, testWorker, timeSkippingEnv } from '../support/temporal.js';

const HOUR = 3600_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- Wall-clock time to instants, by hand from the published DST rules (no Intl) ----
const sundaysOf = (y: number, m0: number) => {
  const out: number[] = [];
  for (let d = 1; d <= 31; d++) {
    const t = new Date(Date.UTC(y, m0, d));
    if (t.getUTCMonth() === m0 && t.getUTCDay() === 0) out.push(d);
  }
  return out;
};
const ZONES = {
  // EU: summer time from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October.
  'Europe/Paris': (utc: number) => {
    const y = new Date(utc).getUTCFullYear();
    const summer = utc >= Date.UTC(y, 2, sundaysOf(y, 2).at(-1)!, 1) && utc < Date.UTC(y, 9, sundaysOf(y, 9).at(-1)!, 1);
    return summer ? 2 : 1;
  },
  // US: daylight time from 02:00 PST on the second Sunday of March to 02:00 PDT on the first Sunday of November.
  'America/Los_Angeles': (utc: number) => {
    const y = new Date(utc).getUTCFullYear();
    const summer = utc >= Date.UTC(y, 2, sundaysOf(y, 2)[1]!, 10) && utc < Date.UTC(y, 10, sundaysOf(y, 10)[0]!, 9);
    return summer ? -7 : -8;
  },
} as const;
type Zone = keyof typeof ZONES;

/** The instant a local wall-clock time happens (the times used here are never in a DST gap or overlap). */
function instantOf(zone: Zone, y: number, m0: number, d: number, h: number, min = 0): number {
  const wall = Date.UTC(y, m0, d, h, min);
  const first = wall - ZONES[zone](wall) * HOUR;
  return wall - ZONES[zone](first) * HOUR;
}
function localToday(zone: Zone, now: number) {
  const l = new Date(now + ZONES[zone](now) * HOUR);
  return { y: l.getUTCFullYear(), m0: l.getUTCMonth(), d: l.getUTCDate() };
}
/** The next `count` local `hour`:00 instants after `now`. */
function expectedDaily(zone: Zone, hour: number, now: number, count: number): string[] {
  const { y, m0, d } = localToday(zone, now);
  const out: string[] = [];
  for (let i = -1; out.length < count; i++) {
    const t = instantOf(zone, y, m0, d + i, hour); // Date.UTC rolls days over months and years
    if (t > now) out.push(new Date(t).toISOString());
  }
  return out;
}
/** The next `count` local 00:05 on the 1st instants after `now`. */
function expectedMonthly(zone: Zone, now: number, count: number): string[] {
  const { y, m0 } = localToday(zone, now);
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) {
    const t = instantOf(zone, y, m0 + i, 1, 0, 5);
    if (t > now) out.push(new Date(t).toISOString());
  }
  return out;
}

// ---- A dev server, a worker, an in-memory database ----
let scratch: Scratch;
let env: TestWorkflowEnvironment;
let notifier: RecordingNotifier;
let worker: Awaited<ReturnType<typeof testWorker>>;
let db: Db;

const depsOf = (d: Db, n: Notifier, now = () => new Date()): ActivityDeps => ({ db: d, notifier: n, payments: ledgerOnlyPayments(d), now });

let n = 0;
async function org(over: { timezone?: Zone; digestHour?: number } = {}) {
  const slug = `digest-${++n}`;
  const doc = enterpriseDoc({ timezone: over.timezone ?? 'Europe/Paris', digestHour: over.digestHour ?? 9 });
  const o = await provision(db, slug, doc);
  const row = async () => db.organization.findUniqueOrThrow({ where: { id: o.orgId } });
  return { ...o, slug, doc, row };
}

async function ask(orgId: string, memberId: string, requestedAt: Date): Promise<string> {
  const runId = randomUUID();
  return openRequest(db, { orgId, memberId, workflowId: `test-request/${runId}`, runId, requestedAt, note: null });
}

/** Triggers the schedule now and waits for the digest run it started. */
async function triggerDigest(orgId: string): Promise<DigestResult> {
  const handle = env.client.schedule.getHandle(digestScheduleId(await orgSlugOf(db, orgId)));
  const before = (await handle.describe()).info.recentActions.length;
  await handle.trigger();
  for (let i = 0; i < 400; i++) {
    const actions = (await handle.describe()).info.recentActions;
    if (actions.length > before) {
      const { workflowId, firstExecutionRunId } = actions.at(-1)!.action.workflow;
      return env.client.workflow.getHandle(workflowId, firstExecutionRunId).result();
    }
    await sleep(50);
  }
  throw new Error('the schedule never started a digest');
}

async function scheduleIdsOf(orgSlug: string, expected: number): Promise<string[]> {
  // Listing goes through visibility, which follows creation with a short delay.
  let ids: string[] = [];
  for (let i = 0; i < 100; i++) {
    ids = [];
    for await (const s of env.client.schedule.list()) if (s.scheduleId.endsWith(`/${orgSlug}`)) ids.push(s.scheduleId);
    if (ids.length >= expected) break;
    await sleep(100);
  }
  return ids.sort();
}

const digestsFor = (orgId: string) => notifier.of('digest').filter((d) => d.digest.orgId === orgId);

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  db = scratch.db.prisma;
  env = await devServerEnv();
  notifier = recordingNotifier();
  worker = await testWorker(env, depsOf(db, notifier));
});
afterAll(async () => {
  await worker?.stop();
  await env?.teardown();
  await scratch?.dispose();
});

describe('org schedules', () => {
  it.each([
    ['Europe/Paris', 8],
    ['America/Los_Angeles', 7],
  ] as const)('creates the digest and month-end schedules of an org in %s, at its local hour and at its local 00:05 on the 1st', async (timezone, digestHour) => {
    const o = await org({ timezone, digestHour });
    await ensureOrgSchedules(env.client, await o.row(), worker.taskQueue);

    const now = Date.now();
    const digest = await env.client.schedule.getHandle(digestScheduleId(o.slug)).describe();
    expect(digest.spec.timezone).toBe(timezone);
    expect(digest.spec.calendars).toHaveLength(1);
    expect(digest.spec.calendars![0]).toMatchObject({ hour: [{ start: digestHour, end: digestHour }], minute: [{ start: 0, end: 0 }] });
    expect(digest.action).toMatchObject({ type: 'startWorkflow', workflowType: 'dailyDigest', taskQueue: worker.taskQueue, args: [{ orgId: o.orgId }] });
    expect(digest.policies.overlap).toBe('SKIP');
    const digestTimes = digest.info.nextActionTimes.map((t) => t.toISOString());
    expect(digestTimes.length).toBeGreaterThanOrEqual(3);
    expect(digestTimes).toEqual(expectedDaily(timezone, digestHour, now, digestTimes.length));

    const monthEnd = await env.client.schedule.getHandle(monthEndScheduleId(o.slug)).describe();
    expect(monthEnd.spec.timezone).toBe(timezone);
    expect(monthEnd.spec.calendars![0]).toMatchObject({ dayOfMonth: [{ start: 1, end: 1 }], hour: [{ start: 0, end: 0 }], minute: [{ start: 5, end: 5 }] });
    expect(monthEnd.action).toMatchObject({ type: 'startWorkflow', workflowType: 'monthEnd', args: [{ orgId: o.orgId }] });
    expect(monthEnd.policies.overlap).toBe('SKIP');
    const monthTimes = monthEnd.info.nextActionTimes.map((t) => t.toISOString());
    expect(monthTimes.length).toBeGreaterThanOrEqual(3);
    expect(monthTimes).toEqual(expectedMonthly(timezone, now, monthTimes.length));
  });

  it('closes a Los Angeles month at its own midnight, not at midnight UTC', async () => {
    const o = await org({ timezone: 'America/Los_Angeles' });
    await ensureOrgSchedules(env.client, await o.row(), worker.taskQueue);
    const [next] = (await env.client.schedule.getHandle(monthEndScheduleId(o.slug)).describe()).info.nextActionTimes;
    // 00:05 in Los Angeles is 07:05 (daylight time) or 08:05 (standard time) UTC on the 1st.
    expect(next!.getUTCDate()).toBe(1);
    expect([7, 8]).toContain(next!.getUTCHours());
    expect(next!.getUTCMinutes()).toBe(5);
  });

  it('keeps one schedule per kind when ensured twice, and follows a new digest hour from re-provisioning', async () => {
    const o = await org({ timezone: 'Europe/Paris', digestHour: 9 });
    await ensureOrgSchedules(env.client, await o.row(), worker.taskQueue);
    await ensureOrgSchedules(env.client, await o.row(), worker.taskQueue);
    expect(await scheduleIdsOf(o.slug, 2)).toEqual([digestScheduleId(o.slug), monthEndScheduleId(o.slug)]);

    // The operator moves the digest to 07:00; the outbox relay re-plans the schedules.
    await provision(db, o.slug, { ...o.doc, digestHour: 7 });
    const requests = requestService({ db, client: env.client, taskQueue: worker.taskQueue, timings: { remindAfterMs: 24 * HOUR, expireAfterMs: 7 * 24 * HOUR }, now: () => new Date() });
    const relay = startOutboxRelay({ db, client: env.client, taskQueue: worker.taskQueue, requests }, outboxRoutes(), { intervalMs: 100_000 });
    try {
      await relay.drain();
    } finally {
      await relay.stop();
    }
    const now = Date.now();
    const digest = await env.client.schedule.getHandle(digestScheduleId(o.slug)).describe();
    expect(digest.spec.calendars![0]).toMatchObject({ hour: [{ start: 7, end: 7 }] });
    const times = digest.info.nextActionTimes.map((t) => t.toISOString());
    expect(times).toEqual(expectedDaily('Europe/Paris', 7, now, times.length));
    expect(await scheduleIdsOf(o.slug, 2)).toEqual([digestScheduleId(o.slug), monthEndScheduleId(o.slug)]);
  });

  it('keeps a schedule paused by an operator paused when it is brought up to date', async () => {
    const o = await org();
    await ensureOrgSchedules(env.client, await o.row(), worker.taskQueue);
    await env.client.schedule.getHandle(digestScheduleId(o.slug)).pause('paused for the test');
    await ensureOrgSchedules(env.client, { ...(await o.row()), digestHourLocal: 10 }, worker.taskQueue);
    const digest = await env.client.schedule.getHandle(digestScheduleId(o.slug)).describe();
    expect(digest.state.paused).toBe(true);
    expect(digest.spec.calendars![0]).toMatchObject({ hour: [{ start: 10, end: 10 }] });
  });

  it('ensures every org at start, and one org whose stored timezone Temporal cannot read does not stop the others', async () => {
    const o = await org();
    // A row written before timezones were checked: the API no longer accepts it.
    const bad = await org();
    await db.organization.update({ where: { id: bad.orgId }, data: { timezone: 'Mars/Olympus_Mons' } });
    const problems = new ScheduleProblems();
    const result = await ensureAllSchedules(env.client, db, worker.taskQueue, problems);
    expect(result.ensured).toBe((await db.organization.count()) - 1);
    expect(result.failed).toEqual([{ orgId: bad.orgId, error: expect.stringContaining("timezone 'Mars/Olympus_Mons'") }]);
    expect(problems.list()).toEqual([expect.objectContaining({ orgId: bad.orgId })]);
    await expect(env.client.schedule.getHandle(digestScheduleId(o.slug)).describe()).resolves.toBeTruthy();
    await expect(env.client.schedule.getHandle(monthEndScheduleId(o.slug)).describe()).resolves.toBeTruthy();
    // Fixed by its document: the next ensure clears the problem.
    await db.organization.update({ where: { id: bad.orgId }, data: { timezone: 'Europe/Paris' } });
    await ensureOrgSchedules(env.client, await bad.row(), worker.taskQueue, problems);
    expect(problems.list()).toEqual([]);
  });

  it.each(['europe/paris', 'utc', 'US/Pacific-New', 'GMT', 'Asia/Kolkata'])('stores %s by its canonical name, which Temporal schedules in', async (given) => {
    const o = await org({ timezone: given as Zone });
    const stored = (await o.row()).timezone;
    expect(stored).toMatch(/^(UTC|[A-Z][A-Za-z_]+\/[A-Z][A-Za-z_]+)$/);
    await ensureOrgSchedules(env.client, await o.row(), worker.taskQueue);
    const digest = await env.client.schedule.getHandle(digestScheduleId(o.slug)).describe();
    expect(digest.spec.timezone).toBe(stored);
  });
});

describe('daily digest', () => {
  it('sends the admins one digest listing the outstanding requests when its schedule triggers', async () => {
    const o = await org();
    await ensureOrgSchedules(env.client, await o.row(), worker.taskQueue);
    const alice = await o.member('alice');
    const bob = await o.member('bob');
    const aliceAsked = new Date(Date.now() - 26 * HOUR);
    await ask(o.orgId, alice.id, aliceAsked);
    await ask(o.orgId, bob.id, new Date(Date.now() - 2 * HOUR));

    const result = await triggerDigest(o.orgId);
    const today = localDateOf(new Date(), 'Europe/Paris');
    expect(result).toEqual({ sent: true, localDate: today, requests: 2 });
    const sent = digestsFor(o.orgId);
    expect(sent).toHaveLength(1);
    const { digest, to } = sent[0]!;
    expect(digest.orgName).toBe('Acme');
    // Oldest first, with who, the seat they asked from and when.
    expect(digest.requests.map((r) => [r.requester.externalId, r.seatTier, r.status])).toEqual([['alice', 'standard', 'pending'], ['bob', 'premium', 'pending']]);
    expect(digest.requests[0]!.requestedAt).toBe(aliceAsked.toISOString());
    expect(to.map((p) => p.externalId).sort()).toEqual(['admin-1', 'owner-1']);
    const row = await db.alertDelivery.findUniqueOrThrow({ where: { orgId_dedupeKey: { orgId: o.orgId, dedupeKey: `digest:${today}` } } });
    expect(row.sentAt).not.toBeNull();
  });

  it('is skipped when nothing is outstanding', async () => {
    const o = await org();
    await ensureOrgSchedules(env.client, await o.row(), worker.taskQueue);
    expect(await triggerDigest(o.orgId)).toMatchObject({ sent: false, reason: 'nothing_pending' });
    expect(digestsFor(o.orgId)).toHaveLength(0);
    expect(await db.alertDelivery.count({ where: { orgId: o.orgId } })).toBe(0);
  });

  it('sends one digest when triggered twice the same day', async () => {
    const o = await org({ timezone: 'America/Los_Angeles' });
    await ensureOrgSchedules(env.client, await o.row(), worker.taskQueue);
    await ask(o.orgId, (await o.member('alice')).id, new Date(Date.now() - HOUR));
    expect(await triggerDigest(o.orgId)).toMatchObject({ sent: true });
    expect(await triggerDigest(o.orgId)).toMatchObject({ sent: false, reason: 'already_sent' });
    expect(digestsFor(o.orgId)).toHaveLength(1);
  });
});

describe.each(BACKENDS)('digest dedupe on $kind', ({ open }) => {
  let s: Scratch;
  beforeAll(async () => {
    s = await migrated(open);
  });
  afterAll(async () => {
    await s?.dispose();
  });

  async function orgWithRequest(slug: string) {
    const o = await provision(s.db.prisma, slug, enterpriseDoc());
    const alice = await o.member('alice');
    await openRequest(s.db.prisma, { orgId: o.orgId, memberId: alice.id, workflowId: `wf-${slug}`, runId: randomUUID(), requestedAt: new Date(), note: null });
    return o.orgId;
  }

  it('sends once when two runs race for the same local date', async () => {
    const orgId = await orgWithRequest('race');
    const rec = recordingNotifier();
    const { sendDigest } = digestActivities(depsOf(s.db.prisma, rec));
    const at = new Date().toISOString();
    const results = await Promise.all(['run-a', 'run-b', 'run-c', 'run-d'].map((runId) => sendDigest({ orgId, at, runId })));
    expect(results.filter((r) => r.sent)).toHaveLength(1);
    expect(rec.of('digest')).toHaveLength(1);
  });

  it('lets the claiming run retry a failed send, keeps other runs out, and lets a stale claim be taken over', async () => {
    const orgId = await orgWithRequest('retry');
    const rec = recordingNotifier();
    let failures = 1;
    const flaky: Notifier = { ...rec, digest: async (d, a) => (failures-- > 0 ? Promise.reject(new Error('SMTP down')) : rec.digest(d, a)) };
    let clock = new Date('2026-11-16T08:00:00Z');
    const { sendDigest } = digestActivities(depsOf(s.db.prisma, flaky, () => clock));
    const at = '2026-11-16T08:00:00.000Z';

    await expect(sendDigest({ orgId, at, runId: 'run-a' })).rejects.toThrow('SMTP down');
    expect(await sendDigest({ orgId, at, runId: 'run-b' })).toMatchObject({ sent: false, reason: 'being_sent' });
    // run-a's workflow is gone; after the lease another run may send.
    clock = new Date(clock.getTime() + 11 * 60_000);
    expect(await sendDigest({ orgId, at, runId: 'run-b' })).toMatchObject({ sent: true, localDate: '2026-11-16' });
    expect(await sendDigest({ orgId, at, runId: 'run-a' })).toMatchObject({ sent: false, reason: 'already_sent' });
    // The next local day is a new digest.
    expect(await sendDigest({ orgId, at: '2026-11-16T23:30:00.000Z', runId: 'run-c' })).toMatchObject({ sent: true, localDate: '2026-11-17' });
    expect(rec.of('digest')).toHaveLength(2);
  });
});

describe('daily digest on the time-skipping test server', () => {
  // No Schedules there: the workflow is started directly, and a day passes in a second.
  let tsEnv: TestWorkflowEnvironment;
  let tsWorker: Awaited<ReturnType<typeof testWorker>>;
  let tsNotifier: RecordingNotifier;
  beforeAll(async () => {
    tsEnv = await timeSkippingEnv();
    tsNotifier = recordingNotifier();
    tsWorker = await testWorker(tsEnv, depsOf(db, tsNotifier));
  });
  afterAll(async () => {
    await tsWorker?.stop();
    await tsEnv?.teardown();
  });

  const run = (orgId: string) => tsEnv.client.workflow.execute('dailyDigest', { taskQueue: tsWorker.taskQueue, workflowId: `digest-ts-${randomUUID()}`, args: [{ orgId }] }) as Promise<DigestResult>;

  // The test server may jump its clock by up to an activity's 6-hour schedule-to-close
  // timeout between runs, so each day is begun at 09:00 local: any such jump stays
  // within that local date, at whatever hour of the real day the test runs.
  const LA = 'America/Los_Angeles';
  async function skipToLocalNine() {
    const now = await tsEnv.currentTimeMs();
    let t = Math.ceil((now + 1) / HOUR) * HOUR;
    while (Number(new Intl.DateTimeFormat('en-US', { timeZone: LA, hour: 'numeric', hourCycle: 'h23' }).format(new Date(t))) !== 9) t += HOUR;
    await tsEnv.sleep(t - now);
  }

  it('sends one digest per local day, the day taken from the workflow start time', async () => {
    const o = await org({ timezone: LA });
    await ask(o.orgId, (await o.member('alice')).id, new Date(Date.now() - HOUR));
    await skipToLocalNine();
    const day1 = localDateOf(new Date(await tsEnv.currentTimeMs()), LA);
    expect(await run(o.orgId)).toEqual({ sent: true, localDate: day1, requests: 1 });
    expect(await run(o.orgId)).toMatchObject({ sent: false, localDate: day1, reason: 'already_sent' });

    await skipToLocalNine();
    const day2 = localDateOf(new Date(await tsEnv.currentTimeMs()), LA);
    expect(day2).not.toBe(day1);
    expect(await run(o.orgId)).toEqual({ sent: true, localDate: day2, requests: 1 });
    expect(tsNotifier.of('digest').filter((d) => d.digest.orgId === o.orgId).map((d) => localDateOf(new Date(d.digest.at), LA))).toEqual([day1, day2]);
  });
});
