// LiteLLM's model map as the price book: the real map of the pinned litellm package,
// imported through the operator API (the npm script: price-import-cli.test.ts), and the seeded book a fresh
// install starts with. Exact decimals, import twice = once, a changed rate is a new
// row, ours stays where the map lacks it, bad maps import nothing.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedMapOf } from '../../src/domain/litellm-map.js';
import { seedPriceBook, SEED_MAP_PATH, seedSource } from '../../src/ledger/metering/seed-prices.js';
import { installedLitellmMap } from '../../scripts/litellm-installed.js';
import { BACKENDS, migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { operatorAlertActivities } from '../../src/activities/operator-alerts.js';
import type { ActivityDeps } from '../../src/activities/deps.js';
import type { AlertView } from '../../src/notify/port.js';
import { importPriceMap } from '../../src/ledger/metering/price-import.js';
import { enterpriseDoc, harness, OPERATOR_TOKEN, type Harness } from '../support/fixtures.js';
import { withRate } from '../support/price-maps.js';

const NOW = new Date('2026-12-07T12:00:00Z');
const installed = installedLitellmMap();
const MAP = installed.text;


describe('the seeded price book', () => {
  it('is the pinned litellm package\'s map, regenerated identically from the installed package', () => {
    expect(seedSource()).toEqual({ package: 'litellm', version: installed.source.version, file: installed.source.file, provider: 'anthropic' });
    expect(seedMapOf(installed.text, installed.source)).toBe(readFileSync(SEED_MAP_PATH, 'utf8'));
  });
});

describe.each(BACKENDS)('importing LiteLLM\'s model map on $kind', ({ open }) => {
  let scratch: Scratch;
  let h: Harness;
  const db = () => scratch.db.prisma;
  const op = (method: string, url: string, body?: unknown) => h.call(method, url, { token: OPERATOR_TOKEN, body });
  const importMap = (map: string, extra: Record<string, unknown> = {}) => op('POST', '/v1/operator/prices/import', { map, ...extra });
  const rows = async () => (await db().priceEntry.findMany({ orderBy: [{ model: 'asc' }, { effectiveFrom: 'asc' }, { minPromptTokensExclusive: 'asc' }] }))
    .map((r) => `${r.model}@${r.effectiveFrom.toISOString()}>${r.minPromptTokensExclusive} ${r.inputNanosPerToken}/${r.cacheWrite5mNanosPerToken}/${r.cacheWrite1hNanosPerToken}/${r.cacheReadNanosPerToken}/${r.outputNanosPerToken}`);
  const book = async () => ({
    prices: await rows(),
    aliases: (await db().modelAlias.findMany({ orderBy: { alias: 'asc' } })).map((a) => `${a.alias}->${a.family}`),
    modifiers: (await db().priceModifier.findMany({ orderBy: [{ family: 'asc' }, { dimension: 'asc' }, { value: 'asc' }, { effectiveFrom: 'asc' }] }))
      .map((m) => `${m.family} ${m.dimension}=${m.value}@${m.effectiveFrom.toISOString()} ${m.multiplierMillionths ?? m.nanosPerRequest}`),
  });

  beforeAll(async () => {
    scratch = await migrated(open);
    h = await harness(scratch.db.prisma, NOW);
  });
  afterAll(async () => {
    await h?.close();
    await scratch?.dispose();
  });

  async function org() {
    const slug = `org-${randomUUID().slice(0, 8)}`;
    await h.provision(slug, enterpriseDoc());
    const key = await h.issueKey(slug);
    return (model: string, usage: unknown, at?: string) =>
      h.call('POST', '/v1/usage/record', { token: key, body: { requestId: randomUUID(), member: 'bob', model, usage, ...(at ? { at } : {}) } });
  }

  it('refuses a map that is not JSON, has no Anthropic entry, or a rate that is negative or no number, naming it, and imports nothing', async () => {
    const before = await book();
    const notJson = await importMap('{"claude-opus-4-8": {');
    expect(notJson.status).toBe(422);
    expect(notJson.body.error).toMatchObject({ field: 'map', message: expect.stringContaining('not JSON') });
    const none = await importMap(JSON.stringify({ 'gpt-5': { litellm_provider: 'openai', input_cost_per_token: 1e-6 } }));
    expect(none.status).toBe(422);
    expect(none.body.error.message).toContain('has no entry whose litellm_provider is "anthropic"');
    const negative = await importMap(withRate(MAP, 'claude-opus-4-8', 'output_cost_per_token', '-2.5e-05'));
    expect(negative.status).toBe(422);
    expect(negative.body.error.message).toContain('claude-opus-4-8: output_cost_per_token is negative (-2.5e-05)');
    const text = await importMap(withRate(MAP, 'claude-sonnet-4-6', 'input_cost_per_token', '"3e-06"'));
    expect(text.status).toBe(422);
    expect(text.body.error.message).toContain('claude-sonnet-4-6: input_cost_per_token is not a number');
    expect(await book()).toEqual(before);
  });

  it('a dry run lists the difference and changes nothing; the import adds today\'s models with exact rates; the same map again changes nothing', async () => {
    const before = await book();
    const dry = await importMap(MAP, { dryRun: true });
    expect(dry.status).toBe(200);
    expect(await book()).toEqual(before);
    const families = new Set(dry.body.modelsAdded.map((p: { family: string }) => p.family));
    expect(families).toContain('claude-opus-4-8');
    expect(families).toContain('claude-sonnet-4-6');
    // 3.75e-06 per token is 3.75 per million, read as the decimal it is.
    expect(dry.body.modelsAdded).toContainEqual({
      family: 'claude-sonnet-4-6', longContextAboveTokens: 0, effectiveFrom: NOW.toISOString(),
      perMillionTokens: { input: '3.00', cacheWrite5m: '3.75', cacheWrite1h: '6.00', cacheRead: '0.30', output: '15.00' },
    });
    // A long-context tier the map has comes along.
    expect(dry.body.modelsAdded).toContainEqual(expect.objectContaining({ family: 'claude-haiku-5-5', longContextAboveTokens: 100000 }));
    expect(dry.body.aliasesAdded).toContainEqual({ alias: 'claude-opus-4-7-20260416', family: 'claude-opus-4-7' });
    expect(dry.body.modifiersAdded).toContainEqual(expect.objectContaining({ family: 'claude-opus-4-8', dimension: 'speed', value: 'fast', multiplier: '2' }));
    // Ours the map lacks stays, and is said; families the map no longer lists are never deleted.
    expect(dry.body.keptOurs).toContainEqual({ family: 'claude-sonnet-4-5', longContextAboveTokens: 200000 });
    expect(dry.body.notInMap).toEqual(expect.arrayContaining(['claude-opus-4-1', 'claude-haiku-3-5']));
    expect(dry.body.ratesChanged).toEqual([]);

    const first = await importMap(MAP);
    expect(first.status).toBe(200);
    expect({ ...first.body, dryRun: true }).toEqual(dry.body);
    const after = await book();
    expect(after.prices).toEqual(expect.arrayContaining(before.prices));
    const again = await importMap(MAP);
    expect(again.body).toMatchObject({ modelsAdded: [], ratesChanged: [], aliasesAdded: [], modifiersAdded: [], conflicts: [] });
    expect(await book()).toEqual(after);

    // Priced exactly, by family and by dated id: 1,000 of each kind of token.
    const record = await org();
    const usage = { input_tokens: 1000, output_tokens: 1000, cache_read_input_tokens: 1000, cache_creation_input_tokens: 2000, cache_creation: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 1000 } };
    expect((await record('claude-opus-4-8', usage)).body).toMatchObject({ priced: true, family: 'claude-opus-4-8', cost: '0.04675' }); // 5 + 25 + 0.5 + 6.25 + 10 per million
    expect((await record('claude-sonnet-4-6', usage)).body).toMatchObject({ priced: true, cost: '0.02805' }); // 3 + 15 + 0.3 + 3.75 + 6
    expect((await record('claude-opus-4-7-20260416', usage)).body).toMatchObject({ priced: true, family: 'claude-opus-4-7', cost: '0.04675' });
  });

  it('a changed rate is a new row from its effective date: earlier usage keeps the old one; our long-context tier is carried into the new rows', async () => {
    const from = new Date(NOW.getTime() + 3_600_000).toISOString();
    const changed = withRate(withRate(MAP, 'claude-sonnet-4-5', 'input_cost_per_token', '3.5e-06'), 'claude-sonnet-4-5-20250929', 'input_cost_per_token', '3.5e-06');
    const soon = await importMap(changed, { effectiveFrom: new Date(NOW.getTime() + 10_000).toISOString() });
    expect(soon.status).toBe(422);
    expect(soon.body.error.field).toBe('effectiveFrom');
    const res = await importMap(changed, { effectiveFrom: from });
    expect(res.status).toBe(200);
    expect(res.body.ratesChanged).toEqual([{
      family: 'claude-sonnet-4-5', longContextAboveTokens: 0, effectiveFrom: from,
      perMillionTokens: { input: '3.50', cacheWrite5m: '3.75', cacheWrite1h: '6.00', cacheRead: '0.30', output: '15.00' },
      was: { input: '3.00', cacheWrite5m: '3.75', cacheWrite1h: '6.00', cacheRead: '0.30', output: '15.00' },
    }]);
    // The rows replaced are the ones in force, not a scheduled change: no conflict is claimed.
    expect(res.body.conflicts.filter((c: string) => c.includes('scheduled'))).toEqual([]);
    const sonnet = (await rows()).filter((r) => r.startsWith('claude-sonnet-4-5@'));
    expect(sonnet).toEqual([
      'claude-sonnet-4-5@2025-01-01T00:00:00.000Z>0 3000/3750/6000/300/15000',
      'claude-sonnet-4-5@2025-01-01T00:00:00.000Z>200000 6000/7500/12000/600/22500',
      `claude-sonnet-4-5@${from}>0 3500/3750/6000/300/15000`,
      `claude-sonnet-4-5@${from}>200000 6000/7500/12000/600/22500`,
    ]);
    const record = await org();
    expect((await record('claude-sonnet-4-5-20250929', { input_tokens: 100_000, output_tokens: 0 }, NOW.toISOString())).body.cost).toBe('0.30');
    h.clock.now = new Date(NOW.getTime() + 7_200_000);
    try {
      expect((await record('claude-sonnet-4-5-20250929', { input_tokens: 100_000, output_tokens: 0 })).body.cost).toBe('0.35');
      expect((await record('claude-sonnet-4-5', { input_tokens: 250_000, output_tokens: 0 })).body.cost).toBe('1.50');
    } finally {
      h.clock.now = NOW;
    }
    expect((await importMap(changed)).body).toMatchObject({ modelsAdded: [], ratesChanged: [], unchanged: expect.any(Number) });
  });
});

