// The TypeScript client (clients/typescript) driven as a user would: the real
// @anthropic-ai/sdk pointed at a local Messages API stand-in, and the real control
// plane over HTTP. Each case asserts what the ledger ends up holding: one usage
// event per message with its tokens and cost, holds settled, nothing recorded for a
// refusal, and usage handed back, not lost, when the control plane is down.
import Anthropic from '@anthropic-ai/sdk';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ControlPlane,
  ControlPlaneError,
  estimateFromBytes,
  ExtraUsageRefusedError,
  IMAGE_TOKENS,
  withExtraUsage,
  type ExtraUsageOptions,
  type RecordRequest,
  type RecordResult,
} from '../../clients/typescript/src/index.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, harness, HAIKU, usageOfCents, type Harness } from '../support/fixtures.js';
import { startMessagesApi, type MessagesApiStandIn } from '../support/messages-api.js';

const SONNET = 'claude-sonnet-4-5';
// The docs' example: $0.0036 input + $0.012 output + $0.009 cache reads + $0.0075 cache writes on Sonnet 4.5.
const DOCS_USAGE = {
  input_tokens: 1200,
  output_tokens: 800,
  cache_read_input_tokens: 30_000,
  cache_creation_input_tokens: 2000,
  cache_creation: { ephemeral_5m_input_tokens: 2000, ephemeral_1h_input_tokens: 0 },
};
// Haiku 4.5, per token in nano-dollars: input 1,000, output 5,000, a 1-hour cache write
// 2,000 (what a hold charges every prompt token).
const HAIKU_NANOS = { input: 1_000n, output: 5_000n, cacheWrite1h: 2_000n };
const noAllowance = { standard: { includedAllowance: '0.00', windowMinutes: 300 }, premium: { includedAllowance: '0.00', windowMinutes: 300 } };
const hello = (model: string) => ({ model, max_tokens: 1024, messages: [{ role: 'user' as const, content: 'Hello' }] });

let scratch: Scratch;
let h: Harness;
let base: string;
let standIn: MessagesApiStandIn;
let anthropic: Anthropic;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  h = await harness(scratch.db.prisma);
  base = await h.app.listen({ host: '127.0.0.1', port: 0 });
  standIn = await startMessagesApi();
  anthropic = new Anthropic({ apiKey: 'sk-ant-test', baseURL: standIn.url, maxRetries: 2 });
});
afterAll(async () => {
  await standIn?.close();
  await h?.close();
  await scratch?.dispose();
});

interface ControlPlaneCall {
  path: string;
  body: any;
}

/** The control plane's fetch, keeping every call made (the client's transport is injected). */
function seeing(calls: ControlPlaneCall[], fetchFn: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    calls.push({ path: new URL(String(input)).pathname, body: JSON.parse(String(init?.body)) });
    return fetchFn(input, init);
  };
}

let orgs = 0;
async function org(doc: unknown) {
  const slug = `client-${++orgs}`;
  const { orgId } = await h.provision(slug, doc);
  const key = await h.issueKey(slug, ['usage']);
  const calls: ControlPlaneCall[] = [];
  const controlPlane = new ControlPlane({ baseURL: base, apiKey: key, fetch: seeing(calls) });
  const db = scratch.db.prisma;
  return {
    orgId,
    key,
    calls,
    paths: () => calls.map((c) => c.path),
    meter: (member: string, options: Partial<ExtraUsageOptions> = {}) => withExtraUsage(anthropic, { controlPlane, member, ...options }),
    events: () => db.usageEvent.findMany({ where: { orgId }, orderBy: { createdAt: 'asc' } }),
    /** Usage recorded straight through the API, as another gateway would. */
    recordDirect: async (member: string, requestId: string, usage: unknown) => {
      const res = await h.call('POST', '/v1/usage/record', { token: key, body: { requestId, member, model: HAIKU, usage } });
      expect(res.status).toBe(200);
    },
  };
}

