// Which tables a record touches: records N requests through the service started as in the
// bench and prints PostgreSQL's per-table row counters (pg_stat_user_tables) per record.
// Counts, not times: it answers the same on a busy machine. Run: npx tsx bench/table-work.ts
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { MODELS, seed, usageSample } from './lib/seed.js';
import { freshPostgres, startServiceProcess } from './lib/service-process.js';

const N = Number(process.env.TABLE_WORK_RECORDS ?? 2000);
const PATH = process.env.TABLE_WORK_PATH ?? '/v1/usage/record';

async function snapshot(url: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('SELECT pg_stat_clear_snapshot()');
    const r = await c.query('SELECT relname, seq_scan, seq_tup_read, idx_scan, idx_tup_fetch, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del FROM pg_stat_user_tables');
    return new Map(r.rows.map((row) => [row.relname as string, row]));
  } finally {
    await c.end();
  }
}

const db = await freshPostgres();
const service = await startServiceProcess({ databaseUrl: db.url, port: Number(process.env.TABLE_WORK_PORT ?? 3950) });
try {
  const { key, members } = await seed(service.url, service.operatorToken);
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  await new Promise((r) => setTimeout(r, 1500));
  const before = await snapshot(db.url);
  let next = 0;
  const worker = async () => {
    while (next < N) {
      const i = next++;
      const body = PATH.endsWith('record')
        ? { requestId: randomUUID(), member: `user-${(i * 13) % members}`, model: MODELS[i % MODELS.length], usage: usageSample(i) }
        : { member: `user-${(i * 7) % members}`, model: MODELS[i % MODELS.length] };
      const res = await fetch(`${service.url}${PATH}`, { method: 'POST', headers, body: JSON.stringify(body) });
      if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  await new Promise((r) => setTimeout(r, 1500));
  const after = await snapshot(db.url);
  const cols = ['seq_scan', 'seq_tup_read', 'idx_scan', 'idx_tup_fetch', 'n_tup_ins', 'n_tup_upd', 'n_tup_hot_upd', 'n_tup_del'];
  console.log(`per ${PATH} (${N} requests)\n${'table'.padEnd(28)}${cols.map((c) => c.padStart(14)).join('')}`);
  for (const [name, a] of after) {
    const b = before.get(name);
    const per = cols.map((c) => (Number(a[c]) - Number(b?.[c] ?? 0)) / N);
    if (per.some((v) => v !== 0)) console.log(`${name.padEnd(28)}${per.map((v) => v.toFixed(2).padStart(14)).join('')}`);
  }
} finally {
  await service.stop();
  await db.drop();
}
