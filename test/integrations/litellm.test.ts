// The LiteLLM proxy hook (integrations/litellm/) end to end, with nothing faked on the
// path a member's request takes: the real Anthropic Python SDK (as Claude Code is
// pointed at a gateway with ANTHROPIC_BASE_URL) → the real `litellm` proxy from PyPI,
// with the hook registered in its config → an Anthropic-compatible stand-in for the
// model; the hook talks to the real control plane over HTTP, in front of which a relay
// counts the calls (and can play an outage).
//
// LiteLLM's virtual keys need its own database; the proxy's custom_auth stands in for
// it here and hands the hook the same thing a virtual key does: a key with a user_id.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatWhen } from '../../src/domain/display.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, harness, HAIKU, usageOfCents, type Harness } from '../support/fixtures.js';

const HOOK_DIR = fileURLToPath(new URL('../../integrations/litellm', import.meta.url));
const INSTALL = "pip install 'litellm[proxy]' anthropic";
// LiteLLM imports a lot: it starts in about 10 s on two busy cores. This only stops a wedged one.
const PROXY_READY_WITHIN_MS = 150_000;
const SNAPSHOT = 'claude-haiku-4-5-20251001';
const UNPRICED = 'claude-next-unpriced-9';

// What the stand-in answers, per test: distinct counts show which request was recorded.
const USAGE_CREATE = { input_tokens: 1200, output_tokens: 800, cache_read_input_tokens: 30000, cache_creation_input_tokens: 2000, cache_creation: { ephemeral_5m_input_tokens: 1500, ephemeral_1h_input_tokens: 500 }, service_tier: 'standard' };
const USAGE_STREAM = { input_tokens: 2100, output_tokens: 640, cache_read_input_tokens: 0, cache_creation_input_tokens: 4000, cache_creation: { ephemeral_5m_input_tokens: 4000, ephemeral_1h_input_tokens: 0 } };

// -- processes and servers this file starts ---------------------------------------------

let scratch: Scratch;
let h: Harness;
let dir: string;
let standIn: StandIn;
let relay: Relay;
let proxy: ChildProcess | undefined;
let proxyOutput = '';
let proxyUrl: string;
let usageKey: string;

interface StandInCall { path: string; body: any; apiKey: string | undefined; answered?: string }
interface StandIn { url: string; calls: StandInCall[]; failNext: number[]; usage: Record<string, unknown>; server: Server }

