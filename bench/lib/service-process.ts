// Runs the service as its own process (as `npm start` does), so the load generator
// in this process does not share its event loop.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface ServiceProcess {
  url: string;
  /** The service's process id (its CPU is read from /proc for the bench's CPU split). */
  pid: number;
  operatorToken: string;
  stop(): Promise<void>;
}

export const PG_ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

async function admin(sql: string) {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** A fresh database on the PostgreSQL server, dropped by the returned function. */
export async function freshPostgres(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `eu_bench_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

/** `env`: extra settings (ROLE, TEMPORAL_ADDRESS, a shared OPERATOR_TOKEN for a scaled-out shape). */
export async function startServiceProcess(opts: { databaseUrl?: string; port: number; env?: Record<string, string> }): Promise<ServiceProcess> {
  // A service left over from an earlier run would answer /health in our child's place.
  const taken = await fetch(`http://127.0.0.1:${opts.port}/health`).then(() => true, () => false);
  if (taken) throw new Error(`port ${opts.port} is already in use (a service left over from an earlier bench?): stop it first`);
  const dataDir = mkdtempSync(join(tmpdir(), 'eu-bench-'));
  const operatorToken = opts.env?.OPERATOR_TOKEN ?? `bench-${randomBytes(12).toString('hex')}`;
  // BENCH_PROFILE_DIR: each service writes a V8 CPU profile there when it stops (open it in Chrome's DevTools).
  const profile = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
  const child: ChildProcess = spawn(process.execPath, [...profile, '--import', 'tsx', 'src/main.ts'], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(opts.port),
      OPERATOR_TOKEN: operatorToken,
      LOG_LEVEL: 'warn',
      ...(opts.databaseUrl ? { DATABASE_URL: opts.databaseUrl } : {}),
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${opts.port}`;
  // A busy machine (BENCH_START_SECONDS) may take minutes to migrate and start it.
  const until = Date.now() + Number(process.env.BENCH_START_SECONDS ?? 120) * 1000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`service exited: ${output}`);
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > until) throw new Error(`service did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    pid: child.pid!,
    operatorToken,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
