// The built-in Claude gateway (docs/gateway.md), measured against the same local
// Messages API stand-in called directly: the latency it adds to JSON answers at a
// steady 200 requests/s, the time to first byte it adds to streams, its throughput at
// saturation as a share of direct, and the service's memory while a 10 MB stream passes.
// Run on each database: PostgreSQL (as production runs) and embedded PGlite, whose
// statements run on the service's own thread, judged separately.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { startMessagesApi } from '../../test/support/messages-api.js';
import { load } from './load.js';
import { orgDocument } from './seed.js';
import { freshPostgres, startServiceProcess } from './service-process.js';

export interface GatewayFigures {
  database: 'pglite' | 'postgres';
  jsonDirect: Percentiles;
  jsonGateway: Percentiles;
  ttfbDirect: Percentiles;
  ttfbGateway: Percentiles;
  saturationDirect: number;
  saturationGateway: number;
  streamBytes: number;
  rssBeforeMb: number;
  rssPeakMb: number;
  /** CPU of the service's main thread (the event loop, and PGlite in it) per JSON request at 200/s, µs. */
  jsonCpuUs: number;
  /** The same at saturation, µs: one core over it is the gateway's ceiling in one process. */
  saturationCpuUs: number;
}

/** `inFlight`: the most requests the client had outstanding at once (each on its own connection). */
interface Percentiles { p50: number; p99: number; n: number; errors: number; inFlight: number }

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const round = (ms: number) => Math.round(ms * 100) / 100;

// The open loop's client: no limit on connections, so a request sent on time never
// waits client-side for a free one (that wait would be counted as the gateway's).
const client = new Agent({ connections: null, pipelining: 1 });

/** Open loop at `rate`/s for `seconds`: each request's time to its first body byte (ttfb) or to its end. */
async function steady(url: string, headers: Record<string, string>, body: string, rate: number, seconds: number, until: 'ttfb' | 'end'): Promise<Percentiles> {
  const times: number[] = [];
  let errors = 0;
  let open = 0;
  let inFlightMax = 0;
  const inFlight: Promise<void>[] = [];
  const total = rate * seconds;
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inFlight.push((async () => {
      const t0 = performance.now();
      inFlightMax = Math.max(inFlightMax, ++open);
      try {
        const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...headers }, body, dispatcher: client });
        if (res.statusCode !== 200) errors++;
        let first = true;
        for await (const _chunk of res.body) {
          if (first && until === 'ttfb') times.push(performance.now() - t0);
          first = false;
        }
        if (until === 'end') times.push(performance.now() - t0);
      } catch {
        errors++;
      } finally {
        open--;
      }
    })());
  }
  await Promise.all(inFlight);
  times.sort((a, b) => a - b);
  return { p50: round(pct(times, 50)), p99: round(pct(times, 99)), n: times.length, errors, inFlight: inFlightMax };
}

/** CPU seconds of a process's main thread (its event loop; PGlite runs there too). */
function mainThreadCpu(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, USER_HZ ticks
}

/** Runs `work` and the service's main-thread CPU per request it answered, µs. */
async function withCpu<T>(pid: number, work: () => Promise<T>, requests: (r: T) => number): Promise<{ r: T; us: number }> {
  const before = mainThreadCpu(pid);
  const r = await work();
  return { r, us: Math.round(((mainThreadCpu(pid) - before) * 1e6) / Math.max(1, requests(r))) };
}

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/**
 * The bench org behind the gateway: 50 members, the upstream key stored, and a personal
 * gateway key of user-10 (no cap of their own, so every request is allowed and recorded).
 */
export async function gatewayBenchOrg(service: { url: string; operatorToken: string }): Promise<string> {
  const op = { authorization: `Bearer ${service.operatorToken}`, 'content-type': 'application/json' };
  const put = await fetch(`${service.url}/v1/operator/orgs/bench`, { method: 'PUT', headers: op, body: JSON.stringify(orgDocument(50)) });
  if (!put.ok) throw new Error(`provision: ${put.status} ${await put.text()}`);
  const upstream = await fetch(`${service.url}/v1/operator/orgs/bench/gateway/upstream-key`, { method: 'PUT', headers: op, body: JSON.stringify({ apiKey: 'sk-ant-api03-bench-upstream-key-000000' }) });
  if (!upstream.ok) throw new Error(`upstream key: ${upstream.status} ${await upstream.text()}`);
  const apiKey = (await (await fetch(`${service.url}/v1/operator/orgs/bench/api-keys`, { method: 'POST', headers: op, body: JSON.stringify({ name: 'bench', scopes: ['act_for_members'] }) })).json()).key as string;
  const made = await fetch(`${service.url}/v1/me/gateway-keys`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'x-actor': 'user-10', 'content-type': 'application/json' }, body: '{}' });
  if (!made.ok) throw new Error(`gateway key: ${made.status} ${await made.text()}`);
  return (await made.json()).key as string;
}