describe.each(BACKENDS)('a fresh install on $kind', ({ open }) => {
  let scratch: Scratch;
  let h: Harness;
  beforeAll(async () => {
    scratch = await migrated(open);
    h = await harness(scratch.db.prisma, NOW);
  });
  afterAll(async () => {
    await h?.close();
    await scratch?.dispose();
  });

  it('prices what Claude Code asks for today from the seeded book; seeding again adds nothing', async () => {
    const seeded = await seedPriceBook(scratch.db.prisma, NOW);
    expect(seeded.conflicts).toEqual([]);
    expect((await seedPriceBook(scratch.db.prisma, NOW))).toMatchObject({ modelsAdded: [], aliasesAdded: [], modifiersAdded: [] });
    const slug = `org-${randomUUID().slice(0, 8)}`;
    await h.provision(slug, enterpriseDoc());
    const key = await h.issueKey(slug);
    const record = (model: string) => h.call('POST', '/v1/usage/record', { token: key, body: { requestId: randomUUID(), member: 'bob', model, usage: { input_tokens: 1_000_000, output_tokens: 1_000_000 } } });
    const authorize = (model: string) => h.call('POST', '/v1/usage/authorize', { token: key, body: { member: 'bob', model } });
    expect((await authorize('claude-opus-4-8')).body.allowed).toBe(true);
    expect((await record('claude-opus-4-8')).body).toMatchObject({ priced: true, cost: '30.00' });
    expect((await record('claude-sonnet-4-6')).body).toMatchObject({ priced: true, cost: '18.00' });
    expect((await record('claude-opus-4-6-20260205')).body).toMatchObject({ priced: true, family: 'claude-opus-4-6', cost: '30.00' });
  });
});

