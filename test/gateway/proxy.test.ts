// The built-in Claude gateway through the real @anthropic-ai/sdk and plain HTTP: what
// a member's client sees (answers, refusals, errors in Anthropic's shape) and what the
// ledger keeps (one usage event per model request, however the answer ended).
import { createServer, type Server } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import { openDatabase, type Database } from '../../src/db/client.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, HAIKU, OPERATOR_TOKEN, usageOfCents } from '../support/fixtures.js';
import { CONSOLE_URL, gatewayOrg, startGateway, UPSTREAM_KEY, type GatewayUnderTest } from './support.js';

let scratch: Scratch;
let g: GatewayUnderTest;
beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  g = await startGateway(scratch.db.prisma);
});
afterAll(async () => {
  await g?.close();
  await scratch?.dispose();
});

const client = (key: string, options: Partial<ConstructorParameters<typeof Anthropic>[0]> = {}) => new Anthropic({ apiKey: key, baseURL: g.gatewayUrl, maxRetries: 0, ...options });
const post = (path: string, headers: Record<string, string>, body: string) => fetch(`${g.gatewayUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...headers }, body });
const hello = { model: HAIKU, max_tokens: 256, messages: [{ role: 'user' as const, content: 'Hello' }] };

describe('model requests through the gateway', () => {
  it('answers messages.create from the upstream, forwarding body and anthropic-* headers unchanged with the org\'s upstream key, and records one event for the key\'s member', async () => {
    const o = await gatewayOrg(g);
    const { key } = await o.keyFor('alice');
    g.standIn.plan({ usage: { input_tokens: 1200, output_tokens: 340 }, text: 'Bonjour.' });
    const before = g.records.length;
    const seen = g.standIn.requests.length;
    // What the SDK sends, seen at its own transport.
    let sentHeaders: Headers | undefined;
    const fetchSeen: typeof fetch = async (input, init) => {
      sentHeaders = new Headers(init?.headers);
      return fetch(input, init);
    };
    const message = await client(key, { fetch: fetchSeen, defaultHeaders: { 'anthropic-beta': 'interleaved-thinking-2025-05-14' } }).messages.create({ ...hello, metadata: { user_id: 'u-1' } });
    expect(message.content).toEqual([{ type: 'text', text: 'Bonjour.' }]);
    const upstream = g.standIn.requests[seen]!;
    expect(upstream.body).toEqual({ ...hello, metadata: { user_id: 'u-1' } });
    expect(upstream.headers['anthropic-version']).toBe(sentHeaders!.get('anthropic-version'));
    expect(upstream.headers['anthropic-beta']).toBe('interleaved-thinking-2025-05-14');
    // The member's key never leaves us; the org's key goes upstream.
    expect(upstream.headers['x-api-key']).toBe(UPSTREAM_KEY);
    expect(JSON.stringify(upstream.headers)).not.toContain(key);
    await g.recorded(before + 1);
    const events = await o.events();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ model: HAIKU, inputTokens: 1200, outputTokens: 340, product: 'api' });
    expect(events[0]!.memberId).toBe((await g.db.member.findFirstOrThrow({ where: { orgId: o.orgId, externalId: 'alice' } })).id);
  });

  it('streams with the SDK and records the cumulative usage of message_delta once', async () => {
    const o = await gatewayOrg(g);
    const { key } = await o.keyFor('bob');
    g.standIn.plan({ usage: { input_tokens: 2500, output_tokens: 640, cache_read_input_tokens: 100 }, text: 'One two three.' });
    const before = g.records.length;
    const stream = client(key).messages.stream(hello);
    const texts: string[] = [];
    stream.on('text', (t) => texts.push(t));
    const final = await stream.finalMessage();
    expect(texts.join('')).toBe('One two three.');
    expect(final.usage.output_tokens).toBe(640);
    await g.recorded(before + 1);
    const events = await o.events('bob');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ inputTokens: 2500, outputTokens: 640, cacheReadTokens: 100 });
  });

  it('passes a stream byte for byte, as the upstream sent it', async () => {
    const o = await gatewayOrg(g);
    const { key } = await o.keyFor('alice');
    g.standIn.plan({ usage: { input_tokens: 10, output_tokens: 20 }, text: 'Bytes as they were, with üñíçødé and "quotes".' });
    const sentBefore = g.standIn.sent.length;
    const res = await post('/v1/messages', { 'x-api-key': key }, JSON.stringify({ ...hello, stream: true }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const received = Buffer.from(await res.arrayBuffer());
    expect(g.standIn.sent).toHaveLength(sentBefore + 1);
    expect(received.equals(g.standIn.sent.at(-1)!)).toBe(true);
  });

  it('serves count_tokens and the models list (nothing recorded)', async () => {
    const o = await gatewayOrg(g);
    const { key } = await o.keyFor('alice');
    g.standIn.countTokensAnswer = 4242;
    const c = client(key);
    expect(await c.messages.countTokens({ model: HAIKU, messages: [{ role: 'user', content: 'Count me' }] })).toEqual({ input_tokens: 4242 });
    const models = [];
    for await (const m of c.models.list()) models.push(m.id);
    expect(models).toEqual(['claude-sonnet-4-5', 'claude-haiku-4-5']);
    expect(await o.events()).toHaveLength(0);
  });

  it('passes upstream overloads (529) through; the SDK retries and exactly one event is recorded', async () => {
    const o = await gatewayOrg(g);
    const { key } = await o.keyFor('alice');
    g.standIn.plan({ failures: [529, 529], usage: { input_tokens: 300, output_tokens: 40 } });
    const attempts = g.standIn.messageAttempts().length;
    const before = g.records.length;
    await client(key, { maxRetries: 2 }).messages.create(hello);
    expect(g.standIn.messageAttempts().length - attempts).toBe(3);
    await g.recorded(before + 1);
    expect(await o.events()).toHaveLength(1);
  });

  it('records what a stream broken by the upstream had used', async () => {
    const o = await gatewayOrg(g);
    const { key } = await o.keyFor('alice');
    g.standIn.plan({ usage: { input_tokens: 900, output_tokens: 300 }, breakStreamAfterFirstDelta: true });
    const before = g.records.length;
    await expect(client(key).messages.stream(hello).finalMessage()).rejects.toThrow(/Overloaded/);
    await g.recorded(before + 1);
    // message_start's counts: the prompt and the first output token.
    expect(await o.events()).toMatchObject([{ inputTokens: 900, outputTokens: 1 }]);
  });

  it('records what a stream the client abandoned had used', async () => {
    const o = await gatewayOrg(g);
    const { key } = await o.keyFor('alice');
    g.standIn.plan({ usage: { input_tokens: 700, output_tokens: 300 }, stallStreamAfterFirstDelta: true });
    const before = g.records.length;
    const stream = client(key).messages.stream(hello);
    const ended = stream.finalMessage().then(() => 'finished', (err: unknown) => String(err));
    await new Promise<void>((resolve) => stream.on('text', () => resolve()));
    stream.abort();
    expect(await ended).toMatch(/abort/i);
    await g.recorded(before + 1);
    expect(await o.events()).toMatchObject([{ inputTokens: 700, outputTokens: 1 }]);
  });

  it('in reservation mode holds max_tokens and a bound on the prompt before forwarding, and the record settles the hold', async () => {
    const o = await gatewayOrg(g, enterpriseDoc({ extraUsage: { enabled: true, enforcement: 'reserve' } }));
    const { key } = await o.keyFor('alice');
    g.standIn.plan({ usage: { input_tokens: 40, output_tokens: 60 } });
    const before = g.records.length;
    await client(key).messages.create(hello);
    await g.recorded(before + 1);
    const [event] = await o.events();
    const holds = await g.db.reservation.findMany({ where: { orgId: o.orgId } });
    expect(holds).toHaveLength(1);
    expect(holds[0]).toMatchObject({ requestId: event!.requestId, settledAt: expect.any(Date), releasedAt: null });
    expect(holds[0]!.estimateNanos).toBeGreaterThan(event!.costNanos!);

    // An upstream error uses nothing: its hold is given back at once, nothing recorded.
    g.standIn.plan({ failures: [500] });
    await expect(client(key).messages.create(hello)).rejects.toThrow();
    await vi.waitFor(async () => expect(await g.db.reservation.count({ where: { orgId: o.orgId, releasedAt: { not: null } } })).toBe(1));
    expect(await o.events()).toHaveLength(1);
    const member = await g.db.monthlySpend.findFirstOrThrow({ where: { orgId: o.orgId, scope: 'member' } });
    expect(member.reservedNanos).toBe(0n);
  });

  it('marks Claude Code\'s requests (its User-Agent) as product claude_code', async () => {
    const o = await gatewayOrg(g);
    const { key } = await o.keyFor('alice');
    g.standIn.plan({ usage: { input_tokens: 5, output_tokens: 5 } });
    const before = g.records.length;
    const res = await post('/v1/messages', { 'x-api-key': key, 'user-agent': 'claude-cli/2.1.337 (external, cli)' }, JSON.stringify(hello));
    expect(res.status).toBe(200);
    await g.recorded(before + 1);
    expect(await o.events()).toMatchObject([{ product: 'claude_code' }]);
  });
});

describe('who is calling', () => {
  it('accepts the key as x-api-key or Authorization: Bearer; a missing or unknown key is a 401 authentication_error', async () => {
    const o = await gatewayOrg(g);
    const { key } = await o.keyFor('alice');
    g.standIn.plan({ usage: { input_tokens: 5, output_tokens: 5 } });
    expect((await post('/v1/messages', { authorization: `Bearer ${key}` }, JSON.stringify(hello))).status).toBe(200);
    const missing = await post('/v1/messages', {}, JSON.stringify(hello));
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error', message: expect.stringMatching(/x-api-key/) } });
    const unknown = await post('/v1/messages', { 'x-api-key': 'eug_not-a-key-we-made' }, JSON.stringify(hello));
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    // Our other keys are not gateway keys.
    expect((await post('/v1/messages', { 'x-api-key': o.apiKey }, JSON.stringify(hello))).status).toBe(401);
  });

  it('refuses a revoked key with 401 and audits its use; an expired key too', async () => {
    const o = await gatewayOrg(g);
    const made = await o.keyFor('alice');
    // Another member may not revoke it; an admin may.
    expect((await o.as('bob', 'DELETE', `/v1/gateway-keys/${made.id}`)).status).toBe(403);
    const revoked = await o.as('admin-1', 'DELETE', `/v1/gateway-keys/${made.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    const calls = g.standIn.requests.length;
    const res = await post('/v1/messages', { 'x-api-key': made.key }, JSON.stringify(hello));
    expect(res.status).toBe(401);
    expect(res.headers.get('x-should-retry')).toBe('false');
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    expect(g.standIn.requests.length).toBe(calls);
    const audit = await g.db.auditEntry.findMany({ where: { orgId: o.orgId, subject: `gateway_key:${made.id}` }, orderBy: { id: 'asc' } });
    expect(audit.map((a) => a.action)).toEqual(['gateway_key.create', 'gateway_key.revoke', 'gateway_key.used_after_revoke']);
    expect(audit[1]!.actor).toMatch(/admin-1/);

    g.h.clock.now = new Date('2026-11-15T12:00:00Z');
    const expiring = await o.keyFor('alice', { expiresAt: '2026-11-15T13:00:00Z' });
    g.h.clock.now = new Date('2026-11-15T13:00:01Z');
    try {
      expect((await post('/v1/messages', { 'x-api-key': expiring.key }, JSON.stringify(hello))).status).toBe(401);
    } finally {
      g.h.clock.now = new Date('2026-11-15T12:00:00Z');
    }
  });

  it('keys: hashed at rest, shown once, listed without the key; members see their own, admins everyone\'s', async () => {
    const o = await gatewayOrg(g);
    const made = await o.keyFor('alice', { name: 'laptop' });
    expect(made.key).toMatch(/^eug_[A-Za-z0-9_-]{43}$/);
    expect(made.prefix).toBe(made.key.slice(0, 12));
    const row = await g.db.gatewayKey.findUniqueOrThrow({ where: { id: made.id } });
    expect(JSON.stringify(row)).not.toContain(made.key);
    await o.keyFor('bob');
    const own = await o.as('alice', 'GET', '/v1/gateway-keys');
    expect(own.body.keys.map((k: { name: string }) => k.name)).toEqual(['laptop']);
    expect(JSON.stringify(own.body)).not.toContain(made.key);
    expect((await o.as('owner-1', 'GET', '/v1/gateway-keys')).body.keys).toHaveLength(2);
    // A member may not fix the product of a key (that would move their usage off a product's cap).
    expect((await o.as('alice', 'POST', '/v1/me/gateway-keys', { product: 'api' })).status).toBe(403);
  });

  it('keeps the upstream key encrypted at rest and never answers or audits it', async () => {
    const o = await gatewayOrg(g);
    const view = await g.h.call('GET', `/v1/operator/orgs/${o.slug}/gateway/upstream-key`, { token: OPERATOR_TOKEN });
    expect(view.body).toEqual({ set: true, updatedAt: expect.any(String) });
    const row = await g.db.gatewayUpstream.findUniqueOrThrow({ where: { orgId: o.orgId } });
    expect(row.keyCiphertext).not.toContain(UPSTREAM_KEY);
    expect(row.keyCiphertext).toMatch(/^v1\./);
    const audit = await g.db.auditEntry.findMany({ where: { orgId: o.orgId, action: 'gateway.upstream_key.set' } });
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit.map((a) => [a.actor, a.before, a.after]))).not.toContain(UPSTREAM_KEY);
    expect(audit[0]!.after).toEqual({ set: true, key: 'stored (encrypted)' });
  });
});