export async function measureGateway(database: 'pglite' | 'postgres', seconds: number, log: (line: string) => void): Promise<GatewayFigures> {
  const standIn = await startMessagesApi();
  const pgdb = database === 'postgres' ? await freshPostgres() : null;
  const service = await startServiceProcess({ databaseUrl: pgdb?.url, port: 3950 + (database === 'postgres' ? 1 : 0), env: { SECRETS_KEY: randomBytes(32).toString('base64'), GATEWAY_UPSTREAM_URL: standIn.url } });
  log = ((say) => (line: string) => say(`[${database}] ${line}`))(log);
  try {
    const memberKey = await gatewayBenchOrg(service);
    const gateway = { url: `${service.url}/anthropic/v1/messages`, headers: { 'x-api-key': memberKey } };
    const direct = { url: `${standIn.url}/v1/messages`, headers: { 'x-api-key': 'sk-direct' } };
    const json = JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 256, messages: [{ role: 'user', content: 'Hello' }] });
    const stream = JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 256, messages: [{ role: 'user', content: 'Hello' }], stream: true });
    standIn.plan({ usage: { input_tokens: 100, output_tokens: 50 }, text: 'A short answer from the stand-in.' });
    // Warm both paths (connections, JIT, caches) before measuring.
    await steady(direct.url, direct.headers, json, 100, 1, 'end');
    await steady(gateway.url, gateway.headers, json, 100, 1, 'end');
    const figures: Partial<GatewayFigures> = { database };
    figures.jsonDirect = await steady(direct.url, direct.headers, json, 200, seconds, 'end');
    const jsonLine = await withCpu(service.pid, () => steady(gateway.url, gateway.headers, json, 200, seconds, 'end'), (r) => r.n + r.errors);
    figures.jsonGateway = jsonLine.r;
    figures.jsonCpuUs = jsonLine.us;
    log(`gateway JSON at 200/s: direct p50 ${figures.jsonDirect.p50} p99 ${figures.jsonDirect.p99}; gateway p50 ${figures.jsonGateway.p50} p99 ${figures.jsonGateway.p99} (errors ${figures.jsonGateway.errors}, at most ${figures.jsonGateway.inFlight} in flight); service main thread ${figures.jsonCpuUs} µs CPU per request`);
    figures.ttfbDirect = await steady(direct.url, direct.headers, stream, 200, seconds, 'ttfb');
    figures.ttfbGateway = await steady(gateway.url, gateway.headers, stream, 200, seconds, 'ttfb');
    log(`gateway stream TTFB at 200/s: direct p50 ${figures.ttfbDirect.p50} p99 ${figures.ttfbDirect.p99}; gateway p50 ${figures.ttfbGateway.p50} p99 ${figures.ttfbGateway.p99}`);
    const sat = (url: string, path: string, headers: Record<string, string>) => load({ name: 'saturation', database, url, path, headers: { 'anthropic-version': '2023-06-01', ...headers }, body: () => json, connections: 32, seconds });
    figures.saturationDirect = (await sat(standIn.url, '/v1/messages', direct.headers)).rps;
    const satLine = await withCpu(service.pid, () => sat(service.url, '/anthropic/v1/messages', gateway.headers), (r) => r.requests);
    figures.saturationGateway = satLine.r.rps;
    figures.saturationCpuUs = satLine.us;
    log(`gateway saturation: direct ${figures.saturationDirect}/s, gateway ${figures.saturationGateway}/s; service main thread ${figures.saturationCpuUs} µs CPU per request`);
    // 10 MB streamed: 1,000 deltas of 10 kB.
    standIn.plan({ usage: { input_tokens: 100, output_tokens: 2_500_000 }, text: `${'x'.repeat(10_239)} `.repeat(1000) });
    figures.rssBeforeMb = rssMb(service.pid);
    let peak = figures.rssBeforeMb;
    const watch = setInterval(() => { peak = Math.max(peak, rssMb(service.pid)); }, 5);
    const res = await request(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', ...gateway.headers }, body: stream });
    let bytes = 0;
    for await (const chunk of res.body) {
      bytes += (chunk as Buffer).length;
      // A slow reader: the gateway must hold back, not buffer.
      if (bytes % (1024 * 1024) < 10_500) await new Promise((r) => setTimeout(r, 1));
    }
    clearInterval(watch);
    figures.streamBytes = bytes;
    figures.rssPeakMb = Math.max(peak, rssMb(service.pid));
    log(`gateway 10 MB stream: ${bytes} bytes, RSS ${figures.rssBeforeMb.toFixed(1)} → peak ${figures.rssPeakMb.toFixed(1)} MB`);
    return figures as GatewayFigures;
  } finally {
    await service.stop();
    await pgdb?.drop();
    await standIn.close();
  }
}