describe('a model the seeded book does not price yet', () => {
  let scratch: Scratch;
  let h: Harness;
  beforeAll(async () => {
    scratch = await migrated(scratchPglite);
    await seedPriceBook(scratch.db.prisma, NOW);
    h = await harness(scratch.db.prisma, NOW);
  });
  afterAll(async () => {
    await h?.close();
    await scratch?.dispose();
  });

  it('is kept; the operators\' alert gives the pinned map\'s price and the one command; importing prices the kept usage from its first use', async () => {
    const db = scratch.db.prisma;
    const slug = `org-${randomUUID().slice(0, 8)}`;
    const { orgId } = await h.provision(slug, enterpriseDoc());
    const key = await h.issueKey(slug);
    // A dated id of claude-opus-4-8 that the map does not list.
    const model = 'claude-opus-4-8-20261201';
    const firstUse = '2026-12-07T09:30:00.000Z';
    const kept = await h.call('POST', '/v1/usage/record', { token: key, body: { requestId: randomUUID(), member: 'bob', model, at: firstUse, usage: { input_tokens: 1_000_000, output_tokens: 0 } } });
    expect(kept.body).toMatchObject({ priced: false, unpricedReason: 'model_unpriced', cost: '0.00' });

    const sent: AlertView[] = [];
    const activities = operatorAlertActivities({ db, now: () => NOW, operators: { emails: [], notifier: { alert: async (a: AlertView) => { sent.push(a); } } } } as unknown as ActivityDeps);
    const event = await db.outboxEvent.findFirstOrThrow({ where: { orgId, type: 'usage_unpriced' } });
    expect(await activities.deliverUnpricedAlert({ orgId, eventId: String(event.id), model, family: model, reason: 'model_unpriced', day: '2026-12-07' })).toBe('sent');
    expect(sent[0]!.facts).toMatchObject({
      [`In litellm ${installed.source.version}'s map`]: 'claude-opus-4-8: input $5.00, 5-minute cache write $6.25, 1-hour cache write $10.00, cache read $0.50, output $25.00 per million tokens',
      'Price it with': expect.stringContaining('npm run prices:import -- prisma/price-map/litellm-anthropic.json'),
    });

    const report = await importPriceMap(db, readFileSync(SEED_MAP_PATH, 'utf8'), { now: NOW });
    expect(report).toMatchObject({ aliasesAdded: [{ alias: model, family: 'claude-opus-4-8' }], modelsAdded: [], ratesChanged: [], pricedUnpriced: 1 });
    const priced = await db.usageEvent.findFirstOrThrow({ where: { orgId, model } });
    expect({ family: priced.family, cost: priced.costNanos, at: priced.occurredAt.toISOString() }).toEqual({ family: 'claude-opus-4-8', cost: 5_000_000_000n, at: firstUse });
  });
});

