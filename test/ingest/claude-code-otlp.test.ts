// Claude Code telemetry as usage records: the pure mapping of its OTLP log records,
// the ingest against a real ledger (member matching, idempotency, nothing dropped in
// silence), and end to end: the real OpenTelemetry JS logs SDK and its OTLP/HTTP
// exporters (JSON, protobuf, protobuf gzipped), configured through the same
// environment variables Claude Code is, exporting to the real API over HTTP.
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtobufLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import type { Db } from '../../src/db/client.js';
import { claudeCodeUsageOf, mapApiRequest } from '../../src/ingest/claude-code-otlp.js';
import { ingestClaudeCodeLogs } from '../../src/ingest/claude-code-ingest.js';
import { decodeLogsRequest, encodeLogsResponse, otlpLogsRequest, type OtlpAnyValue, type OtlpLogsRequest } from '../../src/ingest/otlp-logs.js';
import { recordBatcherOf } from '../../src/ledger/metering/record-batch.js';
import { BACKENDS, migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, OPERATOR_TOKEN } from '../support/fixtures.js';

// ---------------------------------------------------------------------------------
// Log records shaped as Claude Code exports them (OTLP/JSON encoding).

const str = (v: string): OtlpAnyValue => ({ stringValue: v });
const int = (v: number): OtlpAnyValue => ({ intValue: v });
const kv = (attrs: Record<string, OtlpAnyValue>) => Object.entries(attrs).map(([key, value]) => ({ key, value }));

const SESSION = '6f1d2c3b-aaaa-4bbb-8ccc-0123456789ab';
const ALICE = { 'user.email': str('Alice@Example.com'), 'user.account_uuid': str('acct-alice'), 'organization.id': str('org-uuid-1'), 'user.id': str('device-1'), 'session.id': str(SESSION), 'terminal.type': str('vscode') };

function apiRequest(attrs: Record<string, OtlpAnyValue>, over: Record<string, unknown> = {}) {
  return {
    timeUnixNano: '1794740400000000000', // 2026-11-15T11:00:00Z
    observedTimeUnixNano: '1794740400001000000',
    body: str('claude_code.api_request'),
    attributes: kv({
      'event.name': str('api_request'), 'event.timestamp': str('2026-11-15T11:00:00.000Z'),
      ...ALICE,
      model: str('claude-sonnet-4-5'), cost_usd: { doubleValue: 0.0321 }, duration_ms: int(2400),
      input_tokens: int(1200), output_tokens: int(800), cache_read_tokens: int(30000), cache_creation_tokens: int(2000),
      ...attrs,
    }),
    ...over,
  };
}

const exportOf = (records: unknown[], resource: Record<string, OtlpAnyValue> = { 'service.name': str('claude-code') }): OtlpLogsRequest =>
  otlpLogsRequest.parse({ resourceLogs: [{ resource: { attributes: kv(resource) }, scopeLogs: [{ scope: { name: 'com.anthropic.claude_code.events' }, logRecords: records }] }] });

const NOW = new Date('2026-11-15T12:00:00Z');

// The request's protobuf type from the same generated module the service decodes with.
const ExportLogsServiceRequest = (createRequire(import.meta.url)('@opentelemetry/otlp-transformer/build/src/generated/root.js') as {
  opentelemetry: { proto: { collector: { logs: { v1: { ExportLogsServiceRequest: { encode(m: unknown): { finish(): Uint8Array }; fromObject(o: unknown): unknown } } } } } };
}).opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;

/** An export request as protobuf bytes (what the protobuf exporter sends). */
const encodeRequest = (json: unknown) => ExportLogsServiceRequest.encode(ExportLogsServiceRequest.fromObject(json)).finish();

type ExportResult = Parameters<Parameters<LogRecordExporter['export']>[1]>[0];
const SUCCESS = 0; // ExportResultCode.SUCCESS (@opentelemetry/core)