describe('refusals and errors in Anthropic\'s shape', () => {
  it('a member at their cap gets a 429 that will not be retried, in words, with the local reset time and the console link', async () => {
    const o = await gatewayOrg(g, enterpriseDoc({ members: [
      { externalId: 'owner-1', name: 'Olivia Owner', role: 'primary_owner', seatTier: 'premium' },
      { externalId: 'dave', name: 'Dave', role: 'member', seatTier: 'standard', extraUsageCap: '1.00' },
    ] }));
    // $1.00 included, then $1.00 of extra usage: at the cap.
    expect((await o.recordDirect('dave', usageOfCents(200))).status).toBe(200);
    const { key } = await o.keyFor('dave');
    const calls = g.standIn.requests.length;
    const res = await post('/v1/messages', { 'x-api-key': key }, JSON.stringify(hello));
    expect(res.status).toBe(429);
    expect(res.headers.get('x-should-retry')).toBe('false');
    // Until the month ends in Paris: 1 Dec 2026 00:00 CET = 30 Nov 23:00Z, from 15 Nov 12:00Z.
    expect(res.headers.get('retry-after')).toBe(String((Date.parse('2026-11-30T23:00:00Z') - Date.parse('2026-11-15T12:00:00Z')) / 1000));
    const body = await res.json();
    expect(body.type).toBe('error');
    expect(body.error.type).toBe('rate_limit_error');
    expect(body.error.message).toContain('You reached your monthly extra usage limit ($1.00 of $1.00)');
    expect(body.error.message).toContain('1 Dec 2026, 00:00 (Europe/Paris)');
    expect(body.error.message).toContain(`${CONSOLE_URL}/me`);
    expect(g.standIn.requests.length).toBe(calls);
  });

  it('answers unknown paths 404 and bad bodies 400 without calling the upstream', async () => {
    const o = await gatewayOrg(g);
    const { key } = await o.keyFor('alice');
    const calls = g.standIn.requests.length;
    const unknown = await fetch(`${g.gatewayUrl}/v1/complete`, { method: 'POST', headers: { 'x-api-key': key }, body: '{}' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    const malformed = await post('/v1/messages', { 'x-api-key': key }, '{"model": ');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringMatching(/JSON/) } });
    const noMax = await post('/v1/messages', { 'x-api-key': key }, JSON.stringify({ model: HAIKU, messages: hello.messages }));
    expect(noMax.status).toBe(400);
    expect((await noMax.json()).error.message).toMatch(/^max_tokens/);
    // A model the price book cannot price is refused in words (the org set no fallback).
    const unpriced = await post('/v1/messages', { 'x-api-key': key }, JSON.stringify({ ...hello, model: 'acme-model-without-a-price' }));
    expect(unpriced.status).toBe(400);
    expect(await unpriced.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringMatching(/has no price/) } });
    expect(g.standIn.requests.length).toBe(calls);
  });
});