describe('the seed after an org charged a new model at its fallback price', () => {
  let scratch: Scratch;
  let h: Harness;
  beforeAll(async () => {
    scratch = await migrated(scratchPglite);
    h = await harness(scratch.db.prisma, NOW);
  });
  afterAll(async () => {
    await h?.close();
    await scratch?.dispose();
  });

  it('still seeds every model; that model is priced from a minute ahead, its charged usage keeps its price, and it is said', async () => {
    const db = scratch.db.prisma;
    const slug = `org-${randomUUID().slice(0, 8)}`;
    await h.provision(slug, enterpriseDoc({ unknownModelFallback: 'claude-sonnet-4-5' } as never));
    const key = await h.issueKey(slug);
    const record = (model: string, at: string) => h.call('POST', '/v1/usage/record', { token: key, body: { requestId: randomUUID(), member: 'bob', model, at, usage: { input_tokens: 100_000, output_tokens: 0 } } });
    // Sonnet's $3 per million input tokens, flagged as the fallback.
    expect((await record('claude-opus-4-8', '2026-12-07T11:00:00.000Z')).body).toMatchObject({ priced: true, family: 'claude-opus-4-8', cost: '0.30', flags: ['fallback_price'] });

    const seeded = await seedPriceBook(db, NOW);
    const from = new Date(NOW.getTime() + 60_000).toISOString();
    expect(seeded.modelsAdded).toContainEqual(expect.objectContaining({ family: 'claude-opus-4-8', longContextAboveTokens: 0, effectiveFrom: from }));
    expect(seeded.modelsAdded).toContainEqual(expect.objectContaining({ family: 'claude-sonnet-4-6', effectiveFrom: '2025-01-01T00:00:00.000Z' }));
    expect(seeded.conflicts).toEqual([expect.stringContaining('claude-opus-4-8: usage of it was charged already')]);
    expect((await db.usageEvent.findFirstOrThrow({ where: { model: 'claude-opus-4-8' } })).costNanos).toBe(300_000_000n);
    // From then on, its own price ($5 per million input tokens).
    expect((await record('claude-opus-4-8', new Date(NOW.getTime() + 120_000).toISOString())).body).toMatchObject({ priced: true, cost: '0.50' });
    expect((await seedPriceBook(db, NOW)).modelsAdded).toEqual([]);
  });
});

