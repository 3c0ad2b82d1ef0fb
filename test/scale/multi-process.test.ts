// Scale-out, proven: three real service processes (A: ROLE=all, B: ROLE=api, C:
// ROLE=worker) on ONE fresh PostgreSQL database and ONE Temporal dev server, started
// together on the empty database. Records for the same members go to A and B, a
// quarter of them to both at once with the same requestId; B is killed with SIGKILL
// mid-load and started again; what it never answered is sent again. Caps are reached
// from both API processes at once, in check and in reservation mode; a request asked
// on one API process is decided on the other. Afterwards only
// invariants are asserted, never timings: each requestId counted once, events =
// member = tier = org month-to-date = balance movements, no hold left, every outbox
// event delivered once (no workflow started twice, one capAlert workflow per alert
// event), each schedule present once, and a key revoked through A refused by B.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTemporalCli } from '../../src/temporal/cli.js';
import { connectTemporal, type TemporalConnection } from '../../src/temporal/connection.js';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server.js';
import { alertWorkflowId, outboxRoutes } from '../../src/temporal/outbox-routes.js';
import { scratchPostgres, type Scratch } from '../support/databases.js';
import { enterpriseDoc, HAIKU, OPERATOR_TOKEN, teamDoc, usageOfCents } from '../support/fixtures.js';
import { call, eventually, startProcess, type Answer, type ServiceProcess } from './processes.js';

const quiet = () => {};
const CLIENTS = 8;
/** Reservation and check loads: $0.50 per request (100,000 haiku output tokens). */
const HALF_DOLLAR = usageOfCents(50);
const NANOS_PER_DOLLAR = 1_000_000_000n;

