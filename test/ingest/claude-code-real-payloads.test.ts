// Claude Code 2.1's real telemetry (test/fixtures/claude-code, exported by the real CLI)
// through POST /v1/logs, on a fresh install's seeded price book: claude-opus-4-8 is
// priced, `speed` is priced as /v1/usage/record prices it, and Claude Code's own
// cost_usd is compared with ours: a 1-hour cache write it billed higher is flagged.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedPriceBook } from '../../src/ledger/metering/seed-prices.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, harness, OPERATOR_TOKEN, type Harness } from '../support/fixtures.js';
import { loadOrg } from '../../src/ledger/limits-state.js';
import { spendReport } from '../../src/ledger/reports/spend.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/claude-code/${name}`, import.meta.url), 'utf8'));
const NOW = new Date('2026-12-07T12:00:00Z');

type Attr = { key: string; value: Record<string, unknown> };
/** The export as an organisation naming its people sends it: user.email in OTEL_RESOURCE_ATTRIBUTES. */
function namedBy(payload: any, email: string) {
  const copy = structuredClone(payload);
  for (const rl of copy.resourceLogs) rl.resource.attributes.push({ key: 'user.email', value: { stringValue: email } });
  return copy;
}
function apiRequestOf(payload: any): Attr[] {
  return payload.resourceLogs[0].scopeLogs[0].logRecords.find((r: any) => r.body.stringValue === 'claude_code.api_request').attributes;
}
function setAttr(payload: any, key: string, value: Record<string, unknown>) {
  const attrs = apiRequestOf(payload);
  const a = attrs.find((x) => x.key === key);
  if (a) a.value = value;
  else attrs.push({ key, value });
}