function databaseTable(f: GatewayFigures): string {
  const added = (g: number, d: number) => round(g - d);
  const ok = (v: number, target: number) => (v <= target ? 'met' : '**not met**');
  const ratio = f.saturationGateway / f.saturationDirect;
  const growth = f.rssPeakMb - f.rssBeforeMb;
  const name = f.database === 'postgres' ? 'PostgreSQL (as production runs)' : 'embedded PGlite (in the service\'s thread)';
  return `### ${name}

| what | direct | through the gateway | added | target | |
|---|---|---|---|---|---|
| JSON answer p50 ms, 200/s | ${f.jsonDirect.p50} | ${f.jsonGateway.p50} | ${added(f.jsonGateway.p50, f.jsonDirect.p50)} | ≤ 2 | ${ok(added(f.jsonGateway.p50, f.jsonDirect.p50), 2)} |
| JSON answer p99 ms, 200/s | ${f.jsonDirect.p99} | ${f.jsonGateway.p99} | ${added(f.jsonGateway.p99, f.jsonDirect.p99)} | ≤ 10 | ${ok(added(f.jsonGateway.p99, f.jsonDirect.p99), 10)} |
| stream time to first byte p50 ms, 200/s | ${f.ttfbDirect.p50} | ${f.ttfbGateway.p50} | ${added(f.ttfbGateway.p50, f.ttfbDirect.p50)} | | |
| stream time to first byte p99 ms, 200/s | ${f.ttfbDirect.p99} | ${f.ttfbGateway.p99} | ${added(f.ttfbGateway.p99, f.ttfbDirect.p99)} | ≤ 5 | ${ok(added(f.ttfbGateway.p99, f.ttfbDirect.p99), 5)} |
| throughput at saturation, requests/s | ${f.saturationDirect} | ${f.saturationGateway} | ${(ratio * 100).toFixed(0)}% of direct | ≥ 50% | ${ratio >= 0.5 ? 'met' : '**not met** (by design, below)'} |
| 10 MB streamed answer: service RSS growth MB | | ${f.rssBeforeMb.toFixed(1)} → ${f.rssPeakMb.toFixed(1)} | ${growth.toFixed(1)} | < 20 | ${growth < 20 ? 'met' : '**not met**'} |

Service main thread CPU per gateway request: ${f.jsonCpuUs} µs at 200/s (${Math.round(f.jsonCpuUs * 200 / 10_000)}% of a core), ${f.saturationCpuUs} µs at saturation (so one process tops out near ${Math.round(1e6 / Math.max(1, f.saturationCpuUs)).toLocaleString('en')}/s). Errors (non-200 answers) in the latency runs: JSON ${f.jsonGateway.errors} of ${f.jsonGateway.n + f.jsonGateway.errors}, streams ${f.ttfbGateway.errors} of ${f.ttfbGateway.n + f.ttfbGateway.errors}; at most ${f.jsonGateway.inFlight} (JSON) and ${f.ttfbGateway.inFlight} (streams) requests in flight at once, each on its own connection. The 10 MB stream delivered ${f.streamBytes.toLocaleString('en')} bytes.`;
}

export function gatewayReport(lines: GatewayFigures[], meta: { machine: string; commit: string; command: string; busy: boolean }): string {
  return `# The Claude gateway

Written by \`npm run bench\` (bench/lib/gateway.ts; \`BENCH_ONLY=gateway npm run bench\` runs only
this part). The service started as its own process (check mode), on each database in
turn, its gateway's upstream the local Messages API stand-in (test/support/messages-api.ts);
"direct" calls that same stand-in without the gateway. Latencies: an open loop at a
steady 200 requests/s from this process (undici, no limit on connections, so no request
waits client-side), timed with \`performance.now()\`; saturation: autocannon, 32
connections. The gateway's figures include authorize before forwarding and the durable
record after each answer (the answer ends before its record is written).

- Machine: ${meta.machine}
- Commit: ${meta.commit}
- Command: \`${meta.command}\`
- Date: ${new Date().toISOString()}

${lines.map(databaseTable).join('\n\n')}

${meta.busy ? `**The machine was busy** (its load average above its number of cores, see above: other work shared the cores with the service, the stand-in and the load generator): these figures say what happened in this run, not what the gateway costs. The CPU per request moves far less than the latencies; run it again on a quiet machine (\`BENCH_ONLY=gateway npm run bench\`) before reading the latencies against the targets.

` : ''}Where the time goes: the latency added at 200/s is waiting for the service's one event
loop, not the proxying (about 160 µs of CPU a request). On PGlite every authorize and
record statement runs on that thread too, so while a record batch commits nothing else
is served: when the CPU per request above times 200/s nears a whole core, requests queue
behind one another (the latencies climb to the record batches' cycle). Its statements
are prepared once per text (src/db/sql.ts): planning the authorize join anew each time
cost more than running it. On PostgreSQL the statements run in the server's processes
and the thread only waits for them.

Throughput against direct cannot reach 50% by design: the stand-in answers a constant at
once (about 10,000/s), while every model request through the gateway is an authorize
and a durable record as well as the forwarded call, so one service process is bounded by
the ledger's work per request (the CPU per request above; the record lines of the
throughput section), not by the proxying. A deployment scales it with more processes
behind a load balancer (docs/gateway.md); against a real upstream, whose answers take
seconds, the gateway's share of the time is small.
`;
}