describe('the control plane\'s database unreachable', () => {
  let blackHole: Server;
  let database: Database;
  beforeAll(async () => {
    // Accepts connections and never answers: a database that hangs.
    blackHole = createServer(() => {});
    await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', r));
    const port = (blackHole.address() as { port: number }).port;
    database = await openDatabase({ url: `postgresql://root@127.0.0.1:${port}/none?connect_timeout=60` });
  });
  afterAll(async () => {
    blackHole?.close();
    // The pool's connections never opened; closing it must not wait on them.
    await Promise.race([database?.close(), new Promise((r) => setTimeout(r, 100))]);
  });

  it('answers 503 with x-should-retry: false and says extra-usage checks are unavailable', async () => {
    const app = buildServer({ db: database.prisma, operatorToken: OPERATOR_TOKEN, now: () => new Date(), gateway: { upstreamUrl: g.standIn.url } });
    try {
      const calls = g.standIn.requests.length;
      const started = Date.now();
      const res = await app.inject({ method: 'POST', url: '/anthropic/v1/messages', headers: { 'x-api-key': 'eug_some-key-the-database-would-know', 'content-type': 'application/json' }, payload: JSON.stringify(hello) });
      const tookMs = Date.now() - started;
      expect(res.statusCode).toBe(503);
      expect(res.headers['x-should-retry']).toBe('false');
      expect(JSON.parse(res.body)).toMatchObject({ type: 'error', error: { type: 'api_error', message: expect.stringMatching(/Extra-usage checks are unavailable/) } });
      expect(g.standIn.requests.length).toBe(calls);
      // The budget is 2 s; the answer does not wait for the database's own timeouts (60 s here).
      expect(tookMs).toBeLessThan(30_000);
    } finally {
      await app.close();
    }
  });
});
