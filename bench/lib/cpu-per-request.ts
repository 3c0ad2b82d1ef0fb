// CPU per request (issue 29): the CPU time the service process and the PostgreSQL
// backends serving it spent per authorize, record and gateway request. A fixed number of
// requests at a fixed concurrency, the CPU read from /proc before and after: time on a
// CPU, not wall-clock time, so other work on the machine lengthens every request without
// adding to these processes' CPU (it still moves the figure: shared caches, and how many
// requests arrive together to share a statement or a batch).
//
// Service: every thread of the service process (/proc/<pid>/task/*/schedstat, in
// nanoseconds; the GC and libuv threads count too). PostgreSQL: the backends connected
// to the bench's own database (pg_stat_activity), sampled while the line runs so a
// backend opened or closed meanwhile is counted; PostgreSQL's shared background
// processes (WAL writer, checkpointer) serve every database on the server and are left out.
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import pg from 'pg';
import { startMessagesApi } from '../../test/support/messages-api.js';
import { MODELS, seed, usageSample } from './seed.js';
import { gatewayBenchOrg } from './gateway.js';
import { freshPostgres, startServiceProcess, type ServiceProcess } from './service-process.js';

export interface CpuLine {
  what: 'authorize' | 'record' | 'gateway';
  database: 'pglite' | 'postgres';
  requests: number;
  errors: number;
  connections: number;
  /** Microseconds of CPU per request. */
  serviceUs: number;
  /** PostgreSQL backends' microseconds per request (null on PGlite: the database runs inside the service). */
  postgresUs: number | null;
}

const TICK_NS = 1e7; // USER_HZ = 100

/** Nanoseconds a process has run on a CPU: all its threads (schedstat), else utime+stime ticks. */
function cpuNanos(pid: number): number | null {
  try {
    let sum = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        sum += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        /* thread gone */
      }
    }
    return sum;
  } catch {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(f[11]) + Number(f[12])) * TICK_NS;
    } catch {
      return null;
    }
  }
}

/** Follows the backends of one database: the CPU each used since it was first seen (from its start if it began meanwhile). */
async function backendMeter(url: string) {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const own = (await admin.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
  const db = new URL(url).pathname.slice(1);
  const pids = async () => (await admin.query('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> $2', [db, own])).rows.map((r) => r.pid as number);
  return {
    async start() {
      const first = new Map<number, number>();
      const last = new Map<number, number>();
      const sample = async (fresh: boolean) => {
        for (const pid of await pids()) {
          const ns = cpuNanos(pid);
          if (ns === null) continue;
          if (!first.has(pid)) first.set(pid, fresh ? ns : 0);
          last.set(pid, ns);
        }
        // A backend that ended keeps its last reading.
      };
      await sample(true);
      let sampling = Promise.resolve();
      const timer = setInterval(() => { sampling = sampling.then(() => sample(false)).catch(() => {}); }, 100);
      return async () => {
        clearInterval(timer);
        await sampling;
        await sample(false);
        return [...last].reduce((s, [pid, ns]) => s + ns - (first.get(pid) ?? 0), 0);
      };
    },
    close: () => admin.end(),
  };
}

/** A fixed number of requests at a fixed concurrency (closed loop). */
async function fire(url: string, path: string, headers: Record<string, string>, body: (i: number) => string, amount: number, connections: number) {
  let i = 0;
  const r = await autocannon({
    url,
    connections,
    amount,
    timeout: 30,
    requests: [{ method: 'POST', path, headers: { 'content-type': 'application/json', ...headers }, setupRequest: (req: any) => ({ ...req, body: body(i++) }) }],
  });
  return { requests: r['2xx'], errors: r.errors + r.timeouts + r.non2xx };
}

async function measured(service: ServiceProcess, meter: Awaited<ReturnType<typeof backendMeter>> | null, run: () => Promise<{ requests: number; errors: number }>) {
  const s0 = cpuNanos(service.pid)!;
  const stop = meter ? await meter.start() : null;
  const r = await run();
  const s1 = cpuNanos(service.pid)!;
  const dbNanos = stop ? await stop() : null;
  const per = (ns: number) => Math.round(ns / 1000 / Math.max(1, r.requests));
  return { ...r, serviceUs: per(s1 - s0), postgresUs: dbNanos === null ? null : per(dbNanos) };
}

/** Authorize and record against the bench's org (1,000 members, 3,000 records of history). */
async function meteringLines(database: 'pglite' | 'postgres', amount: number, log: (l: CpuLine) => void): Promise<void> {
  const pgdb = database === 'postgres' ? await freshPostgres() : null;
  const service = await startServiceProcess({ databaseUrl: pgdb?.url, port: Number(process.env.BENCH_CPU_PORT ?? 3960) + (database === 'postgres' ? 1 : 0) });
  const meter = pgdb ? await backendMeter(pgdb.url) : null;
  try {
    const { key, members } = await seed(service.url, service.operatorToken);
    const headers = { authorization: `Bearer ${key}` };
    const authorize = (i: number) => JSON.stringify({ member: `user-${(i * 7) % members}`, model: MODELS[i % MODELS.length] });
    const record = (i: number) => JSON.stringify({ requestId: randomUUID(), member: `user-${(i * 13) % members}`, model: MODELS[i % MODELS.length], usage: usageSample(i) });
    // Warm the JIT, the caches and the pool before counting.
    await fire(service.url, '/v1/usage/authorize', headers, authorize, 1000, 16);
    await fire(service.url, '/v1/usage/record', headers, record, 1000, 16);
    for (const [what, path, body] of [['authorize', '/v1/usage/authorize', authorize], ['record', '/v1/usage/record', record]] as const) {
      const r = await measured(service, meter, () => fire(service.url, path, headers, body, amount, 16));
      log({ what, database, connections: 16, ...r });
    }
  } finally {
    await meter?.close();
    await service.stop();
    await pgdb?.drop();
  }
}

/** A JSON model request through the built-in gateway (authorize, forward, record) on PostgreSQL. */
async function gatewayLine(amount: number, log: (l: CpuLine) => void): Promise<void> {
  const standIn = await startMessagesApi();
  const pgdb = await freshPostgres();
  const service = await startServiceProcess({ databaseUrl: pgdb.url, port: Number(process.env.BENCH_CPU_PORT ?? 3960) + 2, env: { SECRETS_KEY: randomBytes(32).toString('base64'), GATEWAY_UPSTREAM_URL: standIn.url } });
  const meter = await backendMeter(pgdb.url);
  try {
    const memberKey = await gatewayBenchOrg(service);
    standIn.plan({ usage: { input_tokens: 100, output_tokens: 50 }, text: 'A short answer from the stand-in.' });
    const json = JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 256, messages: [{ role: 'user', content: 'Hello' }] });
    const headers = { 'x-api-key': memberKey, 'anthropic-version': '2023-06-01' };
    await fire(service.url, '/anthropic/v1/messages', headers, () => json, 500, 16);
    const r = await measured(service, meter, () => fire(service.url, '/anthropic/v1/messages', headers, () => json, amount, 16));
    log({ what: 'gateway', database: 'postgres', connections: 16, ...r });
  } finally {
    await meter.close();
    await service.stop();
    await pgdb.drop();
    await standIn.close();
  }
}