describe('check mode', () => {
  it('records one usage event with the message id, its tokens and its cost after messages.create', async () => {
    const o = await org(enterpriseDoc());
    const recorded: RecordResult[] = [];
    const metered = o.meter('alice', { onRecorded: (r) => recorded.push(r) });
    standIn.plan({ usage: DOCS_USAGE, text: 'Bonjour.' });

    const message = await metered.messages.create(hello(SONNET));
    expect(message.content).toEqual([{ type: 'text', text: 'Bonjour.' }]);
    expect(message.id).toMatch(/^msg_/);
    await metered.flush();

    expect(o.calls[0]!.body).toEqual({ member: 'alice', model: SONNET });
    expect(o.paths()).toEqual(['/v1/usage/authorize', '/v1/usage/record']);
    const events = await o.events();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      requestId: message.id, model: SONNET,
      inputTokens: 1200, outputTokens: 800, cacheReadTokens: 30_000, cacheWrite5mTokens: 2000, cacheWrite1hTokens: 0,
      costNanos: 32_100_000n, includedNanos: 32_100_000n, extraNanos: 0n,
    });
    // Money stays a decimal string end to end.
    expect(recorded).toEqual([expect.objectContaining({ requestId: message.id, cost: '0.0321', included: '0.0321', extra: '0.00', replayed: false })]);
  });

  it('sends the product option with authorize and record, so the product cap applies and the event carries it', async () => {
    const o = await org(enterpriseDoc());
    const metered = o.meter('alice', { product: 'claude_code' });
    standIn.plan({ usage: { input_tokens: 10, output_tokens: 20 } });
    const message = await metered.messages.create(hello(HAIKU));
    await metered.flush();
    expect(o.calls.map((c) => c.body.product)).toEqual(['claude_code', 'claude_code']);
    expect((await o.events()).map((e) => [e.requestId, e.product])).toEqual([[message.id, 'claude_code']]);
    // An undeclared product is the control plane's 422 naming product, raised before the model is called.
    const bad = o.meter('alice', { product: 'not_declared' });
    await expect(bad.messages.create(hello(HAIKU))).rejects.toMatchObject({ status: 422 });
  });

  it('records a stream once it ends, with the output tokens of message_delta', async () => {
    const o = await org(enterpriseDoc());
    const metered = o.meter('alice');
    standIn.plan({ usage: { input_tokens: 2500, output_tokens: 640 }, text: 'One two three.' });

    const stream = metered.messages.stream({ ...hello(HAIKU), max_tokens: 1000 });
    const texts: string[] = [];
    stream.on('text', (t) => texts.push(t));
    const final = await stream.finalMessage();
    expect(texts.join('')).toBe('One two three.');
    expect(final.usage.output_tokens).toBe(640);
    await metered.flush();

    const events = await o.events();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      requestId: final.id, model: HAIKU, inputTokens: 2500, outputTokens: 640,
      costNanos: 2500n * HAIKU_NANOS.input + 640n * HAIKU_NANOS.output,
    });

    // messages.create with stream: true is metered the same way.
    standIn.plan({ usage: { input_tokens: 10, output_tokens: 70 } });
    const raw = await metered.messages.create({ ...hello(HAIKU), stream: true });
    let id = '';
    for await (const event of raw) if (event.type === 'message_start') id = event.message.id;
    await metered.flush();
    const after = await o.events();
    expect(after).toHaveLength(2);
    expect(after[1]).toMatchObject({ requestId: id, inputTokens: 10, outputTokens: 70 });
  });

  it('records what the stream last said when it fails after tokens were produced', async () => {
    const o = await org(enterpriseDoc());
    const metered = o.meter('alice');
    standIn.plan({ usage: { input_tokens: 900, output_tokens: 300 }, breakStreamAfterFirstDelta: true });

    const stream = metered.messages.stream(hello(HAIKU));
    const failure = await stream.finalMessage().then(() => null, (e: unknown) => e);
    expect(failure).toBeInstanceOf(Anthropic.APIError);
    await metered.flush();

    const events = await o.events();
    expect(events).toHaveLength(1);
    // message_start's counts: the whole prompt and the first output token.
    expect(events[0]).toMatchObject({ requestId: expect.stringMatching(/^msg_/), inputTokens: 900, outputTokens: 1 });
  });

  it('records what a stream the caller aborted had produced', async () => {
    const o = await org(enterpriseDoc());
    const metered = o.meter('alice');
    standIn.plan({ usage: { input_tokens: 700, output_tokens: 300 }, stallStreamAfterFirstDelta: true });

    const stream = metered.messages.stream(hello(HAIKU));
    // The user presses stop as soon as the first words arrive.
    stream.on('text', () => stream.abort());
    const ended = await stream.done().then(() => null, (e: unknown) => e);
    expect(ended).toBeInstanceOf(Anthropic.APIUserAbortError);
    await metered.flush();

    const events = await o.events();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ requestId: expect.stringMatching(/^msg_/), inputTokens: 700, outputTokens: 1 });
  });

  it('keeps SDK retries to one authorize and one record per message', async () => {
    const o = await org(enterpriseDoc());
    const metered = o.meter('alice');
    const before = standIn.messageAttempts().length;
    standIn.plan({ failures: [529, 529], usage: { input_tokens: 300, output_tokens: 40 } });

    const message = await metered.messages.create(hello(HAIKU));
    await metered.flush();
    expect(standIn.messageAttempts().slice(before).map((a) => a.retryCount)).toEqual([0, 1, 2]);
    expect(o.paths()).toEqual(['/v1/usage/authorize', '/v1/usage/record']);

    // A stream whose first attempt failed with a 500.
    standIn.plan({ failures: [500], usage: { input_tokens: 20, output_tokens: 30 } });
    const final = await metered.messages.stream(hello(HAIKU)).finalMessage();
    await metered.flush();

    const events = await o.events();
    expect(events.map((e) => [e.requestId, e.inputTokens, e.outputTokens])).toEqual([
      [message.id, 300, 40],
      [final.id, 20, 30],
    ]);
  });
});