describe('mapping Claude Code api_request events', () => {
  it('maps model, tokens, time and identity; cost_usd is kept to compare with ours, never billed', () => {
    const { usage, rejected, ignored } = claudeCodeUsageOf(exportOf([apiRequest({})]), NOW);
    expect({ rejected, ignored }).toEqual({ rejected: [], ignored: 0 });
    expect(usage).toEqual([{
      requestId: expect.stringMatching(new RegExp(`^otel:${SESSION}:[0-9a-f]{32}$`)),
      identity: { email: 'Alice@Example.com', accountUuid: 'acct-alice', userId: 'device-1' },
      model: 'claude-sonnet-4-5',
      usage: { input_tokens: 1200, output_tokens: 800, cache_read_input_tokens: 30000, cache_creation_input_tokens: 2000 },
      at: new Date('2026-11-15T11:00:00.000Z'),
      sessionId: SESSION,
      reportedCostUsd: 0.0321,
      clientCostNanos: 32_100_000n,
    }]);
  });

  it('reads speed as the Messages API names it ("normal" is standard) and Claude Code\'s cost exactly, from cost_usd or cost_usd_micros', () => {
    const speedOf = (v: string) => claudeCodeUsageOf(exportOf([apiRequest({ speed: str(v) })]), NOW).usage[0]!.usage.speed;
    expect([speedOf('normal'), speedOf('fast'), speedOf('Standard')]).toEqual(['standard', 'fast', 'standard']);
    const micros = apiRequest({ cost_usd_micros: int(16623) });
    micros.attributes = micros.attributes.filter((a) => a.key !== 'cost_usd');
    expect(claudeCodeUsageOf(exportOf([micros]), NOW).usage[0]!.clientCostNanos).toBe(16_623_000n);
    expect(claudeCodeUsageOf(exportOf([apiRequest({ cost_usd: { doubleValue: 0.016765000000000002 } })]), NOW).usage[0]!.clientCostNanos).toBe(16_765_000n);
    // Not a whole number of nanos: rounded half up as the decimal it writes, never as a float (x * 1e9 gives 976,654 and 798,187).
    const costOf = (usd: number) => claudeCodeUsageOf(exportOf([apiRequest({ cost_usd: { doubleValue: usd } })]), NOW).usage[0]!.clientCostNanos;
    expect([costOf(0.0009766545), costOf(0.0007981864999999999), costOf(2.5e-9), costOf(1e-12)]).toEqual([976_655n, 798_186n, 3n, 0n]);
  });

  it('reads counts sent as strings or integral doubles, and cache counts that are absent as 0', () => {
    const record = apiRequest({ input_tokens: str('12'), output_tokens: { doubleValue: 34 } });
    record.attributes = record.attributes.filter((a) => !a.key.startsWith('cache_'));
    const [u] = claudeCodeUsageOf(exportOf([record]), NOW).usage;
    expect(u!.usage).toEqual({ input_tokens: 12, output_tokens: 34, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 });
  });

  it('gives an event the same requestId every time, in JSON or protobuf, and different events different ids', () => {
    const json = exportOf([apiRequest({})]);
    // The same export through the protobuf encoding (ints come back as decimal strings).
    const viaProtobuf = otlpLogsRequest.parse(decodeLogsRequest(encodeRequest(json)));
    expect(viaProtobuf.resourceLogs![0]!.scopeLogs![0]!.logRecords![0]!.attributes!.find((a) => a.key === 'input_tokens')!.value).toEqual({ intValue: '1200' });
    const id = (r: OtlpLogsRequest) => claudeCodeUsageOf(r, NOW).usage[0]!.requestId;
    expect(id(viaProtobuf)).toBe(id(json));
    expect(id(exportOf([apiRequest({})]))).toBe(id(json));
    // Another request: a later timestamp, or the same second with other counts.
    expect(id(exportOf([apiRequest({ 'event.timestamp': str('2026-11-15T11:00:00.001Z') })]))).not.toBe(id(json));
    expect(id(exportOf([apiRequest({ output_tokens: int(801) })]))).not.toBe(id(json));
    // Without a session id the id is the hash alone.
    const noSession = apiRequest({});
    noSession.attributes = noSession.attributes.filter((a) => a.key !== 'session.id');
    expect(id(exportOf([noSession]))).toMatch(/^otel:[0-9a-f]{32}$/);
  });

  it('knows the event by its event.name attribute, its body or its OTLP event name, and ignores every other log record', () => {
    const byBodyOnly = apiRequest({});
    byBodyOnly.attributes = byBodyOnly.attributes.filter((a) => a.key !== 'event.name');
    const byEventName = { ...apiRequest({}), body: undefined, eventName: 'claude_code.api_request' };
    const prompt = apiRequest({ 'event.name': str('user_prompt') }, { body: str('claude_code.user_prompt') });
    const toolResult = apiRequest({ 'event.name': str('tool_result') }, { body: str('claude_code.tool_result') });
    const plainLog = { timeUnixNano: '1794740400000000000', body: str('hello'), attributes: [] };
    const out = claudeCodeUsageOf(exportOf([byBodyOnly, byEventName, prompt, toolResult, plainLog]), NOW);
    expect(out.usage).toHaveLength(2);
    expect(out.ignored).toBe(3);
    expect(out.rejected).toEqual([]);
  });

  it('takes identity from the resource when the record lacks it, and the time from the record when event.timestamp is missing', () => {
    const record = apiRequest({});
    record.attributes = record.attributes.filter((a) => !['user.email', 'user.account_uuid', 'event.timestamp'].includes(a.key));
    const resource = { 'service.name': str('claude-code'), 'user.email': str('bob@example.com') };
    const [u] = claudeCodeUsageOf(exportOf([record], resource), NOW).usage;
    expect(u!.identity).toEqual({ email: 'bob@example.com', userId: 'device-1' });
    expect(u!.at).toEqual(new Date('2026-11-15T11:00:00Z'));
    // A time sent as a JSON number, past 2^53 as nanoseconds are, is taken too.
    const [n] = claudeCodeUsageOf(exportOf([{ ...record, timeUnixNano: 1794740460000000000 }], resource), NOW).usage;
    expect(n!.at).toEqual(new Date('2026-11-15T11:01:00Z'));
  });

  it('rejects, with the reason, an event it cannot turn into a record', () => {
    const without = (key: string) => {
      const r = apiRequest({});
      r.attributes = r.attributes.filter((a) => a.key !== key);
      return r;
    };
    const nobody = apiRequest({ 'user.email': str('a\u0000b@example.com') });
    nobody.attributes = nobody.attributes.filter((a) => a.key !== 'user.account_uuid');
    const cases: [unknown, RegExp][] = [
      [without('model'), /model is missing/],
      [apiRequest({ model: str('bad\u0000model') }), /model is not a model id/],
      [without('input_tokens'), /input_tokens is missing/],
      [apiRequest({ output_tokens: int(-1) }), /output_tokens \(-1\) is not a token count/],
      [apiRequest({ output_tokens: { doubleValue: 1.5 } }), /output_tokens \(1.5\) is not a token count/],
      [apiRequest({ cache_read_tokens: { intValue: '9223372036854775807' } }), /cache_read_tokens .* is not a token count/],
      [apiRequest({ input_tokens: { boolValue: true } }), /input_tokens \(true\) is not a token count/],
      [apiRequest({ 'event.timestamp': str('2026-11-15T12:06:00Z') }), /more than 5 minutes in the future/],
      [{ ...without('event.timestamp'), timeUnixNano: undefined, observedTimeUnixNano: undefined }, /has no time/],
    ];
    // One that names nobody is no rejection: it is usage, matched by its user.id or kept unattributed.
    const kept = mapApiRequest(otlpLogsRequest.parse({ resourceLogs: [{ scopeLogs: [{ logRecords: [nobody] }] }] }).resourceLogs![0]!.scopeLogs![0]!.logRecords![0]!, undefined, NOW);
    expect('usage' in kept && kept.usage.identity).toEqual({ userId: 'device-1' });
    for (const [record, reason] of cases) {
      const mapped = mapApiRequest(otlpLogsRequest.parse({ resourceLogs: [{ scopeLogs: [{ logRecords: [record] }] }] }).resourceLogs![0]!.scopeLogs![0]!.logRecords![0]!, undefined, NOW);
      expect('rejected' in mapped ? mapped.rejected.reason : 'mapped').toMatch(reason);
    }
  });
});