describe('several service processes on one database and one Temporal', () => {
  let scratch: Scratch;
  let temporalDir: string;
  let devServer: DevServer;
  let temporal: TemporalConnection;
  const lines: Record<'A' | 'B' | 'C', string[]> = { A: [], B: [], C: [] };
  const procs: Partial<Record<'A' | 'B' | 'C', ServiceProcess>> = {};
  let shared: { DATABASE_URL: string; TEMPORAL_ADDRESS: string; OPERATOR_TOKEN: string; CACHE_SYNC_MS: string; TEMPORAL_TASK_QUEUE: string };

  beforeAll(async () => {
    scratch = await scratchPostgres(2);
    temporalDir = mkdtempSync(join(tmpdir(), 'eu-scale-temporal-'));
    devServer = await startDevServer({ cliPath: await findTemporalCli(), dataDir: temporalDir, namespace: 'default', log: quiet });
    temporal = await connectTemporal({ address: devServer.address, namespace: 'default' });
    shared = { DATABASE_URL: scratch.url!, TEMPORAL_ADDRESS: devServer.address, OPERATOR_TOKEN, CACHE_SYNC_MS: '200', TEMPORAL_TASK_QUEUE: 'scale-test' };
    // All three at once on the empty database: they migrate it together.
    const [a, b, c] = await Promise.all([
      startProcess('A', 'all', shared, lines.A),
      startProcess('B', 'api', shared, lines.B),
      startProcess('C', 'worker', shared, lines.C),
    ]);
    Object.assign(procs, { A: a, B: b, C: c });
  }, 300_000);

  afterAll(async () => {
    await Promise.all(Object.values(procs).map((p) => p?.stop()));
    await temporal?.close();
    await devServer?.stop();
    if (temporalDir) rmSync(temporalDir, { recursive: true, force: true });
    await scratch?.dispose();
  }, 120_000);

  it('counts everything once, keeps caps, decides across processes, delivers each event once, and honours a revoked key everywhere', async () => {
    const db = scratch.db.prisma;
    const op = (p: ServiceProcess, method: string, path: string, body?: unknown) => call(p.url, method, path, OPERATOR_TOKEN, body);
    const ok = (a: Answer | null, what: string) => {
      if (!a || a.status >= 300) throw new Error(`${what}: ${a ? `${a.status} ${JSON.stringify(a.body)}` : 'unreachable'}`);
      return a.body;
    };

    // Each process answers its health check.
    for (const p of [procs.A!, procs.B!, procs.C!]) {
      const h = ok(await call(p.url, 'GET', '/health', ''), `health of ${p.name}`);
      expect(h.status).toBe('ok');
    }

    // Provisioned through one process, keys issued through the other.
    const members = [
      { externalId: 'owner-1', name: 'Olivia Owner', role: 'primary_owner' as const, seatTier: 'premium' as const },
      { externalId: 'alice', name: 'Alice', role: 'member' as const, seatTier: 'standard' as const, extraUsageCap: '50.00' },
      { externalId: 'bob', name: 'Bob', role: 'member' as const, seatTier: 'premium' as const },
      { externalId: 'carol', name: 'Carol', role: 'member' as const, seatTier: 'standard' as const, extraUsageCap: '2.00' },
      { externalId: 'dave', name: 'Dave', role: 'member' as const, seatTier: 'standard' as const, extraUsageCap: '2.00' },
    ];
    ok(await op(procs.A!, 'PUT', '/v1/operator/orgs/ent', enterpriseDoc({ members })), 'provision ent');
    ok(await op(procs.A!, 'PUT', '/v1/operator/orgs/team', teamDoc({ autoReload: { enabled: false } })), 'provision team');
    const entKey = ok(await op(procs.B!, 'POST', '/v1/operator/orgs/ent/api-keys', { name: 'gw', scopes: ['usage'] }), 'key ent');
    const teamKey = ok(await op(procs.B!, 'POST', '/v1/operator/orgs/team/api-keys', { name: 'gw', scopes: ['usage'] }), 'key team');

    // 1. Records split across A and B, a quarter sent to both at once; B killed mid-load.
    type Job = { key: string; body: { requestId: string; member: string; model: string; usage: object }; targets: ('A' | 'B')[] };
    const jobs: Job[] = [];
    for (const [key, member] of [[entKey.key, 'alice'], [entKey.key, 'bob'], [teamKey.key, 'alice']] as const) {
      for (let i = 0; i < 60; i++) {
        jobs.push({ key, body: { requestId: `split-${key.slice(-6)}-${member}-${i}`, member, model: HAIKU, usage: usageOfCents(1 + (i % 5)) }, targets: i % 4 === 0 ? ['A', 'B'] : i % 2 ? ['A'] : ['B'] });
      }
    }
    const answers = new Map<string, Answer[]>();
    const unanswered: Job[] = [];
    let done = 0;
    let restarting: Promise<void> | null = null;
    const send = async (job: Job, target: 'A' | 'B') => {
      const a = await call(procs[target]!.url, 'POST', '/v1/usage/record', job.key, job.body);
      if (a && a.status === 200) answers.set(job.body.requestId, [...(answers.get(job.body.requestId) ?? []), a]);
      else if (a === null || a.status >= 500) unanswered.push(job);
      else throw new Error(`record ${job.body.requestId} on ${target}: ${a.status} ${JSON.stringify(a.body)}`);
    };
    const queue = [...jobs];
    await Promise.all(Array.from({ length: CLIENTS }, async () => {
      for (let job = queue.shift(); job; job = queue.shift()) {
        await Promise.all(job.targets.map((t) => send(job!, t)));
        // A third of the way in, B dies without a word, and comes back.
        if (++done === Math.floor(jobs.length / 3) && !restarting) {
          restarting = procs.B!.kill().then(async () => {
            procs.B = await startProcess('B', 'api', shared, lines.B);
          });
        }
      }
    }));
    await restarting;
    expect(lines.B.filter((l) => /listening on/.test(l))).toHaveLength(2);
    // What was never answered is sent again, to both processes.
    for (const job of unanswered.splice(0)) await Promise.all([send(job, 'A'), send(job, 'B')]);
    expect(unanswered).toEqual([]);
    // Every request answered, and every answer of one requestId the same.
    expect(answers.size).toBe(jobs.length);
    for (const [, list] of answers) {
      const costs = new Set(list.map((a) => `${a.body.cost}/${a.body.extra}/${a.body.included}`));
      expect(costs.size).toBe(1);
    }

    // 2. A cap reached from both API processes at once.
    const api = () => [procs.A!, procs.B!];
    let seq = 0;
    const capLoad = async (member: string, reserve: boolean) => {
      const refusals: string[] = [];
      await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
        const p = () => api()[c % 2]!;
        for (let i = 0; i < 40; i++) {
          const requestId = `cap-${member}-${c}-${i}-${++seq}`;
          const asked = ok(await call(p().url, 'POST', '/v1/usage/authorize', entKey.key, { member, model: HAIKU, ...(reserve ? { requestId, estimate: { input_tokens: 0, max_tokens: HALF_DOLLAR.output_tokens } } : {}) }), `authorize ${member}`);
          if (!asked.allowed) {
            refusals.push(asked.reason);
            return;
          }
          ok(await call(p().url, 'POST', '/v1/usage/record', entKey.key, { requestId, member, model: HAIKU, usage: HALF_DOLLAR }), `record ${member}`);
        }
      }));
      return refusals;
    };
    const [checkRefusals, reserveRefusals] = await Promise.all([capLoad('carol', false), capLoad('dave', true)]);
    expect(new Set(checkRefusals)).toEqual(new Set(['member_cap_reached']));
    expect(new Set(reserveRefusals)).toEqual(new Set(['member_cap_reached']));
    const entOrg = await db.organization.findUniqueOrThrow({ where: { slug: 'ent' } });
    const teamOrg = await db.organization.findUniqueOrThrow({ where: { slug: 'team' } });
    const extraOf = async (externalId: string) => {
      const m = await db.member.findUniqueOrThrow({ where: { orgId_externalId: { orgId: entOrg.id, externalId } } });
      const rows = await db.monthlySpend.findMany({ where: { orgId: entOrg.id, scope: 'member', subject: m.id } });
      return rows.reduce((s, r) => s + r.extraNanos, 0n);
    };
    const cap = 2n * NANOS_PER_DOLLAR;
    const half = NANOS_PER_DOLLAR / 2n;
    // Check mode: reached, and past it by at most what was in flight (one request per client).
    const carol = await extraOf('carol');
    expect(carol).toBeGreaterThanOrEqual(cap);
    expect(carol).toBeLessThanOrEqual(cap + BigInt(CLIENTS) * half);
    // Reservation mode: never past it (and refused only once less than a hold was left).
    const dave = await extraOf('dave');
    expect(dave).toBeLessThanOrEqual(cap);
    expect(dave).toBeGreaterThan(cap - half);

    // 3. A member asks through B; an admin decides through A (the request workflow runs
    // on whichever worker takes it); the member may then go on, asked on B.
    ok(await op(procs.A!, 'PUT', '/v1/operator/orgs/req', enterpriseDoc({ extraUsage: { enabled: true, scope: 'selected_members' } })), 'provision req');
    const reqKey = ok(await op(procs.B!, 'POST', '/v1/operator/orgs/req/api-keys', { name: 'app', scopes: ['act_for_members', 'usage'] }), 'key req');
    ok(await call(procs.B!.url, 'POST', '/v1/usage/record', reqKey.key, { requestId: 'req-seat', member: 'alice', model: HAIKU, usage: usageOfCents(100) }), 'use the seat');
    expect(ok(await call(procs.A!.url, 'POST', '/v1/usage/authorize', reqKey.key, { member: 'alice', model: HAIKU }), 'authorize at seat limit')).toMatchObject({ allowed: false, reason: 'seat_limit_reached' });
    const asked = ok(await call(procs.B!.url, 'POST', '/v1/requests', reqKey.key, { note: 'quarter end' }, { 'x-actor': 'alice' }), 'ask');
    ok(await call(procs.A!.url, 'POST', `/v1/requests/${asked.requestId}/decision`, reqKey.key, { decision: 'enable_extra_usage', cap: '5.00' }, { 'x-actor': 'admin-1' }), 'decide');
    const goesOn = async () => ok(await call(procs.B!.url, 'POST', '/v1/usage/authorize', reqKey.key, { member: 'alice', model: HAIKU }), 'authorize after decision').allowed === true;
    expect(await eventually(goesOn, 30_000)).toBe(true);

    // 4. A price row added through B applies on A within the bound (a new model's first
    // price: A had just looked it up and found none).
    const model = 'claude-scale-test-1';
    const before = ok(await call(procs.A!.url, 'POST', '/v1/usage/authorize', entKey.key, { member: 'alice', model }), 'authorize unpriced');
    expect(before).toMatchObject({ allowed: false, reason: 'model_unpriced' });
    ok(await op(procs.B!, 'POST', '/v1/operator/prices', {
      model, effectiveFrom: new Date(Date.now() - 60_000).toISOString(), longContextAboveTokens: 0,
      perMillionTokens: { input: '1.00', cacheWrite5m: '1.25', cacheWrite1h: '2.00', cacheRead: '0.10', output: '5.00' },
    }), 'add price');
    const priced = async () => ok(await call(procs.A!.url, 'POST', '/v1/usage/authorize', entKey.key, { member: 'alice', model }), 'authorize priced').reason !== 'model_unpriced';
    expect(await eventually(priced, 30_000)).toBe(true);

    // 5. A key revoked through A is refused by B within the bound (CACHE_SYNC_MS = 200 ms
    // here; the loop allows a loaded machine far more, it asserts only that it happens).
    const probe = { member: 'alice', model: HAIKU };
    expect((await call(procs.B!.url, 'POST', '/v1/usage/authorize', teamKey.key, probe))!.status).toBe(200);
    ok(await op(procs.A!, 'DELETE', `/v1/operator/orgs/team/api-keys/${teamKey.id}`), 'revoke');
    expect((await call(procs.A!.url, 'POST', '/v1/usage/authorize', teamKey.key, probe))!.status).toBe(401);
    expect(await eventually(async () => (await call(procs.B!.url, 'POST', '/v1/usage/authorize', teamKey.key, probe))?.status === 401, 30_000)).toBe(true);

    // 6. Invariants, from the database.
    // Each requestId counted once.
    const dupes = await db.$queryRaw<{ n: bigint }[]>`SELECT COUNT(*) AS n FROM (SELECT "orgId", "requestId" FROM "UsageEvent" GROUP BY 1, 2 HAVING COUNT(*) > 1) d`;
    expect(Number(dupes[0]!.n)).toBe(0);
    const splitEvents = await db.usageEvent.count({ where: { requestId: { startsWith: 'split-' } } });
    expect(splitEvents).toBe(jobs.length);
    // Events = member = tier = org month-to-date, per org and period.
    const bySubject = await db.$queryRaw<{ orgId: string; period: string; scope: string; subject: string; extra: string; included: string; n: string }[]>`
      SELECT e."orgId", e."period", 'member' AS scope, e."memberId" AS subject, SUM(e."extraNanos")::text AS extra, SUM(e."includedNanos")::text AS included, COUNT(*)::text AS n
        FROM "UsageEvent" e WHERE e."costNanos" IS NOT NULL GROUP BY 1, 2, 4
      UNION ALL
      SELECT e."orgId", e."period", 'tier', m."seatTier"::text, SUM(e."extraNanos")::text, SUM(e."includedNanos")::text, COUNT(*)::text
        FROM "UsageEvent" e JOIN "Member" m ON m."id" = e."memberId" WHERE e."costNanos" IS NOT NULL GROUP BY 1, 2, 4
      UNION ALL
      SELECT e."orgId", e."period", 'org', 'org', SUM(e."extraNanos")::text, SUM(e."includedNanos")::text, COUNT(*)::text
        FROM "UsageEvent" e WHERE e."costNanos" IS NOT NULL GROUP BY 1, 2`;
    const spend = await db.monthlySpend.findMany({ where: { scope: { in: ['member', 'tier', 'org'] } } });
    const key = (r: { orgId: string; period: string; scope: string; subject: string }) => `${r.orgId}/${r.period}/${r.scope}/${r.subject}`;
    const fromEvents = Object.fromEntries(bySubject.map((r) => [key(r), `${r.extra}/${r.included}/${r.n}`]));
    const fromSpend = Object.fromEntries(spend.filter((r) => r.eventCount > 0 || r.extraNanos > 0n || r.includedNanos > 0n).map((r) => [key(r), `${r.extraNanos}/${r.includedNanos}/${r.eventCount}`]));
    expect(fromSpend).toEqual(fromEvents);
    // No hold left behind, none counted twice.
    expect(spend.filter((r) => r.reservedNanos !== 0n)).toEqual([]);
    expect(await db.reservation.count({ where: { settledAt: null, releasedAt: null } })).toBe(0);
    expect((await db.organization.findMany()).filter((o) => o.heldBalanceNanos !== 0n)).toEqual([]);
    // Balance = credits - extra usage (team).
    const credits = (await db.balanceEntry.findMany({ where: { orgId: teamOrg.id } })).reduce((s, e) => s + e.amountNanos, 0n);
    const teamExtra = (await db.usageEvent.findMany({ where: { orgId: teamOrg.id }, select: { extraNanos: true } })).reduce((s, e) => s + e.extraNanos, 0n);
    expect((await db.organization.findUniqueOrThrow({ where: { id: teamOrg.id } })).balanceNanos).toBe(credits - teamExtra);

    // Every outbox event delivered, once.
    expect(await eventually(async () => (await db.outboxEvent.count({ where: { publishedAt: null } })) === 0, 120_000, 250)).toBe(true);
    const all = [...lines.A, ...lines.B, ...lines.C];
    expect(all.filter((l) => /already started/.test(l))).toEqual([]);
    // One capAlert workflow per alert event, none more.
    const routes = outboxRoutes();
    const alertTypes = Object.keys(routes).filter((t) => routes[t] === routes.member_cap_reached);
    const alertEvents = await db.outboxEvent.findMany({ where: { type: { in: alertTypes } } });
    expect(alertEvents.length).toBeGreaterThan(0);
    const slugs = new Map((await db.organization.findMany({ select: { id: true, slug: true } })).map((o) => [o.id, o.slug]));
    const expected = alertEvents.map((e) => alertWorkflowId(slugs.get(e.orgId)!, e.type, e.id)).sort();
    const listAlerts = async () => {
      const ids: string[] = [];
      for await (const w of temporal.client.workflow.list({ query: `WorkflowType = 'capAlert'` })) ids.push(w.workflowId);
      return ids.sort();
    };
    await eventually(async () => (await listAlerts()).length >= expected.length, 60_000, 500);
    expect(await listAlerts()).toEqual(expected);
    // Each schedule present once: two per org, ensured by A, C and each provisioning.
    const listSchedules = async () => {
      const ids: string[] = [];
      for await (const s of temporal.client.schedule.list()) ids.push(s.scheduleId);
      return ids.sort();
    };
    const orgSlugs = (await db.organization.findMany({ select: { slug: true } })).map((o) => o.slug);
    expect(orgSlugs).toHaveLength(3);
    await eventually(async () => (await listSchedules()).length >= orgSlugs.length * 2, 60_000, 500);
    expect(await listSchedules()).toEqual(orgSlugs.flatMap((slug) => [`digest/${slug}`, `month-end/${slug}`]).sort());
    // Nothing failing on any process.
    for (const p of [procs.A!, procs.B!, procs.C!]) {
      const h = ok(await call(p.url, 'GET', '/health', ''), `health of ${p.name}`);
      expect(h).toMatchObject({ status: 'ok', outbox: { failing: 0 }, schedules: { failing: [] } });
    }
  }, 600_000);
});
