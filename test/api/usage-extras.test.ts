// The whole usage object priced: web-search fees, the batch tier, US-only inference
// and whatever the price book has no row for yet (kept unpriced, priced when one is
// added), as price-book data; real SDK usage objects (nulls, iterations, …) never
// answer 5xx. On PGlite and the PostgreSQL server, through the real API.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, migrated, type Scratch } from '../support/databases.js';
import { enterpriseDoc, harness, OPERATOR_TOKEN, type Harness } from '../support/fixtures.js';

const SONNET = 'claude-sonnet-4-5-20250929';
// 1,000 input + 1,000 output tokens of Sonnet: 3,000,000 + 15,000,000 nanos = $0.018.
const BASE = { input_tokens: 1_000, output_tokens: 1_000 };

// A usage object as the SDK types it (BetaUsage of @anthropic-ai/sdk), every field present.
const SDK_USAGE = {
  cache_creation: { ephemeral_1h_input_tokens: 0, ephemeral_5m_input_tokens: 2_000 },
  cache_creation_input_tokens: 2_000,
  cache_read_input_tokens: 30_000,
  fallback_credit: null,
  inference_geo: 'global',
  input_tokens: 1_200,
  iterations: [
    { type: 'message', cache_creation: { ephemeral_1h_input_tokens: 0, ephemeral_5m_input_tokens: 2_000 }, cache_creation_input_tokens: 2_000, cache_read_input_tokens: 30_000, input_tokens: 700, model: SONNET, output_tokens: 300 },
    { type: 'message', cache_creation: null, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, input_tokens: 500, model: null, output_tokens: 500 },
  ],
  output_tokens: 800,
  output_tokens_details: { thinking_tokens: 120 },
  server_tool_use: { web_fetch_requests: 1, web_search_requests: 2 },
  service_tier: 'standard',
  speed: 'standard',
};
// A streamed message_delta's usage: the SDK types most counts as nullable.
const DELTA_USAGE = { cache_creation_input_tokens: null, cache_read_input_tokens: null, input_tokens: null, output_tokens: 640, output_tokens_details: null, server_tool_use: null };