// ---------------------------------------------------------------------------------
// The ingest against a real ledger.

function recordingLog() {
  const lines: { level: 'warn' | 'error'; obj: any; msg: string }[] = [];
  return {
    lines,
    warn: (obj: object, msg: string) => void lines.push({ level: 'warn', obj, msg }),
    error: (obj: object, msg: string) => void lines.push({ level: 'error', obj, msg }),
  };
}

/** Provision an org and issue a usage key through the API (operator token). */
async function provisioned(app: FastifyInstance, doc: unknown) {
  const slug = `cc-${randomUUID().slice(0, 8)}`;
  const put = await app.inject({ method: 'PUT', url: `/v1/operator/orgs/${slug}`, headers: { authorization: `Bearer ${OPERATOR_TOKEN}` }, payload: doc as object });
  if (put.statusCode >= 300) throw new Error(`provision: ${put.statusCode} ${put.body}`);
  const key = await app.inject({ method: 'POST', url: `/v1/operator/orgs/${slug}/api-keys`, headers: { authorization: `Bearer ${OPERATOR_TOKEN}` }, payload: { name: 'claude code', scopes: ['usage'] } });
  if (key.statusCode !== 201) throw new Error(`key: ${key.statusCode} ${key.body}`);
  return { slug, orgId: put.json().orgId as string, key: key.json().key as string };
}

const members = (over: Record<string, unknown>[] = []) => enterpriseDoc({
  members: [
    { externalId: 'owner-1', name: 'Olivia Owner', role: 'primary_owner', seatTier: 'premium', email: 'olivia@example.com' },
    { externalId: 'alice', name: 'Alice', role: 'member', seatTier: 'standard', email: 'alice@example.com', extraUsageCap: '50.00' },
    { externalId: 'bob', name: 'Bob', role: 'member', seatTier: 'premium', email: 'bob@example.com' },
    { externalId: 'acct-carol', name: 'Carol', role: 'member', seatTier: 'standard' },
    ...over,
  ] as never,
});

