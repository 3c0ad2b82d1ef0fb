// Load with autocannon over loopback, and the two floors of this machine: a bare
// Node HTTP handler and a durable single-row UPDATE loop in PostgreSQL.
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import pg from 'pg';

export interface LoadResult {
  name: string;
  database: string;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  requests: number;
  /** The service's event-loop delay p99 (ms) during the line, where measured (the mixed lines). */
  loopDelayP99Ms?: number | null;
}

export interface LoadSpec {
  name: string;
  database: string;
  url: string;
  path: string;
  headers?: Record<string, string>;
  /** Body of each request; called per request so ids can be unique. */
  body?: (i: number) => string;
  connections: number;
  seconds: number;
  method?: 'GET' | 'POST';
  /** Hold the load to this many requests per second in all (default: as fast as it goes). */
  rate?: number;
}

export async function load(spec: LoadSpec): Promise<LoadResult> {
  let i = 0;
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.seconds,
    ...(spec.rate ? { overallRate: spec.rate } : {}),
    requests: [{
      method: spec.method ?? 'POST',
      path: spec.path,
      headers: { 'content-type': 'application/json', ...(spec.headers ?? {}) },
      ...(spec.body ? { setupRequest: (req: any) => ({ ...req, body: spec.body!(i++) }) } : {}),
    }],
  });
  return {
    name: spec.name,
    database: spec.database,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    errors: result.errors + result.timeouts + result.non2xx,
    requests: result.requests.total,
  };
}

export async function bareHttpFloor(seconds: number, connections: number): Promise<LoadResult> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"allowed":true}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    return await load({ name: 'floor: bare Node HTTP handler', database: '-', url: `http://127.0.0.1:${port}`, path: '/', method: 'GET', connections, seconds });
  } finally {
    server.close();
  }
}

/** Durable commits per second of one row, by `clients` connections updating it in autocommit. */
export async function pgUpdateFloor(url: string, seconds: number, clients: number): Promise<LoadResult> {
  const setup = new pg.Client({ connectionString: url });
  await setup.connect();
  await setup.query('CREATE TABLE IF NOT EXISTS bench_floor (id int PRIMARY KEY, n bigint NOT NULL)');
  await setup.query('INSERT INTO bench_floor VALUES (1, 0) ON CONFLICT DO NOTHING');
  const sync = (await setup.query('SHOW synchronous_commit')).rows[0].synchronous_commit as string;
  await setup.end();
  const latencies: number[] = [];
  const until = performance.now() + seconds * 1000;
  await Promise.all(Array.from({ length: clients }, async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    while (performance.now() < until) {
      const t = performance.now();
      await c.query('UPDATE bench_floor SET n = n + 1 WHERE id = 1');
      latencies.push(performance.now() - t);
    }
    await c.end();
  }));
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]! * 100) / 100;
  return {
    name: `floor: single-row durable UPDATE, ${clients} client(s), synchronous_commit=${sync}`,
    database: 'postgres',
    rps: Math.round(latencies.length / seconds),
    p50: pct(0.5),
    p99: pct(0.99),
    max: Math.round(latencies.at(-1)! * 100) / 100,
    errors: 0,
    requests: latencies.length,
  };
}