describe('Claude Code\'s real telemetry, priced', () => {
  let scratch: Scratch;
  let h: Harness;
  let key: string;
  let orgId: string;
  let slug: string;
  const db = () => scratch.db.prisma;
  const send = (payload: unknown) => h.call('POST', '/v1/otlp/v1/logs', { token: key, body: payload });
  const eventOf = (requestIdPrefix: string) => db().usageEvent.findFirstOrThrow({ where: { orgId, requestId: { startsWith: requestIdPrefix } }, orderBy: { occurredAt: 'desc' } });

  async function newOrg() {
    const slug = `org-${randomUUID().slice(0, 8)}`;
    const { orgId } = await h.provision(slug, enterpriseDoc({
      members: [
        { externalId: 'owner-1', name: 'Olivia Owner', role: 'primary_owner', seatTier: 'premium', email: 'olivia@example.com' },
        { externalId: 'alice', name: 'Alice', role: 'member', seatTier: 'standard', email: 'alice@example.com' },
      ],
    }));
    return { slug, orgId, key: await h.issueKey(slug) };
  }

  beforeAll(async () => {
    scratch = await migrated(scratchPglite);
    await seedPriceBook(scratch.db.prisma, NOW);
    h = await harness(scratch.db.prisma, NOW);
    ({ slug, orgId, key } = await newOrg());
  });
  afterAll(async () => {
    await h?.close();
    await scratch?.dispose();
  });

  it('prices both real exports (JSON and protobuf) at the seeded claude-opus-4-8 rates, speed "normal" as standard, matching Claude Code\'s cost_usd', async () => {
    for (const [name, session, cost] of [
      ['otlp-logs-http-json.json', '07df8830-9d82-401c-8c08-2eebfea79a19', 16_622_500n],
      ['otlp-logs-protobuf-decoded.json', '0cfb61ea-38ef-490a-a9c5-5615986806e9', 16_765_000n],
    ] as const) {
      const res = await send(namedBy(fixture(name), 'Alice@Example.com'));
      expect(res.status).toBe(200);
      expect(res.body.partialSuccess).toBeUndefined();
      const e = await eventOf(`otel:${session}:`);
      expect({ model: e.model, family: e.family, cost: e.costNanos, client: e.clientCostNanos, speed: e.speed, flags: e.flags, product: e.product })
        .toEqual({ model: 'claude-opus-4-8', family: 'claude-opus-4-8', cost, client: cost, speed: 'standard', flags: null, product: 'claude_code' });
    }
  });

  it('keeps events that name nobody (as the real CLI sends them), lists them, and counts them once when their user.id is claimed; later events from it are the claimer\'s', async () => {
    const USER_ID = '46d3d271cd8a03da4fdd1753c7097eab8566ac5c00079c0ff33512d11c5c31ce';
    // An org of its own: the exports' events are new to it.
    const { slug, orgId, key } = await newOrg();
    const send = (payload: unknown) => h.call('POST', '/v1/otlp/v1/logs', { token: key, body: payload });
    const spend = async () => (await db().monthlySpend.findMany({ where: { orgId, scope: 'org' } })).map((r) => `${r.period} extra=${r.extraNanos} included=${r.includedNanos} n=${r.eventCount}`);
    const before = await spend();
    for (const name of ['otlp-logs-http-json.json', 'otlp-logs-protobuf-decoded.json', 'otlp-logs-http-json.json']) {
      const res = await send(fixture(name));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({});
    }
    // Kept, counted nowhere yet; listed to operators and owners.
    expect(await spend()).toEqual(before);
    const listed = await h.call('GET', `/v1/operator/orgs/${slug}/usage/unattributed`, { token: OPERATOR_TOKEN });
    expect(listed.body.users).toEqual([{ userId: USER_ID, events: 2, firstAt: '2026-12-07T11:19:27.144Z', lastAt: '2026-12-07T11:19:30.534Z', clientCost: '0.0333875' }]);
    expect(listed.body.events[1]).toMatchObject({
      userId: USER_ID, sessionId: '07df8830-9d82-401c-8c08-2eebfea79a19', model: 'claude-opus-4-8', at: '2026-12-07T11:19:27.144Z', clientCost: '0.0166225',
      usage: { input_tokens: 12, output_tokens: 8, cache_read_input_tokens: 20100, cache_creation_input_tokens: 1010, speed: 'standard' },
    });
    expect((await h.call('GET', '/v1/usage/unattributed', { token: key, actor: 'owner-1' })).body.users).toHaveLength(1);
    expect((await h.call('GET', '/v1/usage/unattributed', { token: key, actor: 'alice' })).status).toBe(403);

    // Alice claims her Claude Code: both kept events are hers, counted once.
    const claim = await h.call('PUT', `/v1/me/claude-code-users/${USER_ID}`, { token: key, actor: 'alice' });
    expect(claim.status).toBe(200);
    expect(claim.body).toMatchObject({ userId: USER_ID, member: 'alice', created: true, attributed: 2, notRecorded: 0 });
    const again = await h.call('PUT', `/v1/me/claude-code-users/${USER_ID}`, { token: key, actor: 'alice' });
    expect(again.body).toMatchObject({ created: false, attributed: 0 });
    // Another member cannot claim it for themselves (an owner could re-map it: test/api/claude-code-users.test.ts).
    expect((await h.call('PUT', `/v1/me/claude-code-users/${USER_ID}`, { token: key, actor: 'owner-1' })).status).toBe(409);
    const alice = await db().member.findFirstOrThrow({ where: { orgId, externalId: 'alice' } });
    const hers = await db().usageEvent.findMany({ where: { orgId, memberId: alice.id, requestId: { startsWith: 'otel:' } }, orderBy: { occurredAt: 'asc' } });
    expect(hers.map((e) => e.costNanos)).toEqual([16_622_500n, 16_765_000n]);
    const counted = await db().monthlySpend.findFirstOrThrow({ where: { orgId, scope: 'member', subject: alice.id, period: '2026-12' } });
    expect(counted.eventCount).toBe(2);
    expect(counted.includedNanos + counted.extraNanos).toBe(33_387_500n);
    expect((await h.call('GET', `/v1/operator/orgs/${slug}/usage/unattributed`, { token: OPERATOR_TOKEN })).body.users).toEqual([]);
    const audit = await db().auditEntry.findFirstOrThrow({ where: { orgId, action: 'claude_code_user.mapped' } });
    expect(audit.subject).toBe(`claude_code_user:${USER_ID}`);

    // Later events from that user.id are hers at once; a re-sent export counts nothing twice.
    const later = fixture('otlp-logs-http-json.json');
    setAttr(later, 'event.timestamp', { stringValue: '2026-12-07T11:30:00.000Z' });
    expect((await send(later)).body).toEqual({});
    expect((await send(fixture('otlp-logs-http-json.json'))).body).toEqual({});
    expect(await db().usageEvent.count({ where: { orgId, memberId: alice.id, requestId: { startsWith: 'otel:' } } })).toBe(3);
    expect(await db().unattributedUsage.count({ where: { orgId, attributedAt: null } })).toBe(0);
  });

  it('prices fast mode at the map\'s multiplier', async () => {
    const payload = namedBy(fixture('otlp-logs-http-json.json'), 'alice@example.com');
    setAttr(payload, 'speed', { stringValue: 'fast' });
    setAttr(payload, 'cost_usd', { doubleValue: 0.033245 });
    setAttr(payload, 'event.timestamp', { stringValue: '2026-12-07T11:20:00.000Z' });
    expect((await send(payload)).status).toBe(200);
    const e = await db().usageEvent.findFirstOrThrow({ where: { orgId, occurredAt: new Date('2026-12-07T11:20:00.000Z') } });
    expect({ speed: e.speed, cost: e.costNanos, flags: e.flags }).toEqual({ speed: 'fast', cost: 33_245_000n, flags: null });
  });

  it('flags an event whose cache write Claude Code billed as 1-hour: kept at our price, shown to the operator and in the Spend report', async () => {
    const payload = namedBy(fixture('otlp-logs-http-json.json'), 'alice@example.com');
    // The same request with its 1,010 cache-write tokens written for an hour: Claude Code's cost_usd says $0.02041.
    setAttr(payload, 'cost_usd', { doubleValue: 0.02041 });
    setAttr(payload, 'cost_usd_micros', { intValue: 20410 });
    setAttr(payload, 'event.timestamp', { stringValue: '2026-12-07T11:21:00.000Z' });
    expect((await send(payload)).status).toBe(200);
    const e = await db().usageEvent.findFirstOrThrow({ where: { orgId, occurredAt: new Date('2026-12-07T11:21:00.000Z') } });
    expect({ cost: e.costNanos, client: e.clientCostNanos, flags: e.flags }).toEqual({ cost: 16_622_500n, client: 20_410_000n, flags: ['cost_differs_from_client'] });
    const listed = await h.call('GET', `/v1/operator/usage/cost-differences?org=${slug}`, { token: OPERATOR_TOKEN });
    expect(listed.status).toBe(200);
    expect(listed.body.events).toEqual([expect.objectContaining({
      eventId: e.id, member: 'alice', model: 'claude-opus-4-8', at: '2026-12-07T11:21:00.000Z', cost: '0.0166225', clientCost: '0.02041', difference: '0.0037875',
      tokens: { input: 12, cacheWrite5m: 1010, cacheWrite1h: 0, cacheRead: 20100, output: 8 },
    })]);
    const report = await spendReport(db(), await loadOrg(db(), orgId), NOW);
    expect(report.clientCostDifferences).toEqual({ events: 1, cost: '0.0166225', clientCost: '0.02041' });
  });
});