describe.each(BACKENDS)('ingesting into the ledger on $kind', ({ open }) => {
  let scratch: Scratch;
  let db: Db;
  let app: FastifyInstance;
  beforeAll(async () => {
    scratch = await migrated(open);
    db = scratch.db.prisma;
    app = buildServer({ db, operatorToken: OPERATOR_TOKEN, now: () => NOW });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await scratch?.dispose();
  });

  const eventsOf = (orgId: string) => db.usageEvent.findMany({ where: { orgId }, orderBy: { occurredAt: 'asc' } });

  it('finds the member by email (any case), else by the account uuid as externalId; records each event once', async () => {
    const org = await provisioned(app, members());
    const log = recordingLog();
    const batch = exportOf([
      apiRequest({}), // Alice@Example.com
      apiRequest({ 'user.email': str('BOB@example.COM'), 'user.account_uuid': str('acct-bob'), model: str('claude-haiku-4-5'), 'event.timestamp': str('2026-11-15T11:01:00Z') }),
      apiRequest({ 'user.email': str('carol@personal.example'), 'user.account_uuid': str('acct-carol'), 'event.timestamp': str('2026-11-15T11:02:00Z') }),
    ]);
    const first = await ingestClaudeCodeLogs(db, { id: org.orgId, slug: org.slug }, batch, NOW, log);
    expect(first).toEqual({ recorded: 3, replayed: 0, rejected: [], ignored: 0, failed: 0, unattributed: 0 });
    const again = await ingestClaudeCodeLogs(db, { id: org.orgId, slug: org.slug }, batch, NOW, log);
    expect(again).toEqual({ recorded: 0, replayed: 3, rejected: [], ignored: 0, failed: 0, unattributed: 0 });
    const events = await eventsOf(org.orgId);
    const byId = new Map((await db.member.findMany({ where: { orgId: org.orgId } })).map((m) => [m.id, m.externalId]));
    expect(events.map((e) => [byId.get(e.memberId), e.model, e.inputTokens, e.outputTokens, e.cacheReadTokens, e.cacheWrite5mTokens, e.cacheWrite1hTokens, String(e.costNanos)])).toEqual([
      // 1200 × $3 + 800 × $15 + 30,000 × $0.30 + 2,000 × $3.75 (per million): $0.0321, not cost_usd
      ['alice', 'claude-sonnet-4-5', 1200, 800, 30000, 2000, 0, '32100000'],
      // haiku: 1200 × $1 + 800 × $5 + 30,000 × $0.10 + 2,000 × $1.25
      ['bob', 'claude-haiku-4-5', 1200, 800, 30000, 2000, 0, '10700000'],
      ['acct-carol', 'claude-sonnet-4-5', 1200, 800, 30000, 2000, 0, '32100000'],
    ]);
    // Claude Code's own telemetry: every record's product is claude_code (reports and caps per product).
    expect(events.map((e) => e.product)).toEqual(['claude_code', 'claude_code', 'claude_code']);
    expect(log.lines).toEqual([]);
  });

  it('keeps usage whose cost_usd is absurd (beyond any BIGINT), attributed or not, leaving that cost out', async () => {
    const org = await provisioned(app, members());
    const nobody = { 'user.email': str(''), 'user.account_uuid': str(''), 'user.id': str('device-absurd') };
    const batch = exportOf([
      apiRequest({ cost_usd: { doubleValue: 1e10 } }),
      apiRequest({ cost_usd: { doubleValue: 1e300 }, 'event.timestamp': str('2026-11-15T11:01:00Z') }),
      apiRequest({ ...nobody, cost_usd: { doubleValue: 5e12 }, 'event.timestamp': str('2026-11-15T11:02:00Z') }),
      apiRequest({ ...nobody, cost_usd: { doubleValue: 0.5 }, 'event.timestamp': str('2026-11-15T11:03:00Z') }),
    ]);
    expect(await ingestClaudeCodeLogs(db, { id: org.orgId, slug: org.slug }, batch, NOW, recordingLog())).toMatchObject({ recorded: 2, rejected: [], failed: 0, unattributed: 2 });
    expect((await eventsOf(org.orgId)).map((e) => [e.costNanos, e.clientCostNanos])).toEqual([[32_100_000n, null], [32_100_000n, null]]);
    expect((await db.unattributedUsage.findMany({ where: { orgId: org.orgId }, orderBy: { occurredAt: 'asc' } })).map((u) => u.clientCostNanos)).toEqual([null, 500_000_000n]);
  });

  it('counts and logs the events it cannot record, and records the rest', async () => {
    const org = await provisioned(app, members([
      { externalId: 'dave-1', name: 'Dave', role: 'member', seatTier: 'standard', email: 'twin@example.com' },
      { externalId: 'dave-2', name: 'Dave', role: 'member', seatTier: 'standard', email: 'Twin@example.com' },
    ]));
    const log = recordingLog();
    const stranger = apiRequest({ 'user.email': str('stranger@example.com'), 'user.account_uuid': str('acct-stranger'), 'event.timestamp': str('2026-11-15T11:03:00Z') });
    const twin = apiRequest({ 'user.email': str('twin@example.com'), 'user.account_uuid': str('acct-twin'), 'event.timestamp': str('2026-11-15T11:04:00Z') });
    const unknownModel = apiRequest({ model: str('claude-imaginary-9'), 'event.timestamp': str('2026-11-15T11:05:00Z') });
    const beforePrices = apiRequest({ 'event.timestamp': str('2019-01-01T00:00:00Z') });
    const out = await ingestClaudeCodeLogs(db, { id: org.orgId, slug: org.slug }, exportOf([apiRequest({}), stranger, twin, unknownModel, beforePrices, apiRequest({ model: str('x\u0001') })]), NOW, log);
    // Recorded: Alice's event, and the unknown model's, kept unpriced as the record path keeps it.
    expect([out.recorded, out.rejected.length]).toEqual([2, 4]);
    expect(out.rejected.map((r) => r.reason)).toEqual(expect.arrayContaining([
      "no member matches user.email 'stranger@example.com' or user.account_uuid 'acct-stranger' (as externalId)",
      expect.stringMatching(/^user.email 'twin@example.com' is the email of 2 members/),
      expect.stringMatching(/^at \(2019-01-01T00:00:00.000Z\) is before the first price of 'claude-sonnet-4-5'/),
      expect.stringMatching(/^model is not a model id/),
    ]));
    const imaginary = await db.usageEvent.findMany({ where: { orgId: org.orgId, model: 'claude-imaginary-9' } });
    expect(imaginary.map((e) => [e.costNanos, e.inputTokens])).toEqual([[null, 1200]]);
    expect(log.lines).toHaveLength(2);
    expect(log.lines).toEqual(expect.arrayContaining([
      expect.objectContaining({ level: 'warn', msg: expect.stringMatching(/^usage recorded without a price/), obj: expect.objectContaining({ org: org.slug, model: 'claude-imaginary-9' }) }),
    ]));
    const line = log.lines.find((l) => l.msg.startsWith('claude code telemetry'))!;
    expect(line).toMatchObject({ level: 'warn', msg: 'claude code telemetry: 4 api_request event(s) not recorded', obj: { org: org.slug, rejected: 4, recorded: 2 } });
    expect(line.obj.events).toEqual(expect.arrayContaining([
      // Everything a replay through POST /v1/usage/record needs, once the member is fixed.
      expect.objectContaining({
        identity: { email: 'stranger@example.com', accountUuid: 'acct-stranger', userId: 'device-1' }, model: 'claude-sonnet-4-5', requestId: expect.stringMatching(/^otel:/),
        usage: { input_tokens: 1200, output_tokens: 800, cache_read_input_tokens: 30000, cache_creation_input_tokens: 2000 }, at: new Date('2026-11-15T11:03:00Z'),
      }),
    ]));
  });

  it('finds a member removed since, as the record path bills their late usage, but an active one first', async () => {
    const first = members([{ externalId: 'old-alice', name: 'Alice (left)', role: 'member', seatTier: 'standard', email: 'alice@example.com' }]);
    const org = await provisioned(app, { ...first, members: first.members.filter((m) => m.externalId !== 'alice') });
    // Later, Old Alice and Bob have left, and Alice has joined with the same email.
    const later = members();
    const put = await app.inject({ method: 'PUT', url: `/v1/operator/orgs/${org.slug}`, headers: { authorization: `Bearer ${OPERATOR_TOKEN}` }, payload: { ...later, members: later.members.filter((m) => m.externalId !== 'bob') } });
    expect(put.statusCode).toBe(200);
    expect((await db.member.findMany({ where: { orgId: org.orgId, removedAt: { not: null } } })).map((m) => m.externalId).sort()).toEqual(['bob', 'old-alice']);
    const out = await ingestClaudeCodeLogs(db, { id: org.orgId, slug: org.slug }, exportOf([
      apiRequest({}),
      apiRequest({ 'user.email': str('bob@example.com'), 'user.account_uuid': str('acct-bob'), 'event.timestamp': str('2026-11-15T11:01:00Z') }),
    ]), NOW, recordingLog());
    expect(out).toMatchObject({ recorded: 2, rejected: [] });
    const byId = new Map((await db.member.findMany({ where: { orgId: org.orgId } })).map((m) => [m.id, m.externalId]));
    expect((await eventsOf(org.orgId)).map((e) => byId.get(e.memberId))).toEqual(['alice', 'bob']);
  });

  it('records usage past a cap in full and flags it: this path cannot refuse, so the cap is enforced after the fact', async () => {
    const org = await provisioned(app, members());
    // Alice: $1.00 included per window, then extra up to her $50.00 cap. 4,000,000 output tokens on sonnet = $60.00.
    const big = apiRequest({ input_tokens: int(0), output_tokens: int(4_000_000), cache_read_tokens: int(0), cache_creation_tokens: int(0) });
    const out = await ingestClaudeCodeLogs(db, { id: org.orgId, slug: org.slug }, exportOf([big]), NOW, recordingLog());
    expect(out.recorded).toBe(1);
    const [event] = await eventsOf(org.orgId);
    expect([String(event!.costNanos), String(event!.includedNanos), String(event!.extraNanos)]).toEqual(['60000000000', '1000000000', '59000000000']);
    const flags = await db.outboxEvent.findMany({ where: { orgId: org.orgId, type: 'member_cap_reached' } });
    expect(flags.map((f) => f.payload)).toEqual([expect.objectContaining({ memberId: event!.memberId, capNanos: '50000000000', spendNanos: '59000000000' })]);
  });
});

