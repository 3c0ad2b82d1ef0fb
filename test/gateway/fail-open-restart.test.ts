// Nothing lost when the gateway's process dies during an outage (issue 24, item 5): the
// real PostgreSQL server cut (through a TCP relay) under a service process (ROLE=api),
// an org that fails open sends requests (JSON and streamed) that are forwarded
// unchecked, the process is killed with SIGKILL before the ledger is back, the ledger
// comes back, and a new process on the same DATA_DIR records each of them once from
// the usage spool and audits each once. The spool folder holds nothing to replay after.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrated, postgresOpener, type Scratch } from '../support/databases.js';
import { enterpriseDoc, HAIKU, OPERATOR_TOKEN } from '../support/fixtures.js';
import { startMessagesApi, type MessagesApiStandIn } from '../support/messages-api.js';
import { freePort, until } from '../support/outage.js';
import { relayTo, type TcpRelay } from '../support/tcp-relay.js';
import { call, startProcess, type ServiceProcess } from '../scale/processes.js';

const UPSTREAM_KEY = 'sk-ant-api03-upstream-test-key-0123456789';
const SLUG = 'failing-open';
/** Requests forwarded while the ledger is away: JSON and streamed, alternately. */
const N = 4;

let scratch: Scratch;
let relay: TcpRelay;
let standIn: MessagesApiStandIn;
let dataDir: string;
const procs: ServiceProcess[] = [];
const lines: string[] = [];

beforeAll(async () => {
  scratch = await migrated(postgresOpener());
  relay = await relayTo(new URL(scratch.url!));
  standIn = await startMessagesApi();
  dataDir = mkdtempSync(join(tmpdir(), 'eu-gateway-restart-'));
});
afterAll(async () => {
  for (const p of procs) await p.kill();
  relay?.restore();
  await standIn?.close();
  await relay?.close();
  await scratch?.dispose();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function start(name: string): Promise<ServiceProcess> {
  // Temporal is not needed here: an address nothing listens on (the API starts without it,
  // after trying it for 1 s rather than 10). The dead process's spool file is taken over
  // after 2 s without a lock refresh, not 10.
  const shared = {
    DATABASE_URL: relay.url, TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`, TEMPORAL_CONNECT_TIMEOUT_SECONDS: '1', OPERATOR_TOKEN,
    GATEWAY_UPSTREAM_URL: standIn.url, GATEWAY_UPSTREAM_API_KEY: UPSTREAM_KEY, GATEWAY_SPOOL_TAKEOVER_SECONDS: '2',
  };
  const p = await startProcess(name, 'api', shared, lines, 180_000, dataDir);
  procs.push(p);
  return p;
}

const message = (stream: boolean) => JSON.stringify({ model: HAIKU, max_tokens: 256, messages: [{ role: 'user', content: 'Hello' }], ...(stream ? { stream: true } : {}) });
async function send(base: string, key: string, stream: boolean) {
  const res = await fetch(`${base}/anthropic/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': key }, body: message(stream) });
  return { status: res.status, text: await res.text() };
}

describe('the gateway process killed while the ledger is away', () => {
  it('records each request it forwarded unchecked exactly once, and audits each once, when a new process starts on its data folder', async () => {
    const first = await start('gw-1');
    const op = (method: string, path: string, body?: unknown) => call(first.url, method, path, OPERATOR_TOKEN, body);
    expect((await op('PUT', `/v1/operator/orgs/${SLUG}`, enterpriseDoc()))?.status).toBe(201);
    expect((await op('PUT', `/v1/operator/orgs/${SLUG}/gateway/failure-policy`, { whenLedgerUnreachable: 'forward' }))?.status).toBe(200);
    const apiKey = (await op('POST', `/v1/operator/orgs/${SLUG}/api-keys`, { name: 'test', scopes: ['usage', 'act_for_members'] }))!.body.key as string;
    const made = await call(first.url, 'POST', '/v1/me/gateway-keys', apiKey, {}, { 'x-actor': 'alice' });
    expect(made?.status).toBe(201);
    const key = made!.body.key as string;

    const direct = scratch.db.prisma;
    const org = await direct.organization.findUniqueOrThrow({ where: { slug: SLUG } });
    const events = () => direct.usageEvent.findMany({ where: { orgId: org.id }, select: { requestId: true, inputTokens: true, outputTokens: true } });
    // Once while all is well: the process knows the key (and that its org fails open).
    standIn.plan({ usage: { input_tokens: 100, output_tokens: 10 }, text: 'Up.' });
    expect((await send(first.url, key, false)).status).toBe(200);
    await until('the request recorded', async () => (await events()).length === 1);

    relay.cut();
    standIn.plan({ usage: { input_tokens: 1200, output_tokens: 340 }, text: 'Still here.' });
    for (let i = 0; i < N; i++) {
      const answer = await send(first.url, key, i % 2 === 1);
      // Answered whole by the upstream: the JSON message, or the stream to its message_stop.
      expect(answer.status).toBe(200);
      expect(answer.text).toContain(i % 2 === 1 ? 'message_stop' : '"Still here."');
    }
    // Waiting for the ledger, as the operator's metrics say; nothing in the ledger yet.
    const metrics = await fetch(`${first.url}/metrics`, { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } });
    expect(await metrics.text()).toMatch(new RegExp(`^extra_usage_gateway_waiting_records ${N}$`, 'm'));
    expect(await events()).toHaveLength(1);

    // Killed before the ledger is back: nothing in its memory survives.
    await first.kill();
    relay.restore();
    const second = await start('gw-2');

    // The new process finds the usage on disk (once the dead process's lock is stale) and records it.
    const recorded = await until('every request recorded', async () => {
      const all = await events();
      return all.length === 1 + N ? all : null;
    });
    const audited = await until('every request audited', async () => {
      const entries = await direct.auditEntry.findMany({ where: { orgId: org.id, action: 'gateway.failed_open' } });
      return entries.length >= N ? entries : null;
    });
    const unchecked = recorded.filter((e) => e.inputTokens === 1200);
    expect(unchecked.map((e) => [e.inputTokens, e.outputTokens])).toEqual(Array.from({ length: N }, () => [1200, 340]));
    // Each request once (by requestId), each audited once, naming it.
    expect(new Set(recorded.map((e) => e.requestId)).size).toBe(1 + N);
    expect(audited.map((a) => (a.after as { requestId: string }).requestId).sort()).toEqual(unchecked.map((e) => e.requestId).sort());
    const health = await until('nothing waiting on /health', async () => {
      const h = await call(second.url, 'GET', '/health', OPERATOR_TOKEN);
      return h?.body?.gateway?.waitingRecords === 0 ? h.body : null;
    });
    expect(health.gateway).toEqual({ waitingRecords: 0, since: null, refusedRecords: 0 });
    // From the dead process's file, adopted by the new one.
    expect(lines.some((l) => l.startsWith('gw-2: ') && l.includes('usage left by a process that stopped is recorded now'))).toBe(true);
    expect(lines.join('\n')).not.toMatch(/NOT recorded|NOT written/);

    // Stopped cleanly: its spool folder holds nothing a next start would replay.
    await second.stop();
    expect(readdirSync(join(dataDir, 'gateway-spool')).filter((f) => f.endsWith('.jsonl'))).toEqual([]);
    expect(await direct.usageEvent.count({ where: { orgId: org.id } })).toBe(1 + N);
    expect(await direct.auditEntry.count({ where: { orgId: org.id, action: 'gateway.failed_open' } })).toBe(N);
    // Two process starts inside the test, each bounded by 180 s (startProcess) on a busy machine.
  }, 300_000);
});