describe('refusals', () => {
  it('raises ExtraUsageRefusedError with reason and resetsAt, and never calls the model', async () => {
    // Extra usage off, and Alice has used her seat's $1.00 for this 5-hour window.
    const o = await org(enterpriseDoc({ extraUsage: { enabled: false } }));
    await o.recordDirect('alice', 'earlier-request', usageOfCents(100));
    const metered = o.meter('alice');
    const attempts = standIn.messageAttempts().length;

    const refused = await metered.messages.create(hello(HAIKU)).then(() => null, (e: unknown) => e);
    expect(refused).toBeInstanceOf(ExtraUsageRefusedError);
    expect(refused).toMatchObject({ reason: 'extra_usage_disabled', member: 'alice', canRequestExtraUsage: true });
    // The seat window opened at 12:00 (the harness clock) and lasts 300 minutes.
    expect((refused as ExtraUsageRefusedError).resetsAt).toEqual(new Date('2026-11-15T17:00:00.000Z'));

    // A stream is refused the same way, through the SDK's own error path.
    const streamRefused = await metered.messages.stream(hello(HAIKU)).finalMessage().then(() => null, (e: unknown) => e);
    expect(streamRefused).toBeInstanceOf(ExtraUsageRefusedError);
    expect(streamRefused).toMatchObject({ reason: 'extra_usage_disabled' });

    await metered.flush();
    expect(standIn.messageAttempts().length).toBe(attempts);
    expect((await o.events()).map((e) => e.requestId)).toEqual(['earlier-request']);
  });

  it('carries the start of next month as resetsAt when a member cap is reached', async () => {
    const doc = enterpriseDoc({ seatTiers: noAllowance });
    const o = await org({ ...doc, members: doc.members.map((m) => (m.externalId === 'alice' ? { ...m, extraUsageCap: '0.50' } : m)) });
    await o.recordDirect('alice', 'spent-the-cap', usageOfCents(50));
    const metered = o.meter('alice');
    const attempts = standIn.messageAttempts().length;

    const refused = await metered.messages.stream(hello(HAIKU)).finalMessage().then(() => null, (e: unknown) => e);
    expect(refused).toBeInstanceOf(ExtraUsageRefusedError);
    expect(refused).toMatchObject({ reason: 'member_cap_reached', canRequestExtraUsage: false });
    // December starts at 23:00Z on 30 November in Paris.
    expect((refused as ExtraUsageRefusedError).resetsAt).toEqual(new Date('2026-11-30T23:00:00.000Z'));
    // Its message is the control plane's words, as every channel says them.
    expect((refused as ExtraUsageRefusedError).message).toBe('You reached your monthly extra usage limit ($0.50 of $0.50); it lifts 1 Dec 2026, 00:00 (Europe/Paris); your included usage comes back 15 Nov 2026, 18:00 (Europe/Paris). To go on sooner, ask to raise your limit in the web console at /me');
    expect(standIn.messageAttempts().length).toBe(attempts);
  });
});