describe.each(BACKENDS)('the whole usage object on $kind', ({ open }) => {
  let scratch: Scratch;
  let h: Harness;
  let key: string;
  const op = (method: string, url: string, body?: unknown) => h.call(method, url, { token: OPERATOR_TOKEN, body });
  const record = (usage: unknown, model = SONNET, extra: Record<string, unknown> = {}) =>
    h.call('POST', '/v1/usage/record', { token: key, body: { requestId: randomUUID(), member: 'bob', model, usage, ...extra } });

  beforeAll(async () => {
    scratch = await migrated(open);
    h = await harness(scratch.db.prisma);
    await h.provision('acme', enterpriseDoc());
    key = await h.issueKey('acme');
  });
  afterAll(async () => {
    await h?.close();
    await scratch?.dispose();
  });

  it('bills web searches per request at $10 per 1,000, and web fetches at nothing beyond their tokens', async () => {
    const res = await record({ ...BASE, server_tool_use: { web_search_requests: 3, web_fetch_requests: 2 } });
    expect(res.body).toMatchObject({ priced: true, cost: '0.048' }); // $0.018 + 3 x $0.01
    const event = await scratch.db.prisma.usageEvent.findFirstOrThrow({ where: { requestId: res.body.requestId } });
    expect(event).toMatchObject({ webSearchRequests: 3, webFetchRequests: 2, costNanos: 48_000_000n, priceModifierIds: ['seed-web-search', 'seed-web-fetch'] });
  });

  it('prices the batch tier at half, and US-only inference at 1.1x, from their rows', async () => {
    expect((await record({ ...BASE, service_tier: 'batch' })).body).toMatchObject({ cost: '0.009' });
    expect((await record({ ...BASE, service_tier: 'standard', inference_geo: 'us' })).body).toMatchObject({ cost: '0.0198' });
    expect((await record({ ...BASE, service_tier: 'batch', inference_geo: 'us', server_tool_use: { web_search_requests: 1 } })).body).toMatchObject({ cost: '0.0199' }); // 0.0099 + 0.01
    const listed = await op('GET', '/v1/operator/price-modifiers');
    expect(listed.body.modifiers).toContainEqual({ id: 'seed-tier-batch', family: '*', dimension: 'service_tier', value: 'batch', effectiveFrom: '2025-01-01T00:00:00.000Z', multiplier: '0.5' });
    expect(listed.body.modifiers).toContainEqual({ id: 'seed-web-search', family: '*', dimension: 'web_search_requests', value: '', effectiveFrom: '2025-01-01T00:00:00.000Z', perThousandRequests: '10.00' });
  });

  it('keeps usage of a tier the price book has no row for unpriced, and prices it once one is added', async () => {
    const res = await record({ ...BASE, service_tier: 'priority' }, SONNET, { at: '2026-11-15T11:00:00Z' });
    expect(res.body).toMatchObject({ priced: false, unpricedReason: 'modifier_unpriced', cost: '0.00' });
    const listed = await op('GET', '/v1/operator/usage/unpriced');
    expect(listed.body.events).toContainEqual(expect.objectContaining({ requestId: res.body.requestId, reason: 'modifier_unpriced:service_tier=priority', family: 'claude-sonnet-4-5' }));
    // The first row for a value may be back-dated: nothing was charged without it.
    const added = await op('POST', '/v1/operator/price-modifiers', { family: '*', dimension: 'service_tier', value: 'priority', effectiveFrom: '2026-11-15T00:00:00Z', multiplier: '1' });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ family: '*', dimension: 'service_tier', value: 'priority', multiplier: '1', pricedUnpriced: 1 });
    const event = await scratch.db.prisma.usageEvent.findFirstOrThrow({ where: { requestId: res.body.requestId } });
    expect(event).toMatchObject({ costNanos: 18_000_000n, serviceTier: 'priority', flags: ['priced_late'] });
    // A second row is a price change: at least a minute ahead, and for a family's own row too.
    const again = await op('POST', '/v1/operator/price-modifiers', { family: '*', dimension: 'service_tier', value: 'priority', effectiveFrom: '2026-11-15T11:00:00Z', multiplier: '2' });
    expect([again.status, again.body.error.field]).toEqual([422, 'effectiveFrom']);
    const own = await op('POST', '/v1/operator/price-modifiers', { family: 'claude-sonnet-4-5', dimension: 'service_tier', value: 'priority', effectiveFrom: '2026-11-15T11:00:00Z', multiplier: '2' });
    expect(own.status).toBe(422);
    const ahead = await op('POST', '/v1/operator/price-modifiers', { family: 'claude-sonnet-4-5', dimension: 'service_tier', value: 'priority', effectiveFrom: '2026-11-15T12:01:00Z', multiplier: '2' });
    expect(ahead.status).toBe(201);
    h.clock.now = new Date('2026-11-15T12:02:00Z');
    try {
      expect((await record({ ...BASE, service_tier: 'priority' })).body).toMatchObject({ cost: '0.036' });
      expect((await record({ ...BASE, service_tier: 'priority' }, 'claude-haiku-4-5')).body).toMatchObject({ cost: '0.006' }); // haiku: "*" row (x1)
    } finally {
      h.clock.now = new Date('2026-11-15T12:00:00Z');
    }
  });

  it('applies the fees of every family ("*") to a family priced later', async () => {
    const fam = `claude-fee-${randomUUID().slice(0, 8)}`;
    await op('POST', '/v1/operator/prices', { model: fam, effectiveFrom: '2026-11-15T00:00:00Z', perMillionTokens: { input: '1', cacheWrite5m: '1', cacheWrite1h: '1', cacheRead: '1', output: '1' } });
    const res = await record({ ...BASE, server_tool_use: { web_search_requests: 1 } }, fam);
    expect(res.body).toMatchObject({ priced: true, cost: '0.012' }); // $0.002 of tokens + one search, from the "*" row
  });

  it('holds fees and multipliers in reservation mode', async () => {
    const hold = (estimate: Record<string, unknown>) =>
      h.call('POST', '/v1/usage/authorize', { token: key, body: { member: 'alice', model: SONNET, requestId: randomUUID(), estimate: { input_tokens: 1_000, max_tokens: 1_000, ...estimate } } });
    // 1,000 x 6,000 (1-hour write) + 1,000 x 15,000 = $0.021
    expect((await hold({})).body).toMatchObject({ reservation: { held: '0.021' } });
    expect((await hold({ service_tier: 'batch' })).body).toMatchObject({ reservation: { held: '0.0105' } });
    expect((await hold({ service_tier: 'batch', web_search_requests: 5 })).body).toMatchObject({ reservation: { held: '0.0605' } });
    expect((await hold({ inference_geo: 'us', service_tier: null })).body).toMatchObject({ reservation: { held: '0.0231' } });
  });

  it('accepts real SDK usage objects, nulls and nested iterations included, and never fails', async () => {
    const full = await record(SDK_USAGE);
    expect(full.status).toBe(200);
    // 1,200 x 3,000 + 2,000 x 3,750 + 30,000 x 300 + 800 x 15,000 = 3,600,000 + 7,500,000 + 9,000,000 + 12,000,000
    // = 32,100,000 ($0.0321), standard tier, global, standard speed; + 2 searches ($0.02) + 1 fetch ($0)
    expect(full.body).toMatchObject({ priced: true, cost: '0.0521' });
    const delta = await record(DELTA_USAGE);
    expect(delta.status).toBe(200);
    expect(delta.body).toMatchObject({ priced: true, cost: '0.0096' }); // 640 x 15,000
    // Bounded: nesting past what any usage object has is a 400 naming the field.
    const deep = await record({ ...BASE, iterations: [[[[{ a: 1 }]]]] });
    expect([deep.status, deep.body.error.field]).toEqual([400, 'usage.iterations']);
  });

  it('validates price-modifier rows', async () => {
    const cases: [unknown, number, string][] = [
      [{ family: '*', dimension: 'web_search_requests', effectiveFrom: '2027-01-01T00:00:00Z', multiplier: '2' }, 400, 'perThousandRequests'],
      [{ family: '*', dimension: 'service_tier', effectiveFrom: '2027-01-01T00:00:00Z', multiplier: '2' }, 400, 'value'],
      [{ family: '*', dimension: 'service_tier', value: 'flex', effectiveFrom: '2027-01-01T00:00:00Z', multiplier: '0.1234567' }, 400, 'multiplier'],
      [{ family: '*', dimension: 'tokens', value: 'x', effectiveFrom: '2027-01-01T00:00:00Z', multiplier: '1' }, 400, 'dimension'],
      [{ family: 'claude-sonnet-4-5-latest', dimension: 'service_tier', value: 'flex', effectiveFrom: '2027-01-01T00:00:00Z', multiplier: '1' }, 422, 'family'],
      [{ family: '*', dimension: 'web_search_requests', effectiveFrom: '2025-01-01T00:00:00Z', perThousandRequests: '10.00' }, 422, 'effectiveFrom'],
    ];
    for (const [body, status, field] of cases) {
      const res = await op('POST', '/v1/operator/price-modifiers', body);
      expect([res.status, res.body.error?.field], JSON.stringify(body)).toEqual([status, field]);
    }
  });
});