/** POST /v1/messages as the Messages API answers it: JSON, or server-sent events with `stream`. */
async function startStandIn(): Promise<StandIn> {
  const s = { calls: [] as StandInCall[], failNext: [] as number[], usage: USAGE_CREATE as Record<string, unknown> };
  let ids = 0;
  const server = createServer(async (req, res) => {
    const body = JSON.parse((await readAll(req)) || '{}');
    const call: StandInCall = { path: req.url ?? '', body, apiKey: req.headers['x-api-key'] as string | undefined };
    s.calls.push(call);
    const failure = s.failNext.shift();
    if (failure) return json(res, failure, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    call.answered = `msg_standin_${String(++ids).padStart(4, '0')}`;
    // The API names the dated snapshot it ran, whatever alias was asked for.
    const message = { id: call.answered, type: 'message', role: 'assistant', model: SNAPSHOT, content: [] as unknown[], stop_reason: null as string | null, stop_sequence: null };
    const usage = s.usage;
    if (!body.stream) return json(res, 200, { ...message, content: [{ type: 'text', text: 'Hello from the stand-in.' }], stop_reason: 'end_turn', usage });
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
    let sse = '';
    const send = (event: string, data: unknown) => (sse += `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    send('message_start', { type: 'message_start', message: { ...message, usage: { ...usage, output_tokens: 1 } } });
    send('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    send('ping', { type: 'ping' });
    for (const word of ['Héllo ', 'from ', 'the ', 'stand-in ✓']) send('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: word } });
    send('content_block_stop', { type: 'content_block_stop', index: 0 });
    // Cumulative counts for the whole message, as the API sends them.
    const { cache_creation: _breakdown, ...totals } = usage;
    send('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: totals });
    send('message_stop', { type: 'message_stop' });
    // In small pieces, one per turn of the loop: events reach the proxy split anywhere,
    // multi-byte characters included, as they may over a network.
    const bytes = Buffer.from(sse, 'utf8');
    for (let i = 0; i < bytes.length; i += 7) {
      res.write(bytes.subarray(i, i + 7));
      await new Promise((resolve) => setImmediate(resolve));
    }
    res.end();
  });
  const url = await listen(server);
  return Object.assign(s, { url, server });
}

interface RelayCall { path: string; body: any; status: number }
interface Relay { url: string; calls: RelayCall[]; down: boolean; server: Server }

/** Forwards to the control plane and keeps every call; `down` answers 503 instead. */
async function startRelay(target: string): Promise<Relay> {
  const r = { calls: [] as RelayCall[], down: false };
  const server = createServer(async (req, res) => {
    const raw = await readAll(req);
    const entry: RelayCall = { path: req.url ?? '', body: raw ? JSON.parse(raw) : null, status: 0 };
    r.calls.push(entry);
    if (r.down) {
      entry.status = 503;
      return json(res, 503, { error: { code: 'unavailable', message: 'down for the test' } });
    }
    const upstream = httpRequest(`${target}${req.url}`, { method: req.method, headers: { ...req.headers, host: new URL(target).host } }, (up) => {
      entry.status = up.statusCode ?? 0;
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', (err) => json(res, 502, { error: { message: String(err) } }));
    upstream.end(raw);
  });
  const url = await listen(server);
  return Object.assign(r, { url, server });
}

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/** Polls until `probe` returns a value, for at most `withinMs`. */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, withinMs: number): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${withinMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// -- the member's side: the Anthropic Python SDK -----------------------------------------

interface SdkCall { kind: 'create' | 'stream' | 'openai' | 'openai-stream'; key: string; model?: string; headers?: Record<string, string>; maxRetries?: number }
type SdkResult =
  | { ok: true; id: string; model: string; usage: Record<string, unknown> }
  | { ok: false; status: number; error: string; message: string; body: any; retryCount: number };

// One Python process for the whole file (importing the two SDKs costs seconds of CPU):
// each line it reads is a batch of calls, each line it writes their results. Every call
// still makes its own client, as a member's program would.
const SDK_SCRIPT = String.raw`
import json, sys, traceback
import anthropic, openai

base = sys.argv[1]

def run(calls):
    out = []
    for call in calls:
        client = anthropic.Anthropic(base_url=base, api_key=call["key"], default_headers=call.get("headers") or {},
                                     max_retries=call.get("maxRetries", 2), timeout=60)
        args = dict(model=call.get("model") or "claude-haiku-4-5", max_tokens=512, messages=[{"role": "user", "content": "Say hello."}])
        try:
            if call["kind"].startswith("openai"):
                # The proxy's OpenAI-format route, to the same Anthropic model.
                oa = openai.OpenAI(base_url=base + "/v1", api_key=call["key"], max_retries=call.get("maxRetries", 2), timeout=60)
                if call["kind"] == "openai-stream":
                    chunks = list(oa.chat.completions.create(**args, stream=True, stream_options={"include_usage": True}))
                    out.append({"ok": True, "id": chunks[0].id, "model": chunks[0].model, "usage": next(c.usage for c in chunks if c.usage).model_dump(exclude_none=True)})
                else:
                    done = oa.chat.completions.create(**args)
                    out.append({"ok": True, "id": done.id, "model": done.model, "usage": done.usage.model_dump(exclude_none=True)})
                continue
            if call["kind"] == "stream":
                with client.messages.stream(**args) as stream:
                    message = stream.get_final_message()
            else:
                message = client.messages.create(**args)
            out.append({"ok": True, "id": message.id, "model": message.model, "usage": message.usage.model_dump(exclude_none=True)})
        except (anthropic.APIStatusError, openai.APIStatusError) as err:
            out.append({"ok": False, "status": err.status_code, "error": type(err).__name__, "message": err.message, "body": err.body,
                        "retryCount": int(err.response.request.headers.get("x-stainless-retry-count", "0"))})
    return out

for line in iter(sys.stdin.readline, ""):
    try:
        print(json.dumps({"results": run(json.loads(line))}), flush=True)
    except Exception:
        print(json.dumps({"crash": traceback.format_exc()}), flush=True)
`;

let sdkProcess: { child: ChildProcess; stderr: string; waiting: { resolve(v: SdkResult[]): void; reject(e: Error): void }[]; lines: string } | undefined;

/** The SDK process, started at the first batch; a batch not answered in 120 s ends it. */
function sdkChild() {
  if (sdkProcess && sdkProcess.child.exitCode === null && sdkProcess.child.signalCode === null) return sdkProcess;
  const child = spawn('python3', ['-c', SDK_SCRIPT, proxyUrl], { env: { ...process.env, NO_PROXY: '127.0.0.1' } });
  const p: NonNullable<typeof sdkProcess> = { child, stderr: '', waiting: [], lines: '' };
  const failure = (what: string) => new Error(`${what}:\n${p.stderr}\n--- proxy output (tail) ---\n${proxyOutput.slice(-4000)}`);
  child.stderr!.on('data', (d) => (p.stderr += d));
  child.stdin!.on('error', () => undefined); // written after it died: 'close' below says so
  child.stdout!.on('data', (d) => {
    p.lines += d;
    const complete = p.lines.split('\n');
    p.lines = complete.pop() ?? '';
    for (const line of complete.filter((l) => l.trim())) {
      let answer: { results?: SdkResult[]; crash?: string };
      try {
        answer = JSON.parse(line) as typeof answer;
      } catch {
        p.stderr += `${line}\n`; // something else the SDKs printed: kept for a failure's message
        continue;
      }
      const next = p.waiting.shift();
      if (answer.results) next?.resolve(answer.results);
      else next?.reject(failure(`the SDK script failed: ${answer.crash}`));
    }
  });
  child.on('error', (err) => p.waiting.splice(0).forEach((w) => w.reject(err)));
  child.on('close', (code) => p.waiting.splice(0).forEach((w) => w.reject(failure(`the SDK script exited ${code}`))));
  sdkProcess = p;
  return p;
}

function sdk(calls: SdkCall[]): Promise<SdkResult[]> {
  const p = sdkChild();
  return new Promise<SdkResult[]>((resolve, reject) => {
    const timer = setTimeout(() => p.child.kill('SIGKILL'), 120_000);
    p.waiting.push({ resolve: (v) => (clearTimeout(timer), resolve(v)), reject: (e) => (clearTimeout(timer), reject(e)) });
    p.child.stdin!.write(`${JSON.stringify(calls)}\n`);
  });
}

/** Ends the SDK process (its input closed: it finishes and exits). */
async function stopSdk() {
  const child = sdkProcess?.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('close', resolve));
  child.stdin!.end();
  const stopped = await Promise.race([gone.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 10_000))]);
  if (!stopped) child.kill('SIGKILL');
}

// -- set-up ---------------------------------------------------------------------------------

/** litellm's console script beside this python3; a clear failure where it is missing. */
function litellmExecutable(): string {
  // Found, not imported (importing LiteLLM alone costs seconds of CPU; the proxy imports it next).
  const probe = spawnSync('python3', ['-c', 'import importlib.util, os, shutil, sys, sysconfig\nmissing = [m for m in ("litellm", "anthropic", "openai") if importlib.util.find_spec(m) is None]\nif missing: sys.exit("not installed: " + ", ".join(missing))\np = os.path.join(sysconfig.get_path("scripts"), "litellm"); print(p if os.path.exists(p) else shutil.which("litellm") or p)'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(`The LiteLLM integration test needs LiteLLM's proxy and the Anthropic SDK for python3: run \`python3 -m ${INSTALL}\` (.ci/run installs them).\n${probe.stderr}`);
  }
  return probe.stdout.trim();
}

// Test-only stand-in for LiteLLM's key database: sk-<name> is a key whose user_id is <name>;
// sk-shared is a key of nobody in particular (a team's key, say).
const KEYS_PY = `
from fastapi import Request
from litellm.proxy._types import UserAPIKeyAuth

async def user_api_key_auth(request: Request, api_key: str) -> UserAPIKeyAuth:
    if api_key == "sk-shared":
        return UserAPIKeyAuth(api_key=api_key)
    if api_key == "sk-u-123":  # LiteLLM's user u-123, which the org knows as alice
        return UserAPIKeyAuth(api_key=api_key, user_id="u-123", metadata={"extra_usage_member": "alice", "extra_usage_product": "claude_code"})
    if api_key.startswith("sk-"):
        return UserAPIKeyAuth(api_key=api_key, user_id=api_key[3:])
    raise Exception("unknown key")
`;

beforeAll(async () => {
  const litellm = litellmExecutable();
  scratch = await migrated(scratchPglite);
  h = await harness(scratch.db.prisma, new Date());
  // carol's cap on extra usage is zero: once her seat's $1.00 is used she is refused.
  const doc = enterpriseDoc();
  await h.provision('acme', { ...doc, members: [...doc.members, { externalId: 'carol', name: 'Carol', role: 'member', seatTier: 'standard', extraUsageCap: '0.00' }] });
  const key = (usageKey = await h.issueKey('acme', ['usage']));
  const used = await h.call('POST', '/v1/usage/record', { token: key, body: { requestId: 'carol-earlier', member: 'carol', model: HAIKU, usage: usageOfCents(100) } });
  expect(used.status).toBe(200);

  const controlPlane = await h.app.listen({ host: '127.0.0.1', port: 0 });
  relay = await startRelay(controlPlane);
  standIn = await startStandIn();
  dir = await mkdtemp(path.join(tmpdir(), 'litellm-'));
  await writeFile(path.join(dir, 'test_keys.py'), KEYS_PY);
  // The model names Claude Code asks for: the alias and the dated snapshot.
  const model = (name: string) => `
  - model_name: ${name}
    litellm_params:
      model: anthropic/claude-haiku-4-5
      api_base: ${standIn.url}
      api_key: sk-ant-standin`;
  // And a name the price book has no price for (docs/integrations.md: the hook's 429).
  await writeFile(path.join(dir, 'config.yaml'), `model_list:${model('claude-haiku-4-5')}${model(SNAPSHOT)}${model(UNPRICED)}
router_settings:
  num_retries: 1
  retry_after: 0
litellm_settings:
  callbacks: extra_usage_hook.proxy_handler_instance
general_settings:
  master_key: sk-${randomBytes(32).toString('hex')}
  custom_auth: test_keys.user_api_key_auth
`);

  const port = await freePort();
  proxyUrl = `http://127.0.0.1:${port}`;
  proxy = spawn(litellm, ['--config', path.join(dir, 'config.yaml'), '--host', '127.0.0.1', '--port', String(port), '--num_workers', '1'], {
    cwd: dir,
    detached: true, // its own process group: afterAll ends it and anything it started
    env: {
      ...process.env,
      PYTHONPATH: [HOOK_DIR, dir, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter),
      EXTRA_USAGE_URL: relay.url,
      EXTRA_USAGE_API_KEY: key,
      EXTRA_USAGE_MEMBER_HEADER: 'x-extra-usage-member',
      EXTRA_USAGE_TIMEOUT_SECONDS: '10',
      // The price map ships with the package; no fetch from the internet at start.
      LITELLM_LOCAL_MODEL_COST_MAP: 'True',
      NO_PROXY: '127.0.0.1,localhost',
    },
  });
  proxy.stdout!.on('data', (d) => (proxyOutput += d));
  proxy.stderr!.on('data', (d) => (proxyOutput += d));
  const exited = new Promise<string>((resolve) => proxy!.on('exit', (code, signal) => resolve(`litellm exited (${code ?? signal}) before it was ready`)));
  let early: string | undefined;
  void exited.then((why) => (early = why));
  await waitFor('litellm to answer /health/liveliness', async () => {
    if (early) throw new Error(`${early}:\n${proxyOutput.slice(-6000)}`);
    const res = await fetch(`${proxyUrl}/health/liveliness`).catch(() => undefined);
    return res?.ok ? true : undefined;
  }, PROXY_READY_WITHIN_MS).catch((err) => {
    throw new Error(`${(err as Error).message}\n--- litellm output (tail) ---\n${proxyOutput.slice(-6000)}`);
  });
}, PROXY_READY_WITHIN_MS + 60_000);

afterAll(async () => {
  await stopSdk();
  if (proxy?.pid && proxy.exitCode === null) {
    const gone = new Promise((resolve) => proxy!.once('exit', resolve));
    process.kill(-proxy.pid, 'SIGTERM');
    const stopped = await Promise.race([gone.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 10_000))]);
    if (!stopped) process.kill(-proxy.pid, 'SIGKILL');
  }
  for (const s of [standIn?.server, relay?.server]) {
    s?.closeAllConnections();
    await new Promise((resolve) => s?.close(resolve) ?? resolve(undefined));
  }
  await h?.close();
  await scratch?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 30_000);

// -- what a member and the ledger see ------------------------------------------------------

const recordsOf = (requestId: string) => relay.calls.filter((c) => c.path === '/v1/usage/record' && c.body?.requestId === requestId);
const authorizesOf = (member: string) => relay.calls.filter((c) => c.path === '/v1/usage/authorize' && c.body?.member === member);

/** The ledger's row for a message, once the hook has recorded it. */
function ledgerRow(requestId: string) {
  return waitFor(`the usage of ${requestId} in the ledger`, async () => {
    const rows = await scratch.db.prisma.usageEvent.findMany({ where: { requestId }, include: { member: true } });
    return rows.length > 0 ? rows : undefined;
  }, 20_000);
}

describe('a LiteLLM proxy with the extra usage hook, driven by the Anthropic SDK', () => {
  it('records a member\'s request once, with the usage the Messages API returned and the member of the key', { timeout: 120_000 }, async () => {
    standIn.usage = USAGE_CREATE;
    const before = standIn.calls.length;
    const [result] = await sdk([{ kind: 'create', key: 'sk-alice' }]);

    expect(result).toMatchObject({ ok: true, usage: USAGE_CREATE });
    const id = (result as { id: string }).id;
    const rows = await ledgerRow(id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      model: HAIKU, inputTokens: 1200, outputTokens: 800, cacheReadTokens: 30000, cacheWrite5mTokens: 1500, cacheWrite1hTokens: 500,
      // $0.0012 input + $0.001875 5-minute writes + $0.001 1-hour writes + $0.003 reads + $0.004 output
      costNanos: 11_075_000n, includedNanos: 11_075_000n, extraNanos: 0n,
    });
    expect(rows[0]!.member.externalId).toBe('alice');
    // Sent as the model answered it; the snapshot date dropped from the model for the price book.
    // (The row is written before the control plane's answer has passed back through the relay.)
    await waitFor(`the control plane's answer to the record of ${id}`, async () => (recordsOf(id).every((c) => c.status !== 0) ? true : undefined), 20_000);
    expect(recordsOf(id)).toEqual([{ path: '/v1/usage/record', status: 200, body: { requestId: id, member: 'alice', model: HAIKU, usage: USAGE_CREATE } }]);
    expect(standIn.calls.slice(before)).toHaveLength(1);
    expect(standIn.calls.at(-1)!.apiKey).toBe('sk-ant-standin');
  });

  it('records a streamed response once, with the final counts of its message_delta', { timeout: 120_000 }, async () => {
    standIn.usage = USAGE_STREAM;
    // Claude Code names dated snapshots: priced as the model they are a snapshot of.
    const [result] = await sdk([{ kind: 'stream', key: 'sk-alice', model: SNAPSHOT }]);

    expect(result).toMatchObject({ ok: true, usage: USAGE_STREAM });
    const id = (result as { id: string }).id;
    const rows = await ledgerRow(id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ model: HAIKU, inputTokens: 2100, outputTokens: 640, cacheReadTokens: 0, cacheWrite5mTokens: 4000, cacheWrite1hTokens: 0 });
    expect(rows[0]!.member.externalId).toBe('alice');
    expect(recordsOf(id).map((c) => c.body)).toEqual([{ requestId: id, member: 'alice', model: HAIKU, usage: USAGE_STREAM }]);
    expect(authorizesOf('alice').at(-1)!.body).toEqual({ member: 'alice', model: HAIKU });
  });

  it('records once when LiteLLM retried the model after an overload', { timeout: 120_000 }, async () => {
    standIn.usage = USAGE_CREATE;
    standIn.failNext.push(529);
    const before = standIn.calls.length;
    const authorizedBefore = authorizesOf('bob').length;
    // bob's key: a shared key naming him in the header is ignored for a key that names someone.
    const [result] = await sdk([{ kind: 'create', key: 'sk-bob', headers: { 'x-extra-usage-member': 'alice' } }]);

    expect(result).toMatchObject({ ok: true });
    expect(standIn.calls.length - before).toBe(2); // the overloaded attempt and the retry
    const id = (result as { id: string }).id;
    const rows = await ledgerRow(id);
    expect(rows.map((r) => r.member.externalId)).toEqual(['bob']);
    expect(recordsOf(id)).toHaveLength(1);
    expect(authorizesOf('bob').length - authorizedBefore).toBe(1);
  });

  it('refuses a member at their cap with the control plane\'s words (local reset time, next step, link); the model is never called', { timeout: 120_000 }, async () => {
    const expected = await h.call('POST', '/v1/usage/authorize', { token: usageKey, body: { member: 'carol', model: HAIKU } });
    expect(expected.body).toMatchObject({ allowed: false, reason: 'member_cap_reached' });
    const before = standIn.calls.length;
    const authorizedBefore = authorizesOf('carol').length;

    // The SDK's default retries are on: the refusal says not to retry, and it is not.
    const [result] = await sdk([{ kind: 'create', key: 'sk-carol' }]);

    expect(result).toMatchObject({ ok: false, status: 429, error: 'RateLimitError', retryCount: 0 });
    const refused = result as Extract<SdkResult, { ok: false }>;
    // What the person reads is the server's message, as it is: words, not a code or a UTC instant.
    // When carol's seat's included usage comes back sooner than the limit lifts, the words say so too.
    const lifts = formatWhen(expected.body.resetsAt, 'Europe/Paris').replace(/[()]/g, '\\$&');
    expect(expected.body.message).toMatch(new RegExp(`^You reached your monthly extra usage limit \\(\\$0\\.00 of \\$0\\.00\\); it lifts ${lifts}(; your included usage comes back [^;]+ \\(Europe/Paris\\))?\\. To go on sooner, ask to raise your limit in the web console at /me$`));
    expect(refused.body.error.message).toBe(expected.body.message);
    expect(refused.body.error).toMatchObject({ type: 'rate_limit_error', provider_specific_fields: { extra_usage: { reason: 'member_cap_reached', resetsAt: expected.body.resetsAt, message: expected.body.message } } });
    expect(standIn.calls.length).toBe(before);
    expect(authorizesOf('carol').length - authorizedBefore).toBe(1);
    expect(await scratch.db.prisma.usageEvent.count({ where: { member: { externalId: 'carol' } } })).toBe(1); // the earlier one only
  });

  it('refuses a model without a price with 429 rate_limit_error and reason model_unpriced; the model is never called', { timeout: 120_000 }, async () => {
    const before = standIn.calls.length;
    const [result] = await sdk([{ kind: 'create', key: 'sk-alice', model: UNPRICED }]);
    expect(result).toMatchObject({ ok: false, status: 429, error: 'RateLimitError', retryCount: 0 });
    const refused = result as Extract<SdkResult, { ok: false }>;
    expect(refused.message).toContain(`The model ${UNPRICED} has no price here yet, so its usage could not be counted;`);
    expect(refused.body.error).toMatchObject({ type: 'rate_limit_error', provider_specific_fields: { extra_usage: { reason: 'model_unpriced' } } });
    expect(standIn.calls.length).toBe(before);
  });

  it('meters a shared key by the member header, and refuses it when it names nobody', { timeout: 120_000 }, async () => {
    standIn.usage = USAGE_CREATE;
    const before = standIn.calls.length;
    const [named, anonymous] = await sdk([
      { kind: 'create', key: 'sk-shared', headers: { 'x-extra-usage-member': 'bob' } },
      { kind: 'create', key: 'sk-shared' },
    ]);

    expect(named).toMatchObject({ ok: true });
    const rows = await ledgerRow((named as { id: string }).id);
    expect(rows.map((r) => r.member.externalId)).toEqual(['bob']);
    expect(anonymous).toMatchObject({ ok: false, status: 403, error: 'PermissionDeniedError' });
    expect((anonymous as { message: string }).message).toContain('names no member');
    expect(standIn.calls.length - before).toBe(1);
  });

  it('takes the member (and the product) from the key\'s metadata where LiteLLM\'s user id is not the member\'s', { timeout: 120_000 }, async () => {
    standIn.usage = USAGE_CREATE;
    const [result] = await sdk([{ kind: 'create', key: 'sk-u-123' }]);

    expect(result).toMatchObject({ ok: true });
    const rows = await ledgerRow((result as { id: string }).id);
    expect(rows.map((r) => r.member.externalId)).toEqual(['alice']);
    // The key's metadata also names the product (Claude Code through this gateway): sent with authorize and record.
    expect(rows.map((r) => r.product)).toEqual(['claude_code']);
  });

  it('refuses while the control plane is down (fail closed), and the model is never called', { timeout: 120_000 }, async () => {
    const before = standIn.calls.length;
    relay.down = true;
    try {
      const [result] = await sdk([{ kind: 'create', key: 'sk-alice', maxRetries: 0 }]);
      expect(result).toMatchObject({ ok: false, status: 503 });
      expect((result as { message: string }).message).toContain('control plane is unavailable');
    } finally {
      relay.down = false;
    }
    expect(standIn.calls.length).toBe(before);
  });

  it('meters the proxy\'s OpenAI-format route to the same model too', { timeout: 120_000 }, async () => {
    standIn.usage = USAGE_CREATE;
    const before = standIn.calls.length;
    const [plain, streamed] = await sdk([{ kind: 'openai', key: 'sk-bob' }, { kind: 'openai-stream', key: 'sk-bob' }]);

    // LiteLLM answers with ids of its own (chatcmpl-…); a plain answer is recorded under the
    // model's message id, which LiteLLM kept with the model's own response.
    expect(plain).toMatchObject({ ok: true });
    const rows = await ledgerRow(standIn.calls[before]!.answered!);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ model: HAIKU, inputTokens: 1200, outputTokens: 800, cacheReadTokens: 30000, cacheWrite5mTokens: 1500, cacheWrite1hTokens: 500 });
    expect(rows[0]!.member.externalId).toBe('bob');
    // A stream arrives as LiteLLM's chunks: recorded under the id the caller saw, with
    // LiteLLM's usage mapped back to the Messages API's fields.
    expect(streamed).toMatchObject({ ok: true });
    const streamedRows = await ledgerRow((streamed as { id: string }).id);
    expect(streamedRows).toHaveLength(1);
    expect(streamedRows[0]).toMatchObject({ model: HAIKU, inputTokens: 1200, outputTokens: 800, cacheReadTokens: 30000, cacheWrite5mTokens: 1500, cacheWrite1hTokens: 500 });
    expect(streamedRows[0]!.member.externalId).toBe('bob');
  });

  it('sent every message\'s record exactly once', () => {
    const recorded = relay.calls.filter((c) => c.path === '/v1/usage/record').map((c) => c.body.requestId);
    expect(recorded.length).toBeGreaterThanOrEqual(4);
    expect(new Set(recorded).size).toBe(recorded.length);
    // The operator's log: the outage above is in it, and no record was lost.
    expect(proxyOutput).toContain('extra usage: control plane unavailable');
    expect(proxyOutput).not.toContain('record failed');
    expect(proxyOutput).not.toContain('nothing to record');
  });
});