describe('reservation mode', () => {
  it('authorizes with an estimate and a client-made requestId, and the record settles that hold', async () => {
    const o = await org(enterpriseDoc({ seatTiers: noAllowance }));
    const metered = o.meter('alice', { mode: 'reserve' });
    const params = { model: HAIKU, max_tokens: 200, system: 'Be brief.', messages: [{ role: 'user' as const, content: 'Héllo, wörld' }] };
    standIn.plan({ failures: [529], usage: { input_tokens: 40, output_tokens: 20 } });

    const message = await metered.messages.create(params);
    await metered.flush();

    expect(o.paths()).toEqual(['/v1/usage/authorize', '/v1/usage/record']);
    const [authorize, record] = o.calls as [ControlPlaneCall, ControlPlaneCall];
    const estimate = estimateFromBytes(params);
    expect(authorize.body).toEqual({ member: 'alice', model: HAIKU, requestId: expect.stringMatching(/^eu_req_[0-9a-f-]{36}$/), estimate });
    expect(estimate.max_tokens).toBe(200);
    // The response's msg_ id did not exist at authorize: the hold's id is the record's.
    expect(record.body).toMatchObject({ requestId: authorize.body.requestId, model: HAIKU, usage: { input_tokens: 40, output_tokens: 20 } });

    const db = scratch.db.prisma;
    const holds = await db.reservation.findMany({ where: { orgId: o.orgId } });
    expect(holds).toHaveLength(1);
    expect(holds[0]).toMatchObject({
      requestId: authorize.body.requestId,
      estimateNanos: BigInt(estimate.input_tokens) * HAIKU_NANOS.cacheWrite1h + 200n * HAIKU_NANOS.output,
      releasedAt: null,
    });
    expect(holds[0]!.settledAt).not.toBeNull();
    const events = await o.events();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ requestId: authorize.body.requestId, extraNanos: 40n * HAIKU_NANOS.input + 20n * HAIKU_NANOS.output });
    expect(message.id).toMatch(/^msg_/);
    // Nothing is held any more: the member's spend is the settled cost alone.
    const spend = await db.monthlySpend.findMany({ where: { orgId: o.orgId, scope: 'member', subject: events[0]!.memberId } });
    expect(spend).toEqual([expect.objectContaining({ reservedNanos: 0n, extraNanos: 140_000n })]);
  });

  it('bounds the prompt by its UTF-8 bytes, and an image by a fixed count rather than its base64 size', () => {
    const ask = (content: Anthropic.MessageParam['content']) => estimateFromBytes({ model: HAIKU, max_tokens: 300, messages: [{ role: 'user', content }] });
    const question = { type: 'text' as const, text: 'What is it?' };
    const image = { type: 'image' as const, source: { type: 'base64' as const, media_type: 'image/png' as const, data: 'A'.repeat(1_000_000) } };
    const plain = ask([question]);
    expect(plain.max_tokens).toBe(300);
    expect(plain.input_tokens).toBeGreaterThanOrEqual('What is it?'.length);
    // A megabyte of image is held as one image, not as a million tokens.
    expect(ask([image, question]).input_tokens - plain.input_tokens).toBeGreaterThanOrEqual(IMAGE_TOKENS);
    expect(ask([image, question]).input_tokens - plain.input_tokens).toBeLessThan(IMAGE_TOKENS + 10);
    // Two bytes per character here, so never fewer tokens than the text can make.
    expect(ask('ééééé').input_tokens - ask('eeeee').input_tokens).toBe(5);
  });

  it('can estimate the prompt with the SDK\'s messages.countTokens instead', async () => {
    const o = await org(enterpriseDoc({ seatTiers: noAllowance }));
    const metered = o.meter('alice', { mode: 'reserve', estimate: 'count_tokens' });
    standIn.countTokensAnswer = 321;
    standIn.plan({ usage: { input_tokens: 321, output_tokens: 5 } });

    await metered.messages.stream({ ...hello(HAIKU), system: 'Be brief.' }).finalMessage();
    await metered.flush();

    const counted = standIn.requests.filter((r) => r.path === '/v1/messages/count_tokens').at(-1);
    expect(counted?.body).toEqual({ model: HAIKU, system: 'Be brief.', messages: [{ role: 'user', content: 'Hello' }] });
    expect(o.calls[0]!.body.estimate).toEqual({ input_tokens: 321, max_tokens: 1024 });
    const holds = await scratch.db.prisma.reservation.findMany({ where: { orgId: o.orgId } });
    expect(holds).toEqual([expect.objectContaining({ requestId: o.calls[1]!.body.requestId, settledAt: expect.any(Date) })]);
  });
});

