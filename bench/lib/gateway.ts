// The built-in Claude gateway (docs/gateway.md), measured against the same local
// Messages API stand-in called directly: the latency it adds to JSON answers at a
// steady 200 requests/s, the time to first byte it adds to streams, its throughput at
// saturation as a share of direct, and the service's memory while a 10 MB stream passes.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { startMessagesApi } from '../../test/support/messages-api.js';
import { load } from './load.js';
import { orgDocument } from './seed.js';
import { startServiceProcess } from './service-process.js';

export interface GatewayFigures {
  jsonDirect: Percentiles;
  jsonGateway: Percentiles;
  ttfbDirect: Percentiles;
  ttfbGateway: Percentiles;
  saturationDirect: number;
  saturationGateway: number;
  streamBytes: number;
  rssBeforeMb: number;
  rssPeakMb: number;
  recordsExpected: number;
}

interface Percentiles { p50: number; p99: number; n: number; errors: number }

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const round = (ms: number) => Math.round(ms * 100) / 100;

/** Open loop at `rate`/s for `seconds`: each request's time to its first body byte (ttfb) or to its end. */
async function steady(url: string, headers: Record<string, string>, body: string, rate: number, seconds: number, until: 'ttfb' | 'end'): Promise<Percentiles> {
  const times: number[] = [];
  let errors = 0;
  const inFlight: Promise<void>[] = [];
  const total = rate * seconds;
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inFlight.push((async () => {
      const t0 = performance.now();
      try {
        const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...headers }, body });
        if (res.statusCode !== 200) errors++;
        let first = true;
        for await (const _chunk of res.body) {
          if (first && until === 'ttfb') times.push(performance.now() - t0);
          first = false;
        }
        if (until === 'end') times.push(performance.now() - t0);
      } catch {
        errors++;
      }
    })());
  }
  await Promise.all(inFlight);
  times.sort((a, b) => a - b);
  return { p50: round(pct(times, 50)), p99: round(pct(times, 99)), n: times.length, errors };
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

export async function measureGateway(seconds: number, log: (line: string) => void): Promise<GatewayFigures> {
  const standIn = await startMessagesApi();
  const service = await startServiceProcess({ port: 3950, env: { SECRETS_KEY: randomBytes(32).toString('base64'), GATEWAY_UPSTREAM_URL: standIn.url } });
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
    const figures: Partial<GatewayFigures> = {};
    figures.jsonDirect = await steady(direct.url, direct.headers, json, 200, seconds, 'end');
    figures.jsonGateway = await steady(gateway.url, gateway.headers, json, 200, seconds, 'end');
    log(`gateway JSON at 200/s: direct p50 ${figures.jsonDirect.p50} p99 ${figures.jsonDirect.p99}; gateway p50 ${figures.jsonGateway.p50} p99 ${figures.jsonGateway.p99} (errors ${figures.jsonGateway.errors})`);
    figures.ttfbDirect = await steady(direct.url, direct.headers, stream, 200, seconds, 'ttfb');
    figures.ttfbGateway = await steady(gateway.url, gateway.headers, stream, 200, seconds, 'ttfb');
    log(`gateway stream TTFB at 200/s: direct p50 ${figures.ttfbDirect.p50} p99 ${figures.ttfbDirect.p99}; gateway p50 ${figures.ttfbGateway.p50} p99 ${figures.ttfbGateway.p99}`);
    const sat = (url: string, path: string, headers: Record<string, string>) => load({ name: 'saturation', database: 'pglite', url, path, headers: { 'anthropic-version': '2023-06-01', ...headers }, body: () => json, connections: 32, seconds });
    figures.saturationDirect = (await sat(standIn.url, '/v1/messages', direct.headers)).rps;
    figures.saturationGateway = (await sat(service.url, '/anthropic/v1/messages', gateway.headers)).rps;
    log(`gateway saturation: direct ${figures.saturationDirect}/s, gateway ${figures.saturationGateway}/s`);
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
    await standIn.close();
  }
}

export function gatewayReport(f: GatewayFigures, meta: { machine: string; commit: string; command: string; busy: boolean }): string {
  const added = (g: number, d: number) => round(g - d);
  const ok = (v: number, target: number) => (v <= target ? 'met' : '**not met**');
  const ratio = f.saturationGateway / f.saturationDirect;
  const growth = f.rssPeakMb - f.rssBeforeMb;
  return `# The Claude gateway

Written by \`npm run bench\` (bench/lib/gateway.ts). The service started as its own process
(embedded PGlite, check mode), its gateway's upstream the local Messages API stand-in
(test/support/messages-api.ts); "direct" calls that same stand-in without the gateway.
Latencies: an open loop at a steady 200 requests/s from this process (undici), timed with
\`performance.now()\`; saturation: autocannon, 32 connections. The gateway's figures
include authorize before forwarding and the record after each answer.

- Machine: ${meta.machine}
- Commit: ${meta.commit}
- Command: \`${meta.command}\`
- Date: ${new Date().toISOString()}

| what | direct | through the gateway | added | target | |
|---|---|---|---|---|---|
| JSON answer p50 ms, 200/s | ${f.jsonDirect.p50} | ${f.jsonGateway.p50} | ${added(f.jsonGateway.p50, f.jsonDirect.p50)} | ≤ 2 | ${ok(added(f.jsonGateway.p50, f.jsonDirect.p50), 2)} |
| JSON answer p99 ms, 200/s | ${f.jsonDirect.p99} | ${f.jsonGateway.p99} | ${added(f.jsonGateway.p99, f.jsonDirect.p99)} | ≤ 10 | ${ok(added(f.jsonGateway.p99, f.jsonDirect.p99), 10)} |
| stream time to first byte p50 ms, 200/s | ${f.ttfbDirect.p50} | ${f.ttfbGateway.p50} | ${added(f.ttfbGateway.p50, f.ttfbDirect.p50)} | | |
| stream time to first byte p99 ms, 200/s | ${f.ttfbDirect.p99} | ${f.ttfbGateway.p99} | ${added(f.ttfbGateway.p99, f.ttfbDirect.p99)} | ≤ 5 | ${ok(added(f.ttfbGateway.p99, f.ttfbDirect.p99), 5)} |
| throughput at saturation, requests/s | ${f.saturationDirect} | ${f.saturationGateway} | ${(ratio * 100).toFixed(0)}% of direct | ≥ 50% | ${ratio >= 0.5 ? 'met' : '**not met**'} |
| 10 MB streamed answer: service RSS growth MB | | ${f.rssBeforeMb.toFixed(1)} → ${f.rssPeakMb.toFixed(1)} | ${growth.toFixed(1)} | < 20 | ${growth < 20 ? 'met' : '**not met**'} |

${meta.busy ? `**The machine was busy** (its load average above its number of cores, see above: other work shared the cores with the service, the stand-in and the load generator): these figures say what happened in this run, not what the gateway costs. Run it again on a quiet machine (\`BENCH_ONLY=gateway npm run bench\`) before reading them against the targets.

` : ''}Each model request through the gateway is an authorize and a durable record as well as the forwarded call, so its throughput is bounded by the ledger's own (the record lines of the throughput section), not by the stand-in's.

Errors (non-200 answers) in the gateway's latency runs: JSON ${f.jsonGateway.errors} of ${f.jsonGateway.n + f.jsonGateway.errors}, streams ${f.ttfbGateway.errors} of ${f.ttfbGateway.n + f.ttfbGateway.errors}. The 10 MB stream delivered ${f.streamBytes.toLocaleString('en')} bytes.
`;
}