describe('importing while a change is scheduled', () => {
  let scratch: Scratch;
  beforeAll(async () => {
    scratch = await migrated(scratchPglite);
  });
  afterAll(async () => {
    await scratch?.dispose();
  });

  it('compares with the prices in force a minute ahead: importing the same map twice adds nothing, the scheduled change stays', async () => {
    const db = scratch.db.prisma;
    const rows = async () => (await db.priceEntry.findMany({ where: { model: 'claude-sonnet-4-5' }, orderBy: [{ effectiveFrom: 'asc' }, { minPromptTokensExclusive: 'asc' }] }))
      .map((r) => `${r.effectiveFrom.toISOString()}>${r.minPromptTokensExclusive} ${r.inputNanosPerToken}`);
    await importPriceMap(db, MAP, { now: NOW });
    const tomorrow = new Date(NOW.getTime() + 86_400_000);
    const changed = withRate(withRate(MAP, 'claude-sonnet-4-5', 'input_cost_per_token', '3.5e-06'), 'claude-sonnet-4-5-20250929', 'input_cost_per_token', '3.5e-06');
    expect((await importPriceMap(db, changed, { now: NOW, effectiveFrom: tomorrow })).ratesChanged).toHaveLength(1);
    const scheduled = await rows();
    for (const minutes of [1, 2]) {
      const again = await importPriceMap(db, MAP, { now: new Date(NOW.getTime() + minutes * 60_000) });
      expect(again).toMatchObject({ modelsAdded: [], ratesChanged: [] });
      expect(again.conflicts).toContainEqual(expect.stringContaining(`claude-sonnet-4-5: a change the book has scheduled from ${tomorrow.toISOString()} differs from the map and stays`));
      expect(await rows()).toEqual(scheduled);
    }
    // The changed map again, from tomorrow: as the book has it then.
    const sameAsScheduled = await importPriceMap(db, changed, { now: NOW, effectiveFrom: tomorrow });
    expect(sameAsScheduled.ratesChanged).toEqual([]);
  });

  it('reports, never fails, when pricing kept usage fails after the rows are committed; the seed can leave that pass to run on', async () => {
    const fresh = await migrated(scratchPglite);
    try {
      const db = fresh.db.prisma;
      const report = await importPriceMap(db, MAP, { now: NOW, priceKept: async () => { throw new Error('connection lost'); } });
      expect(report.modelsAdded.length).toBeGreaterThan(0);
      expect(report.conflicts).toContainEqual(expect.stringContaining('the rows were imported; pricing the usage kept unpriced failed (connection lost)'));
      expect(await db.priceEntry.count({ where: { model: 'claude-opus-4-8' } })).toBeGreaterThan(0);
    } finally {
      await fresh.dispose();
    }
    const seeded = await migrated(scratchPglite);
    try {
      let pass: Promise<number> | undefined;
      const report = await seedPriceBook(seeded.db.prisma, NOW, (p) => { pass = p; });
      expect(report.modelsAdded.length).toBeGreaterThan(0);
      expect(await pass).toBe(0);
    } finally {
      await seeded.dispose();
    }
  });

  it('audits every price, alias and modifier the seed or an import adds: who, what, before, after', async () => {
    const fresh = await migrated(scratchPglite);
    try {
      const db = fresh.db.prisma;
      const seeded = await seedPriceBook(db, NOW);
      const entries = await db.priceBookAudit.findMany({ orderBy: { id: 'asc' } });
      expect(entries.length).toBe(seeded.modelsAdded.length + seeded.aliasesAdded.length + seeded.modifiersAdded.length);
      expect(new Set(entries.map((e) => e.actor))).toEqual(new Set([`seed (pinned map litellm ${installed.source.version})`]));
      expect(entries).toContainEqual(expect.objectContaining({
        action: 'price.added', subject: 'price:claude-opus-4-8>0@2025-01-01T00:00:00.000Z', before: null,
        after: expect.objectContaining({ family: 'claude-opus-4-8', perMillionTokens: expect.objectContaining({ input: '5.00', output: '25.00' }) }),
      }));
      expect(entries).toContainEqual(expect.objectContaining({ action: 'model_alias.added', subject: 'model_alias:claude-opus-4-7-20260416', after: expect.objectContaining({ family: 'claude-opus-4-7' }) }));
      expect(entries.map((e) => e.action)).toContain('price_modifier.added');

      const tomorrow = new Date(NOW.getTime() + 86_400_000);
      const changed = withRate(withRate(MAP, 'claude-sonnet-4-5', 'input_cost_per_token', '3.5e-06'), 'claude-sonnet-4-5-20250929', 'input_cost_per_token', '3.5e-06');
      await importPriceMap(db, changed, { now: NOW, effectiveFrom: tomorrow, actor: 'operator' });
      expect(await db.priceBookAudit.findFirst({ where: { subject: `price:claude-sonnet-4-5>0@${tomorrow.toISOString()}` } })).toMatchObject({
        actor: 'operator', action: 'price.added', before: expect.objectContaining({ input: '3.00' }), after: expect.objectContaining({ perMillionTokens: expect.objectContaining({ input: '3.50' }) }),
      });
      // A dry run writes nothing.
      const count = await db.priceBookAudit.count();
      await importPriceMap(db, MAP, { now: NOW, dryRun: true });
      expect(await db.priceBookAudit.count()).toBe(count);
    } finally {
      await fresh.dispose();
    }
  });

  it('reports a web search fee that is no whole thousandth of a dollar per 1,000 requests exactly', async () => {
    const map = JSON.stringify({ 'claude-fee-1': {
      litellm_provider: 'anthropic', input_cost_per_token: 3e-6, output_cost_per_token: 1.5e-5, cache_creation_input_token_cost: 3.75e-6,
      cache_creation_input_token_cost_above_1hr: 6e-6, cache_read_input_token_cost: 3e-7, search_context_cost_per_query: { search_context_size_low: 1.2345e-5 },
    } });
    const dry = await importPriceMap(scratch.db.prisma, map, { now: NOW, dryRun: true });
    // 12,345 nanos a request: $0.012345 per 1,000, not "0.012".
    expect(dry.modifiersAdded).toContainEqual(expect.objectContaining({ family: 'claude-fee-1', dimension: 'web_search_requests', perThousandRequests: '0.012345' }));
  });
});