// ---------------------------------------------------------------------------------
// End to end: the real OpenTelemetry JS logs SDK and exporters, set up with Claude
// Code's environment variables, against the API listening on 127.0.0.1.

/** Wraps an exporter to see each export's result and keep the batches it sent. */
class Watched implements LogRecordExporter {
  results: ExportResult[] = [];
  batches: ReadableLogRecord[][] = [];
  constructor(readonly inner: LogRecordExporter) {}
  export(logs: ReadableLogRecord[], done: (r: ExportResult) => void) {
    this.batches.push(logs);
    this.inner.export(logs, (r) => {
      this.results.push(r);
      done(r);
    });
  }
  /** Sends a batch again, as an exporter's retry or a collector's queue would. */
  resend(logs: ReadableLogRecord[]): Promise<ExportResult> {
    return new Promise((resolve) => this.inner.export(logs, resolve));
  }
  shutdown() {
    return this.inner.shutdown();
  }
  forceFlush() {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** Builds the exporter exactly from the OTEL_* variables, as Claude Code's SDK set-up does. */
function withEnv<T>(env: Record<string, string>, make: () => T): T {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return make();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

const PROTOCOLS = [
  { protocol: 'http/json', compression: 'none', make: () => new JsonLogExporter() },
  { protocol: 'http/protobuf', compression: 'none', make: () => new ProtobufLogExporter() },
  { protocol: 'http/protobuf', compression: 'gzip', make: () => new ProtobufLogExporter() },
  { protocol: 'http/json', compression: 'gzip', make: () => new JsonLogExporter() },
];

describe('Claude Code exporting to the API (real OpenTelemetry exporters, PGlite)', () => {
  let scratch: Scratch;
  let db: Db;
  let app: FastifyInstance;
  let base: string;
  const serverLog: { level: 'warn' | 'error'; obj: any; msg: string }[] = [];
  const diagWarnings: string[] = [];
  const received: string[] = [];

  beforeAll(async () => {
    scratch = await migrated(scratchPglite);
    db = scratch.db.prisma;
    app = buildServer({ db, operatorToken: OPERATOR_TOKEN, now: () => NOW });
    // The request log, seen from here (the service logs to stdout in production): each
    // request's logger is a child of the root one, made when the request arrives.
    const root = app.log as FastifyBaseLogger;
    const childOf = root.child.bind(root);
    root.child = ((bindings, opts) => Object.assign(Object.create(childOf(bindings, opts)), {
      warn: (obj: object, msg: string) => void serverLog.push({ level: 'warn', obj, msg }),
      error: (obj: object, msg: string) => void serverLog.push({ level: 'error', obj, msg }),
    })) as FastifyBaseLogger['child'];
    // What went over the wire: media type and encoding of each export.
    app.addHook('onRequest', async (request) => {
      if (request.url.startsWith('/v1/otlp/')) received.push(`${request.headers['content-type']} ${request.headers['content-encoding'] ?? 'none'}`);
    });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    // The exporters report a partial success through OpenTelemetry's diagnostic log.
    const warn = (...args: unknown[]) => void diagWarnings.push(args.map(String).join(' '));
    const quiet = () => {};
    diag.setLogger({ error: warn, warn, info: quiet, debug: quiet, verbose: quiet }, DiagLogLevel.WARN);
  });
  afterEach(() => {
    received.length = 0;
    serverLog.length = 0;
    diagWarnings.length = 0;
  });
  afterAll(async () => {
    diag.disable();
    await app?.close();
    const { fallbacks, lastFallbackError } = recordBatcherOf(db).stats;
    await scratch?.dispose();
    if (fallbacks > 0) throw new Error(`record batches fell back ${fallbacks} time(s): ${String(lastFallbackError)}`);
  });

  it.each(PROTOCOLS)('$protocol ($compression): events become usage events once; an unknown member is counted and logged', async ({ protocol, compression, make }) => {
    const org = await provisioned(app, members());
    const exporter = new Watched(withEnv({
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_EXPORTER_OTLP_ENDPOINT: `${base}/v1/otlp`,
      OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer ${org.key}`,
      OTEL_EXPORTER_OTLP_COMPRESSION: compression,
    }, make));
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'claude-code', 'service.version': '2.1.0' }),
      processors: [new BatchLogRecordProcessor({ exporter })],
    });
    const logger = provider.getLogger('com.anthropic.claude_code.events', '2.1.0');
    const session = randomUUID();
    const standard = { 'session.id': session, 'organization.id': 'org-uuid-1', 'terminal.type': 'vscode', 'user.id': 'device-1' };
    const event = (name: string, attributes: Record<string, string | number>) =>
      logger.emit({ body: `claude_code.${name}`, attributes: { 'event.name': name, ...standard, ...attributes } });

    event('user_prompt', { 'event.timestamp': '2026-11-15T10:59:59.000Z', prompt_length: 42, 'user.email': 'alice@example.com' });
    // Counts as strings, as a string-typed exporter sends them ...
    event('api_request', {
      'event.timestamp': '2026-11-15T11:00:00.000Z', 'user.email': 'Alice@Example.com', 'user.account_uuid': 'acct-alice',
      model: 'claude-sonnet-4-5', cost_usd: '0.9999', duration_ms: '2400',
      input_tokens: '1200', output_tokens: '800', cache_read_tokens: '30000', cache_creation_tokens: '2000',
    });
    // ... and as numbers.
    event('api_request', {
      'event.timestamp': '2026-11-15T11:00:05.000Z', 'user.email': 'bob@example.com', 'user.account_uuid': 'acct-bob',
      model: 'claude-haiku-4-5', cost_usd: 0.011, duration_ms: 900,
      input_tokens: 1000, output_tokens: 2000, cache_read_tokens: 0, cache_creation_tokens: 0,
    });
    event('api_request', {
      'event.timestamp': '2026-11-15T11:00:06.000Z', 'user.email': 'mallory@elsewhere.example', 'user.account_uuid': 'acct-mallory',
      model: 'claude-haiku-4-5', cost_usd: 0.001, duration_ms: 100, input_tokens: 10, output_tokens: 10, cache_read_tokens: 0, cache_creation_tokens: 0,
    });
    event('tool_result', { 'event.timestamp': '2026-11-15T11:00:07.000Z', tool_name: 'Read', success: 'true', 'user.email': 'alice@example.com' });
    await provider.forceFlush();

    expect(exporter.results.map((r) => [r.code, r.error?.message])).toEqual([[SUCCESS, undefined]]);
    expect(exporter.batches[0]).toHaveLength(5);
    expect(received).toEqual([`application/${protocol === 'http/json' ? 'json' : 'x-protobuf'} ${compression}`]);
    const events = await db.usageEvent.findMany({ where: { orgId: org.orgId }, orderBy: { occurredAt: 'asc' }, include: { member: true } });
    expect(events.map((e) => [e.member.externalId, e.requestId.startsWith(`otel:${session}:`), e.model, e.occurredAt.toISOString(), e.inputTokens, e.outputTokens, e.cacheReadTokens, e.cacheWrite5mTokens, (e.response as { cost: string }).cost])).toEqual([
      ['alice', true, 'claude-sonnet-4-5', '2026-11-15T11:00:00.000Z', 1200, 800, 30000, 2000, '0.0321'],
      ['bob', true, 'claude-haiku-4-5', '2026-11-15T11:00:05.000Z', 1000, 2000, 0, 0, '0.011'],
    ]);
    // The exporter understood the answer (JSON or protobuf) as a partial success ...
    expect(diagWarnings).toEqual([expect.stringMatching(/^Received Partial Success response: \{"rejectedLogRecords":"?1"?,"errorMessage":"1 claude_code.api_request event\(s\) not recorded: no member matches user.email 'mallory@elsewhere.example' or user.account_uuid 'acct-mallory' \(as externalId\)"\}$/)]);
    // ... and the service logged the event it could not record.
    expect(serverLog).toEqual([expect.objectContaining({ level: 'warn', obj: expect.objectContaining({ org: org.slug, rejected: 1, recorded: 2, events: [expect.objectContaining({ identity: expect.objectContaining({ email: 'mallory@elsewhere.example', accountUuid: 'acct-mallory' }) })] }) })]);

    // The same batch again (a retry, a collector's queue): accepted, nothing counted twice.
    const again = await exporter.resend(exporter.batches[0]!);
    expect(again.code).toBe(SUCCESS);
    expect(await db.usageEvent.count({ where: { orgId: org.orgId } })).toBe(2);
    const spend = await db.monthlySpend.findMany({ where: { orgId: org.orgId, scope: 'org' } });
    expect(spend.map((s) => [s.period, String(s.includedNanos + s.extraNanos), s.eventCount])).toEqual([['2026-11', String(32_100_000 + 11_000_000), 2]]);
    await provider.shutdown();
  });
});

// ---------------------------------------------------------------------------------
// The HTTP surface: refusals in our error shape, never a 5xx; the route is documented.

describe('POST /v1/otlp/v1/logs refusals', () => {
  let scratch: Scratch;
  let app: FastifyInstance;
  let key: string;
  beforeAll(async () => {
    scratch = await migrated(scratchPglite);
    app = buildServer({ db: scratch.db.prisma, operatorToken: OPERATOR_TOKEN, now: () => NOW });
    await app.ready();
    key = (await provisioned(app, members())).key;
  });
  afterAll(async () => {
    await app?.close();
    await scratch?.dispose();
  });
  const post = (payload: string | Buffer, headers: Record<string, string>, token = key, url = '/v1/otlp/v1/logs') =>
    app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}`, ...headers }, payload });

  it('answers an empty export, and one of other events only, with plain success in its encoding', async () => {
    const json = await post('{}', { 'content-type': 'application/json' });
    expect([json.statusCode, json.json()]).toEqual([200, {}]);
    const proto = await post(Buffer.from(encodeRequest(exportOf([apiRequest({ 'event.name': str('user_prompt') }, { body: str('claude_code.user_prompt') })]))), { 'content-type': 'application/x-protobuf' });
    expect([proto.statusCode, proto.headers['content-type'], proto.rawPayload.length]).toEqual([200, 'application/x-protobuf', 0]);
    expect(encodeLogsResponse({})).toHaveLength(0);
  });

  it('refuses bodies that are not an export with 400 in our error shape', async () => {
    const notProto = await post(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), { 'content-type': 'application/x-protobuf' });
    expect([notProto.statusCode, notProto.json().error]).toEqual([400, expect.objectContaining({ code: 'invalid_request', field: 'body', message: expect.stringMatching(/not an OTLP ExportLogsServiceRequest in protobuf/) })]);
    const wrongShape = await post(JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ attributes: [{ key: 7 }] }] }] }] }), { 'content-type': 'application/json' });
    expect([wrongShape.statusCode, wrongShape.json().error.field]).toEqual([400, 'resourceLogs.0.scopeLogs.0.logRecords.0.attributes.0.key']);
    const badJson = await post('{"resourceLogs": [', { 'content-type': 'application/json' });
    expect([badJson.statusCode, badJson.json().error.code]).toEqual([400, 'invalid_request']);
    const notGzip = await post('{}', { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect([notGzip.statusCode, notGzip.json().error.message]).toEqual([400, expect.stringMatching(/not gzip/)]);
    const gzipped = await post(gzipSync('{}'), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect([gzipped.statusCode, gzipped.json()]).toEqual([200, {}]);
  });

  it('never fails on hostile bodies: random bytes, nesting deeper than any stack, NUL in every field', async () => {
    let seed = 20261201;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 200; i++) {
      const bytes = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 64) }, () => Math.floor(random() * 256)));
      const res = await post(bytes, { 'content-type': 'application/x-protobuf' });
      expect([200, 400], `bytes ${bytes.toString('hex')}: ${res.statusCode} ${res.body}`).toContain(res.statusCode);
    }
    // ExportLogsServiceRequest > ResourceLogs > ScopeLogs > LogRecord > body: AnyValue,
    // then AnyValue.arrayValue > ArrayValue.values > AnyValue ... 300,000 levels down.
    const frames = [0x0a, 0x12, 0x12, 0x2a, ...Array.from({ length: 300_000 }, (_, i) => (i % 2 === 0 ? 0x2a : 0x0a))];
    const sizes: number[] = [];
    const varint = (n: number) => { const out: number[] = []; while (n > 0x7f) { out.push((n & 0x7f) | 0x80); n >>>= 7; } out.push(n); return out; };
    for (let i = frames.length - 1, inner = 0; i >= 0; i--) sizes[i] = inner = 1 + varint(inner).length + inner;
    const deep = frames.flatMap((tag, i) => [tag, ...varint(sizes[i]! - 1 - varint(sizes[i + 1] ?? 0).length)]);
    // The decoder runs out of stack: the sender's fault, a 400.
    const res = await post(Buffer.from(deep), { 'content-type': 'application/x-protobuf' });
    expect([res.statusCode, res.json().error?.field]).toEqual([400, 'body']);
    const deepJson = `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":${'{"arrayValue":{"values":['.repeat(100_000)}${']}}'.repeat(100_000)}}]}]}]}`;
    // JSON parses it (iteratively); the record is no api_request event, so it is ignored.
    const deepRes = await post(deepJson, { 'content-type': 'application/json' });
    expect([deepRes.statusCode, deepRes.json()]).toEqual([200, {}]);
    const nul = apiRequest({ 'user.email': str('\u0000'), 'user.account_uuid': str('a\u0000b'), 'session.id': str('\u0000'), model: str('claude-\u0000') });
    const nulEmail = apiRequest({ 'user.email': str('alice@example.com\u0000'), 'user.account_uuid': str('acct-nobody') });
    const hostile = await post(JSON.stringify(exportOf([nul, nulEmail])), { 'content-type': 'application/json' });
    expect([hostile.statusCode, hostile.json().partialSuccess?.rejectedLogRecords]).toEqual([200, '2']);
    expect(hostile.json().partialSuccess.errorMessage).toMatch(/model is not a model id.*no member matches user.account_uuid 'acct-nobody'/);
  });

  it('refuses other media types and encodings with 415, and other routes still refuse protobuf', async () => {
    expect((await post('x', { 'content-type': 'text/plain' })).statusCode).toBe(415);
    const br = await post('{}', { 'content-type': 'application/json', 'content-encoding': 'br' });
    expect([br.statusCode, br.json().error.field]).toEqual([415, 'content-encoding']);
    const elsewhere = await post(Buffer.from(encodeRequest({})), { 'content-type': 'application/x-protobuf' }, key, '/v1/usage/record');
    expect([elsewhere.statusCode, elsewhere.json().error.code]).toEqual([415, 'unsupported_media_type']);
  });

  it('answers 503 when the database fails partway, and the batch sent again counts once', async () => {
    const db = scratch.db.prisma;
    const org = await provisioned(app, members());
    const batch = JSON.stringify(exportOf([apiRequest({ 'session.id': str(randomUUID()) })]));
    const send = () => app.inject({ method: 'POST', url: '/v1/otlp/v1/logs', headers: { authorization: `Bearer ${org.key}`, 'content-type': 'application/json' }, payload: batch });
    for (const table of ['Member', 'UsageEvent']) {
      await db.$executeRawUnsafe(`ALTER TABLE "${table}" RENAME TO "${table}Away"`);
      try {
        const res = await send();
        expect([res.statusCode, res.headers['retry-after'], res.json().error.code]).toEqual([503, '5', 'unavailable']);
      } finally {
        await db.$executeRawUnsafe(`ALTER TABLE "${table}Away" RENAME TO "${table}"`);
      }
    }
    expect([(await send()).json(), (await send()).json()]).toEqual([{}, {}]);
    expect(await db.usageEvent.count({ where: { orgId: org.orgId } })).toBe(1);
  });

  it('takes an org API key with the usage scope only', async () => {
    expect((await post('{}', { 'content-type': 'application/json' }, 'eu_nope')).statusCode).toBe(401);
    expect((await post('{}', { 'content-type': 'application/json' }, OPERATOR_TOKEN)).statusCode).toBe(401);
  });

  it('is in the OpenAPI document with both encodings', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const op = doc.paths['/v1/otlp/v1/logs'].post;
    expect(Object.keys(op.requestBody.content)).toEqual(['application/json', 'application/x-protobuf']);
    expect(Object.keys(op.responses['200'].content)).toEqual(['application/json', 'application/x-protobuf']);
    expect(op.security).toEqual([{ apiKey: [] }]);
    expect(Object.keys(op.responses)).toEqual(['200', '400', '401', '403', '413', '415', '503']);
  });
});