describe('when the control plane cannot take the record', () => {
  it('retries, then hands the record to onRecordError; replaying it later counts it once', async () => {
    const o = await org(enterpriseDoc());
    // A port nothing listens on: records get "connection refused".
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const deadBase = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => dead.close(() => resolve()));

    const calls: ControlPlaneCall[] = [];
    const recordsDown: typeof fetch = (input, init) => {
      const url = String(input);
      return fetch(url.endsWith('/v1/usage/record') ? url.replace(base, deadBase) : url, init);
    };
    const failures: Array<[Error, RecordRequest]> = [];
    const metered = withExtraUsage(anthropic, {
      controlPlane: new ControlPlane({ baseURL: base, apiKey: o.key, fetch: seeing(calls, recordsDown) }),
      member: 'alice',
      recordRetry: { attempts: 3, baseDelayMs: 1 },
      onRecordError: (error, record) => void failures.push([error, record]),
    });
    standIn.plan({ usage: DOCS_USAGE });

    // The model call itself succeeds: recording happens after it.
    const message = await metered.messages.create(hello(SONNET));
    await metered.flush();

    expect(calls.map((c) => c.path)).toEqual(['/v1/usage/authorize', '/v1/usage/record', '/v1/usage/record', '/v1/usage/record']);
    expect(failures).toHaveLength(1);
    const [error, record] = failures[0]!;
    expect(error).toBeInstanceOf(ControlPlaneError);
    expect(error).toMatchObject({ status: null, retryable: true });
    expect(record).toEqual({ requestId: message.id, member: 'alice', model: SONNET, usage: DOCS_USAGE });
    expect(await o.events()).toHaveLength(0);

    // The body handed over is enough to record the usage later, once however often.
    const replay = new ControlPlane({ baseURL: base, apiKey: o.key });
    expect(await replay.record(record)).toMatchObject({ cost: '0.0321', replayed: false });
    expect(await replay.record(record)).toMatchObject({ cost: '0.0321', replayed: true });
    const events = await o.events();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ requestId: message.id, costNanos: 32_100_000n });
  });
});