export async function measureCpuPerRequest(databases: ('pglite' | 'postgres')[], amount: number, log: (l: CpuLine) => void): Promise<CpuLine[]> {
  const lines: CpuLine[] = [];
  const keep = (l: CpuLine) => {
    lines.push(l);
    log(l);
  };
  for (const database of databases) await meteringLines(database, amount, keep);
  if (databases.includes('postgres')) await gatewayLine(Math.round(amount / 2), keep);
  return lines;
}

export function cpuReport(lines: CpuLine[], meta: { machine: string; commit: string; command: string }): string {
  const row = (l: CpuLine) => {
    const total = l.serviceUs + (l.postgresUs ?? 0);
    return `| ${l.what} | ${l.database} | ${l.requests.toLocaleString('en-US')} | ${l.serviceUs} | ${l.postgresUs ?? '(inside the service)'} | ${total} | ${l.errors} |`;
  };
  return `## CPU per request (issue 29)

Written by \`npm run bench\` (bench/lib/cpu-per-request.ts; \`BENCH_ONLY=cpu npm run bench\` runs only
this part). The service as its own process, the bench org (1,000 members, 3,000 records of
history); after a warm-up, a fixed number of requests at 16 connections, and the CPU time
(not wall-clock time) the service process (all its threads) and the PostgreSQL backends
connected to the bench database used meanwhile, divided by the requests answered. These
move far less than rates on a busy machine, but they do move: a shared core's caches make
every instruction dearer, and the authorizes or records that arrive together share one
statement or one batch, so the work per request depends on how many arrive at once (on a
very busy machine the same commit measured up to 2x apart). Compare runs made side by side,
and more than one of each. The gateway
line is a JSON model request through \`/anthropic/v1/messages\` (authorize, the forwarded call
to a local stand-in in the bench process, and the record after it).

- Machine: ${meta.machine}
- Commit: ${meta.commit}
- Command: \`${meta.command}\`
- Date: ${new Date().toISOString()}

| request | database | requests | service µs | PostgreSQL backends µs | total µs | errors |
|---|---|---|---|---|---|---|
${lines.map(row).join('\n')}
`;
}
