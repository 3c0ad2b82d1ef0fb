// The ledger behind a transaction-mode connection pooler (Debian's PgBouncer, started
// here on a free port in front of the PostgreSQL server): each transaction may run on a
// different server connection, so nothing may rely on session state. Two instances
// migrate an empty database at once, and concurrent records (a quarter sent twice) and
// authorizes through the pooler keep every invariant.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client.js';
import { applyMigrations } from '../../src/db/migrate.js';
import { findExecutable } from '../../src/temporal/cli.js';
import { PG_ADMIN_URL } from '../support/databases.js';
import { enterpriseDoc, harness, HAIKU, usageOfCents, type Harness } from '../support/fixtures.js';

const PGBOUNCER = findExecutable('pgbouncer') ?? '/usr/sbin/pgbouncer';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function admin(sql: string) {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

let dir: string;
let bouncer: ChildProcess;
let output = '';
let dbName: string;
let pooledUrl: string;
const opened: Database[] = [];

beforeAll(async () => {
  dbName = `eu_pool_${randomBytes(6).toString('hex')}`;
  await admin(`CREATE DATABASE "${dbName}"`);
  const server = new URL(PG_ADMIN_URL);
  const port = await freePort();
  dir = mkdtempSync(join(tmpdir(), 'eu-pgbouncer-'));
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'users.txt'), `"${server.username || 'postgres'}" ""\n`, { mode: 0o644 });
  writeFileSync(join(dir, 'pgbouncer.ini'), [
    '[databases]',
    `* = host=${server.hostname} port=${server.port || 5432}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = trust',
    `auth_file = ${join(dir, 'users.txt')}`,
    'pool_mode = transaction',
    'default_pool_size = 4',
    'max_client_conn = 200',
    'ignore_startup_parameters = extra_float_digits,options',
  ].join('\n') + '\n', { mode: 0o644 });
  // PgBouncer refuses to run as root; as root, it is told to switch to postgres.
  const asRoot = process.getuid?.() === 0;
  bouncer = spawn(PGBOUNCER, [...(asRoot ? ['-u', 'postgres'] : []), join(dir, 'pgbouncer.ini')], { stdio: ['ignore', 'pipe', 'pipe'] });
  bouncer.stdout!.on('data', (d) => (output += d));
  bouncer.stderr!.on('data', (d) => (output += d));
  const url = new URL(PG_ADMIN_URL);
  url.port = String(port);
  url.pathname = `/${dbName}`;
  pooledUrl = url.toString();
  for (const until = Date.now() + 30_000; ; ) {
    if (bouncer.exitCode !== null) throw new Error(`pgbouncer exited: ${output}`);
    const c = new pg.Client({ connectionString: pooledUrl });
    const ok = await c.connect().then(() => c.query('SELECT 1')).then(() => true, () => false);
    await c.end().catch(() => {});
    if (ok) break;
    if (Date.now() > until) throw new Error(`pgbouncer did not answer: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 60_000);

afterAll(async () => {
  for (const d of opened) await d.close().catch(() => {});
  bouncer?.kill('SIGTERM');
  if (bouncer && bouncer.exitCode === null) await new Promise((r) => bouncer.once('exit', r));
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (dbName) await admin(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
});

const open = async () => {
  // As the service opens it with DATABASE_POOLER=transaction.
  const d = await openDatabase({ url: pooledUrl, poolSize: 8, transactionPooler: true });
  opened.push(d);
  return d;
};

describe('behind PgBouncer in transaction mode', () => {
  it('two instances migrate the empty database at once, each migration recorded once', async () => {
    const [a, b] = await Promise.all([open(), open()]);
    await Promise.all([applyMigrations(a.prisma), applyMigrations(b.prisma)]);
    const folders = readdirSync(new URL('../../prisma/migrations/', import.meta.url), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    const rows = await a.prisma.$queryRaw<{ migration_name: string; n: bigint }[]>`SELECT migration_name, COUNT(*) AS n FROM _prisma_migrations GROUP BY 1`;
    expect(rows.map((r) => r.migration_name).sort()).toEqual(folders.sort());
    expect(rows.filter((r) => Number(r.n) !== 1)).toEqual([]);
  }, 120_000);

  it('counts every record once and keeps events = member = org month-to-date under concurrent records and authorizes', async () => {
    const db = await open();
    const h: Harness = await harness(db.prisma, new Date());
    try {
      await h.provision('pooled', enterpriseDoc({ extraUsage: { enabled: true, scope: 'all_members', orgMonthlyCap: null, tierCaps: { standard: null, premium: null } } }));
      const key = await h.issueKey('pooled', ['usage']);
      const members = ['alice', 'bob'];
      const ids = Array.from({ length: 160 }, (_, i) => `pooled-${i}`);
      // A quarter of the records are sent twice at once (a gateway retrying).
      const sends = [...ids, ...ids.filter((_, i) => i % 4 === 0)].map((id, i) => h.call('POST', '/v1/usage/record', { token: key, body: { requestId: id, member: members[Number(id.split('-')[1]) % 2], model: HAIKU, usage: usageOfCents(3) } }));
      const authorizes = Array.from({ length: 80 }, (_, i) => h.call('POST', '/v1/usage/authorize', { token: key, body: { member: members[i % 2], model: HAIKU } }));
      const answers = await Promise.all([...sends, ...authorizes]);
      expect(answers.filter((a) => a.status !== 200).map((a) => [a.status, JSON.stringify(a.body)]).slice(0, 3)).toEqual([]);

      const p = db.prisma;
      const org = await p.organization.findUniqueOrThrow({ where: { slug: 'pooled' } });
      const events = await p.usageEvent.findMany({ where: { orgId: org.id }, select: { requestId: true, memberId: true, extraNanos: true, includedNanos: true } });
      expect(events.map((e) => e.requestId).sort()).toEqual([...ids].sort());
      const spend = await p.monthlySpend.findMany({ where: { orgId: org.id, scope: { in: ['member', 'org'] } } });
      const total = (rows: { extraNanos: bigint; includedNanos: bigint }[]) => rows.reduce((s, r) => s + r.extraNanos + r.includedNanos, 0n);
      expect(total(spend.filter((s) => s.scope === 'org'))).toBe(total(events));
      for (const m of await p.member.findMany({ where: { orgId: org.id, externalId: { in: members } } })) {
        expect(total(spend.filter((s) => s.scope === 'member' && s.subject === m.id))).toBe(total(events.filter((e) => e.memberId === m.id)));
      }
      expect(spend.reduce((s, r) => s + r.eventCount, 0)).toBe(2 * ids.length); // each event in its member row and the org row
    } finally {
      await h.close();
    }
  }, 180_000);
});
