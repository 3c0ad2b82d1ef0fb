// The scaled-out shape on one PostgreSQL database: 2 API processes (ROLE=api) and 1
// worker (ROLE=worker) sharing one Temporal dev server. The load generator drives
// both API processes at once; a line's rate is the sum of the two, its latencies the
// worse of the two (percentiles cannot be added).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { findTemporalCli } from '../../src/temporal/cli.js';
import { startDevServer } from '../../src/temporal/dev-server.js';
import { load, type LoadResult, type LoadSpec } from './load.js';
import { MODELS, seed, usageSample } from './seed.js';
import { freshPostgres, startServiceProcess } from './service-process.js';

/** Two loads run together, one per API process, reported as one line. */
export function combined(name: string, parts: LoadResult[]): LoadResult {
  return {
    name,
    database: parts[0]!.database,
    rps: parts.reduce((s, r) => s + r.rps, 0),
    p50: Math.max(...parts.map((r) => r.p50)),
    p99: Math.max(...parts.map((r) => r.p99)),
    max: Math.max(...parts.map((r) => r.max)),
    errors: parts.reduce((s, r) => s + r.errors, 0),
    requests: parts.reduce((s, r) => s + r.requests, 0),
  };
}

export async function measureScaledOut(seconds: number, log: (r: LoadResult) => void): Promise<void> {
  const pgdb = await freshPostgres();
  const temporalDir = mkdtempSync(join(tmpdir(), 'eu-bench-temporal-'));
  const devServer = await startDevServer({ cliPath: await findTemporalCli(), dataDir: temporalDir, namespace: 'default', log: () => {} });
  const shared = { TEMPORAL_ADDRESS: devServer.address, OPERATOR_TOKEN: `bench-${randomBytes(12).toString('hex')}` };
  const started = [];
  try {
    // The worker first: it migrates the empty database.
    started.push(await startServiceProcess({ databaseUrl: pgdb.url, port: 3910, env: { ...shared, ROLE: 'worker' } }));
    const apis = await Promise.all([3911, 3912].map((port) => startServiceProcess({ databaseUrl: pgdb.url, port, env: { ...shared, ROLE: 'api' } })));
    started.push(...apis);
    const { key, members } = await seed(apis[0]!.url, shared.OPERATOR_TOKEN);
    const headers = { authorization: `Bearer ${key}` };
    const authorizeMany = (i: number) => JSON.stringify({ member: `user-${(i * 7) % members}`, model: MODELS[i % MODELS.length] });
    const record = (i: number) => JSON.stringify({ requestId: randomUUID(), member: `user-${(i * 13) % members}`, model: MODELS[i % MODELS.length], usage: usageSample(i) });
    const each = (spec: Omit<LoadSpec, 'url'>) => apis.map((a) => load({ ...spec, url: a.url }));
    const shape = '2 API processes + 1 worker';
    log(combined(`authorize, 1,000 members (${shape})`, await Promise.all(each({ name: 'authorize', database: 'postgres', path: '/v1/usage/authorize', headers, body: authorizeMany, connections: 16, seconds }))));
    // As the single-process line: records flat out, authorize held at 1,000/s in all.
    const [recs, auths] = await Promise.all([
      Promise.all(each({ name: 'record', database: 'postgres', path: '/v1/usage/record', headers, body: record, connections: 8, seconds })),
      Promise.all(each({ name: 'authorize', database: 'postgres', path: '/v1/usage/authorize', headers, body: authorizeMany, connections: 4, seconds, rate: 500 })),
    ]);
    log(combined(`record (durable), authorize at 1,000/s beside (${shape})`, recs));
    log(combined(`authorize at 1,000/s, beside records (${shape})`, auths));
  } finally {
    for (const s of started.reverse()) await s.stop();
    await devServer.stop();
    rmSync(temporalDir, { recursive: true, force: true });
    await pgdb.drop();
  }
}
