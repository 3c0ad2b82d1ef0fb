// `npm run bench`: starts the service itself (embedded PGlite, then PostgreSQL),
// loads it over loopback and writes BENCHMARKS.md with the figures, the machine,
// the commit and the command.
import { execSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { bareHttpFloor, load, pgUpdateFloor, type LoadResult } from './lib/load.js';
import { writeSection } from './lib/report.js';
import { freshPostgres, startServiceProcess } from './lib/service-process.js';
import { MODELS, seed, usageSample } from './lib/seed.js';
import { measureScaledOut } from './lib/scaled.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const results: LoadResult[] = [];
const log = (r: LoadResult) => {
  results.push(r);
  console.log(`${r.name.padEnd(58)} ${r.database.padEnd(9)} ${String(r.rps).padStart(7)}/s  p50 ${r.p50} ms  p99 ${r.p99} ms  max ${r.max} ms  errors ${r.errors}`);
};

async function measureService(database: 'pglite' | 'postgres') {
  const pgdb = database === 'postgres' ? await freshPostgres() : null;
  const service = await startServiceProcess({ databaseUrl: pgdb?.url, port: 3900 + (database === 'postgres' ? 1 : 0) });
  try {
    const { key, members } = await seed(service.url, service.operatorToken);
    const headers = { authorization: `Bearer ${key}` };
    const authorizeMany = (i: number) => JSON.stringify({ member: `user-${(i * 7) % members}`, model: MODELS[i % MODELS.length] });
    const record = (i: number) => JSON.stringify({ requestId: randomUUID(), member: `user-${(i * 13) % members}`, model: MODELS[i % MODELS.length], usage: usageSample(i) });
    log(await load({ name: 'authorize, 1,000 members', database, url: service.url, path: '/v1/usage/authorize', headers, body: authorizeMany, connections: 32, seconds: SECONDS }));
    log(await load({ name: 'authorize, one hot member', database, url: service.url, path: '/v1/usage/authorize', headers, body: () => JSON.stringify({ member: 'user-1', model: MODELS[0] }), connections: 32, seconds: SECONDS }));
    // Both at once: records as fast as they go while authorize keeps a steady 1,000/s,
    // and both as fast as they go (they then share the one service process's CPU).
    const [rec, auth] = await Promise.all([
      load({ name: 'record (durable), authorize at 1,000/s beside', database, url: service.url, path: '/v1/usage/record', headers, body: record, connections: 16, seconds: SECONDS }),
      load({ name: 'authorize at 1,000/s, beside records', database, url: service.url, path: '/v1/usage/authorize', headers, body: authorizeMany, connections: 8, seconds: SECONDS, rate: 1000 }),
    ]);
    log(rec);
    log(auth);
    const [rec2, auth2] = await Promise.all([
      load({ name: 'record (durable), authorize flat out beside', database, url: service.url, path: '/v1/usage/record', headers, body: record, connections: 16, seconds: SECONDS }),
      load({ name: 'authorize flat out, beside records', database, url: service.url, path: '/v1/usage/authorize', headers, body: authorizeMany, connections: 16, seconds: SECONDS }),
    ]);
    log(rec2);
    log(auth2);
    log(await load({ name: 'record (durable), one hot member', database, url: service.url, path: '/v1/usage/record', headers, body: (i) => JSON.stringify({ requestId: randomUUID(), member: 'user-2', model: MODELS[1], usage: usageSample(i) }), connections: 16, seconds: SECONDS }));
  } finally {
    await service.stop();
    await pgdb?.drop();
  }
}

function commit(): string {
  try {
    const sha = execSync('git rev-parse --short HEAD').toString().trim();
    const dirty = execSync('git status --porcelain --untracked-files=no').toString().trim() ? ' (with uncommitted changes)' : '';
    return sha + dirty;
  } catch {
    return 'unknown';
  }
}

function report(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const row = (r: LoadResult) => `| ${r.name} | ${r.database} | ${r.rps.toLocaleString('en-US')} | ${r.p50} | ${r.p99} | ${r.max} | ${r.errors} |`;
  const find = (name: string, db: string) => results.find((r) => r.name.startsWith(name) && r.database === db);
  const verdict = (r: LoadResult | undefined, rps: number, p99: number) => (!r ? 'not measured' : r.rps >= rps && r.p99 <= p99 ? 'met' : `short (${r.rps.toLocaleString('en-US')}/s, p99 ${r.p99} ms)`);
  return `# Benchmarks

Written by \`npm run bench\` (bench/run.ts). Each line: autocannon over loopback
against the service started as its own process (\`src/main.ts\`), ${SECONDS} s per line,
load generator on the same machine. The org has 1,000 members over both seat tiers
with caps, seeded with 3,000 recorded requests over four models and every token kind.

- Machine: ${os.cpus().length} cores (${cpu}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}
- Commit: ${commit()}
- Command: \`npm run bench\` (BENCH_SECONDS=${SECONDS})
- Date: ${new Date().toISOString()}

| what | database | requests/s | p50 ms | p99 ms | max ms | errors |
|---|---|---|---|---|---|---|
${results.map(row).join('\n')}

## Against the targets (issue 6)
| target | PostgreSQL | embedded (PGlite; target within 2×) |
|---|---|---|
| authorize ≥ 5,000/s, p99 ≤ 10 ms | ${verdict(find('authorize, 1,000', 'postgres'), 5000, 10)} | ${verdict(find('authorize, 1,000', 'pglite'), 2500, 20)} |
| record ≥ 2,000/s, p99 ≤ 25 ms, with authorize running (1,000/s) | ${verdict(find('record (durable), authorize at', 'postgres'), 2000, 25)} | ${verdict(find('record (durable), authorize at', 'pglite'), 1000, 50)} |

The floors above (a bare Node handler answering a constant; one row updated with a
durable commit per statement) are the ceiling this machine gives any design.

How the figures are reached, and where they fall short:
- authorize is one SQL round trip (no ORM query building), and the authorizes that
  arrive together share one statement; API keys, the org's timezone and the price
  book are cached briefly (caps and spend never are: every answer reads them fresh).
- record is durable: it is acknowledged after its transaction commits. Records that
  arrive while a batch commits share the next transaction (group commit), a fixed
  handful of statements per batch, so one durable commit and one pass over the hot
  org and tier rows serve many records.
- Where record is short of 2,000/s beside authorize: records are written by one
  batch at a time, so their rate is batch size over batch time; alone they reach the
  target (the "one hot member" line). Beside authorize, the authorizes are served on
  the same event loop between a batch's statements, and each batch takes longer. A
  second and third concurrent batch writer were measured and did worse (smaller
  batches waiting on the same hot org row), so one stays. The database is far from
  its floor. Beyond this, a deployment runs several service processes against one
  PostgreSQL (the ledger is correct with any number: row locks, conditional updates,
  unique keys), which a 2-core machine shared with the load generator cannot show.
- PGlite runs inside the service's own thread, so there authorize and record take
  turns: side by side, each gets part of the time the other does not.
`;
}

async function main() {
  // BENCH_ONLY=scaled: the scaled-out lines alone, printed, BENCHMARKS.md left as it is
  // (a smoke run on a shared machine).
  if (process.env.BENCH_ONLY === 'scaled') {
    await measureScaledOut(SECONDS, log);
    return;
  }
  log(await bareHttpFloor(SECONDS, 32));
  const pg = await freshPostgres();
  try {
    log(await pgUpdateFloor(pg.url, SECONDS, 1));
    log(await pgUpdateFloor(pg.url, SECONDS, 16));
  } finally {
    await pg.drop();
  }
  const databases = (process.env.BENCH_DATABASES ?? 'pglite,postgres').split(',') as ('pglite' | 'postgres')[];
  for (const database of databases) await measureService(database);
  if (databases.includes('postgres')) await measureScaledOut(SECONDS, log);
  const text = report();
  writeSection('throughput', text);
  console.log('\n' + text);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
