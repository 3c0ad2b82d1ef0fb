// Bad input on every endpoint gets a clear 4xx naming the field, and changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, migrated, type Scratch } from '../support/databases.js';
import { enterpriseDoc, harness, HAIKU, OPERATOR_TOKEN, teamDoc, usageOfCents, type Harness } from '../support/fixtures.js';

const good = { requestId: 'r1', member: 'alice', model: HAIKU, usage: usageOfCents(10) };

type Case = [name: string, method: string, url: string, opts: { body?: unknown; token?: string; actor?: string; contentType?: string }, status: number, field?: string];

// Keys are issued in beforeAll, after the cases are listed: name them here, resolve them per call.
const KEY = '<settings+usage key>';
const USAGE_KEY = '<usage-only key>';
const TEAM_KEY = '<team org key>';

// Amounts just past what BIGINT nano-dollars hold, and just past the documented maximum.
const PAST_BIGINT = '9223372036.86';
const PAST_MAX = '1000000000.00';
const NUL = 'a\u0000b';
// A JSON body nesting an array 100,000 deep inside `usage`.
const DEEP = `{"requestId":"deep","member":"alice","model":"${HAIKU}","usage":{"input_tokens":1,"output_tokens":1,"deep":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`;
const price = (over: Record<string, unknown>) => ({
  model: 'm', effectiveFrom: '2027-01-01T00:00:00Z', perMillionTokens: { input: '1', cacheWrite5m: '1', cacheWrite1h: '1', cacheRead: '1', output: '1' }, ...over,
});
const owner = { token: KEY, actor: 'owner-1' };
const teamOwner = { token: TEAM_KEY, actor: 'owner-1' };

const cases = (): Case[] => [
  ['record without a key', 'POST', '/v1/usage/record', { body: good }, 401, 'authorization'],
  ['record with a bad key', 'POST', '/v1/usage/record', { body: good, token: 'eu_nope' }, 401, 'authorization'],
  ['record with the operator token', 'POST', '/v1/usage/record', { body: good, token: OPERATOR_TOKEN }, 401, 'authorization'],
  ['record missing requestId', 'POST', '/v1/usage/record', { body: { ...good, requestId: undefined }, token: KEY }, 400, 'requestId'],
  ['record missing usage', 'POST', '/v1/usage/record', { body: { ...good, usage: undefined }, token: KEY }, 400, 'usage'],
  ['record with negative tokens', 'POST', '/v1/usage/record', { body: { ...good, usage: { input_tokens: 5, output_tokens: -1 } }, token: KEY }, 400, 'usage.output_tokens'],
  ['record with fractional tokens', 'POST', '/v1/usage/record', { body: { ...good, usage: { input_tokens: 1.5, output_tokens: 1 } }, token: KEY }, 400, 'usage.input_tokens'],
  ['record with tokens as strings', 'POST', '/v1/usage/record', { body: { ...good, usage: { input_tokens: '5', output_tokens: 1 } }, token: KEY }, 400, 'usage.input_tokens'],
  ['record for an unknown member', 'POST', '/v1/usage/record', { body: { ...good, member: 'nobody' }, token: KEY }, 404, 'member'],
  ['record with a bad timestamp', 'POST', '/v1/usage/record', { body: { ...good, at: 'yesterday' }, token: KEY }, 400, 'at'],
  ['record far in the future', 'POST', '/v1/usage/record', { body: { ...good, at: '2026-11-15T12:06:00Z' }, token: KEY }, 422, 'at'],
  ['record with an unknown field', 'POST', '/v1/usage/record', { body: { ...good, cost: '0.01' }, token: KEY }, 400, 'cost'],
  // (A model without a price, or a cache breakdown that does not add up, is no error: the usage is kept, test/api/unpriced.test.ts.)
  ['authorize missing member', 'POST', '/v1/usage/authorize', { body: { model: HAIKU }, token: KEY }, 400, 'member'],
  ['authorize with a numeric model', 'POST', '/v1/usage/authorize', { body: { member: 'alice', model: 7 }, token: KEY }, 400, 'model'],
  ['authorize an unknown member', 'POST', '/v1/usage/authorize', { body: { member: 'zed', model: HAIKU }, token: KEY }, 404, 'member'],
  ['settings without X-Actor', 'PUT', '/v1/settings/caps/org', { body: { cap: '5.00' }, token: KEY }, 400, 'x-actor'],
  ['settings with an unknown actor', 'PUT', '/v1/settings/caps/org', { body: { cap: '5.00' }, token: KEY, actor: 'ghost' }, 404, 'x-actor'],
  ['settings with a usage-only key', 'PUT', '/v1/settings/caps/org', { body: { cap: '5.00' }, token: USAGE_KEY, actor: 'owner-1' }, 403],
  ['org cap as a number', 'PUT', '/v1/settings/caps/org', { body: { cap: 5 }, token: KEY, actor: 'owner-1' }, 400, 'cap'],
  ['org cap with three decimals', 'PUT', '/v1/settings/caps/org', { body: { cap: '5.001' }, token: KEY, actor: 'owner-1' }, 400, 'cap'],
  ['org cap negative', 'PUT', '/v1/settings/caps/org', { body: { cap: '-5.00' }, token: KEY, actor: 'owner-1' }, 400, 'cap'],
  ['tier cap for a tier that does not exist', 'PUT', '/v1/settings/caps/tiers/gold', { body: { cap: '5.00' }, token: KEY, actor: 'owner-1' }, 400, 'params.tier'],
  ['member cap for an unknown member', 'PUT', '/v1/settings/caps/members/zed', { body: { cap: '5.00' }, token: KEY, actor: 'owner-1' }, 404, 'member'],
  ['extra usage switch not a boolean', 'PUT', '/v1/settings/extra-usage', { body: { enabled: 'yes' }, token: KEY, actor: 'owner-1' }, 400, 'enabled'],
  ['balance purchase on an enterprise org', 'POST', '/v1/settings/balance/purchases', { body: { amount: '5.00', idempotencyKey: 'k' }, token: KEY, actor: 'owner-1' }, 422, 'amount'],
  ['auto-reload on an enterprise org', 'PUT', '/v1/settings/auto-reload', { body: { enabled: true, threshold: '1.00', amount: '5.00' }, token: KEY, actor: 'owner-1' }, 422, 'autoReload'],
  ['provision without the operator token', 'PUT', '/v1/operator/orgs/new-org', { body: enterpriseDoc() }, 401, 'authorization'],
  ['provision with an API key', 'PUT', '/v1/operator/orgs/new-org', { body: enterpriseDoc(), token: KEY }, 401, 'authorization'],
  ['provision with a bad slug', 'PUT', '/v1/operator/orgs/Bad_Slug', { body: enterpriseDoc(), token: OPERATOR_TOKEN }, 400, 'params.slug'],
  ['provision with a bad timezone', 'PUT', '/v1/operator/orgs/new-org', { body: enterpriseDoc({ timezone: 'Mars/Olympus' }), token: OPERATOR_TOKEN }, 400, 'timezone'],
  ['provision with two primary owners', 'PUT', '/v1/operator/orgs/new-org', { body: enterpriseDoc({ members: [{ externalId: 'a', name: 'A', role: 'primary_owner', seatTier: 'standard' }, { externalId: 'b', name: 'B', role: 'primary_owner', seatTier: 'standard' }] }), token: OPERATOR_TOKEN }, 400, 'members'],
  ['provision with a duplicate member', 'PUT', '/v1/operator/orgs/new-org', { body: enterpriseDoc({ members: [{ externalId: 'a', name: 'A', role: 'primary_owner', seatTier: 'standard' }, { externalId: 'a', name: 'B', role: 'member', seatTier: 'standard' }] }), token: OPERATOR_TOKEN }, 400, 'members.1.externalId'],
  ['provision a team org with tier caps', 'PUT', '/v1/operator/orgs/new-org', { body: { ...enterpriseDoc(), plan: 'team' }, token: OPERATOR_TOKEN }, 400, 'extraUsage.tierCaps'],
  ['provision with an unknown role', 'PUT', '/v1/operator/orgs/new-org', { body: enterpriseDoc({ members: [{ externalId: 'a', name: 'A', role: 'king' as 'member', seatTier: 'standard' }] }), token: OPERATOR_TOKEN }, 400, 'members.0.role'],
  ['provision with a float allowance', 'PUT', '/v1/operator/orgs/new-org', { body: enterpriseDoc({ seatTiers: { standard: { includedAllowance: 1.5 as unknown as string, windowMinutes: 300 }, premium: { includedAllowance: '3.00', windowMinutes: 300 } } }), token: OPERATOR_TOKEN }, 400, 'seatTiers.standard.includedAllowance'],
  ['issue a key with an unknown scope', 'POST', '/v1/operator/orgs/acme/api-keys', { body: { name: 'x', scopes: ['root'] }, token: OPERATOR_TOKEN }, 400, 'scopes.0'],
  ['issue a key for an unknown org', 'POST', '/v1/operator/orgs/nope/api-keys', { body: { name: 'x' }, token: OPERATOR_TOKEN }, 404, 'slug'],
  ['revoke an unknown key', 'DELETE', '/v1/operator/orgs/acme/api-keys/nope', { token: OPERATOR_TOKEN }, 404, 'id'],
  ['price with too many decimals', 'POST', '/v1/operator/prices', { body: { model: 'm', effectiveFrom: '2027-01-01T00:00:00Z', perMillionTokens: { input: '1.0001', cacheWrite5m: '1', cacheWrite1h: '1', cacheRead: '1', output: '1' } }, token: OPERATOR_TOKEN }, 400, 'perMillionTokens.input'],
  ['malformed JSON', 'POST', '/v1/usage/record', { body: '{"requestId":', token: KEY }, 400],

  // Amounts the ledger could not hold (these were 500s): every amount field is bounded.
  ['org cap past BIGINT', 'PUT', '/v1/settings/caps/org', { body: { cap: PAST_BIGINT }, ...owner }, 400, 'cap'],
  ['org cap past the maximum', 'PUT', '/v1/settings/caps/org', { body: { cap: PAST_MAX }, ...owner }, 400, 'cap'],
  ['tier cap past BIGINT', 'PUT', '/v1/settings/caps/tiers/standard', { body: { cap: PAST_BIGINT }, ...owner }, 400, 'cap'],
  ['member cap past BIGINT', 'PUT', '/v1/settings/caps/members/alice', { body: { cap: PAST_BIGINT }, ...owner }, 400, 'cap'],
  ['purchase past BIGINT', 'POST', '/v1/settings/balance/purchases', { body: { amount: PAST_BIGINT, idempotencyKey: 'k1' }, ...teamOwner }, 400, 'amount'],
  ['purchase of zero', 'POST', '/v1/settings/balance/purchases', { body: { amount: '0.00', idempotencyKey: 'k2' }, ...teamOwner }, 400, 'amount'],
  ['purchase taking the balance past its maximum', 'POST', '/v1/settings/balance/purchases', { body: { amount: '0.01', idempotencyKey: 'k3' }, ...teamOwner }, 422, 'amount'],
  ['auto-reload threshold past BIGINT', 'PUT', '/v1/settings/auto-reload', { body: { enabled: true, threshold: PAST_BIGINT, amount: '5.00' }, ...teamOwner }, 400, 'threshold'],
  ['auto-reload amount past BIGINT', 'PUT', '/v1/settings/auto-reload', { body: { enabled: true, threshold: '1.00', amount: PAST_BIGINT }, ...teamOwner }, 400, 'amount'],
  ['request decision cap past BIGINT', 'POST', '/v1/requests/x/decision', { body: { decision: 'enable_extra_usage', cap: PAST_BIGINT }, ...owner }, 400, 'cap'],
  ['provision an org cap past BIGINT', 'PUT', '/v1/operator/orgs/new-org', { body: enterpriseDoc({ extraUsage: { enabled: true, orgMonthlyCap: PAST_BIGINT } }), token: OPERATOR_TOKEN }, 400, 'extraUsage.orgMonthlyCap'],
  ['provision an allowance past BIGINT', 'PUT', '/v1/operator/orgs/new-org', { body: enterpriseDoc({ seatTiers: { standard: { includedAllowance: PAST_BIGINT, windowMinutes: 300 }, premium: { includedAllowance: '3.00', windowMinutes: 300 } } }), token: OPERATOR_TOKEN }, 400, 'seatTiers.standard.includedAllowance'],
  ['provision a member cap past BIGINT', 'PUT', '/v1/operator/orgs/new-org', { body: enterpriseDoc({ members: [{ externalId: 'a', name: 'A', role: 'primary_owner', seatTier: 'standard', extraUsageCap: PAST_BIGINT }] }), token: OPERATOR_TOKEN }, 400, 'members.0.extraUsageCap'],
  ['provision a reload amount past BIGINT', 'PUT', '/v1/operator/orgs/new-team', { body: teamDoc({ autoReload: { enabled: true, threshold: '1.00', amount: PAST_BIGINT } }), token: OPERATOR_TOKEN }, 400, 'autoReload.amount'],
  ['price with a long-context tier past int4', 'POST', '/v1/operator/prices', { body: price({ longContextAboveTokens: 3e9 }), token: OPERATOR_TOKEN }, 400, 'longContextAboveTokens'],

  // NUL bytes PostgreSQL text cannot hold (these were 500s): refused in every string.
  ['record with NUL in requestId', 'POST', '/v1/usage/record', { body: { ...good, requestId: NUL }, token: KEY }, 400, 'requestId'],
  ['record with NUL in member', 'POST', '/v1/usage/record', { body: { ...good, member: NUL }, token: KEY }, 400, 'member'],
  ['record with NUL in model', 'POST', '/v1/usage/record', { body: { ...good, model: NUL }, token: KEY }, 400, 'model'],
  ['authorize with NUL in requestId', 'POST', '/v1/usage/authorize', { body: { member: 'alice', model: HAIKU, requestId: NUL }, token: KEY }, 400, 'requestId'],
  ['provision with NUL in the org name', 'PUT', '/v1/operator/orgs/new-org', { body: enterpriseDoc({ name: NUL }), token: OPERATOR_TOKEN }, 400, 'name'],
  ['provision with NUL in a Slack id', 'PUT', '/v1/operator/orgs/new-org', { body: enterpriseDoc({ members: [{ externalId: 'a', name: 'A', role: 'primary_owner', seatTier: 'standard', slackUserId: NUL }] }), token: OPERATOR_TOKEN }, 400, 'members.0.slackUserId'],
  ['issue a key with NUL in its name', 'POST', '/v1/operator/orgs/acme/api-keys', { body: { name: NUL }, token: OPERATOR_TOKEN }, 400, 'name'],
  ['price with NUL in the model', 'POST', '/v1/operator/prices', { body: price({ model: NUL }), token: OPERATOR_TOKEN }, 400, 'model'],
  ['purchase with NUL in the idempotency key', 'POST', '/v1/settings/balance/purchases', { body: { amount: '1.00', idempotencyKey: NUL }, ...teamOwner }, 400, 'idempotencyKey'],
  ['request with NUL in the note', 'POST', '/v1/requests', { body: { note: NUL }, ...owner }, 400, 'note'],
  ['NUL in a member path parameter', 'PUT', '/v1/settings/caps/members/a%00b', { body: { cap: '5.00' }, ...owner }, 400, 'params.member'],
  ['NUL in a key id path parameter', 'DELETE', '/v1/operator/orgs/acme/api-keys/a%00b', { token: OPERATOR_TOKEN }, 400, 'params.keyId'],
  ['NUL in a request id path parameter', 'POST', '/v1/requests/a%00b/decision', { body: { decision: 'deny' }, ...owner }, 400, 'params.requestId'],

  // Answers the document now describes.
  ['a member id past the documented 200 characters', 'PUT', `/v1/settings/caps/members/${'m'.repeat(201)}`, { body: { cap: '5.00' }, ...owner }, 400, 'params.member'],
  ['a path parameter past any valid length', 'PUT', `/v1/settings/caps/members/${'m'.repeat(2001)}`, { body: { cap: '5.00' }, ...owner }, 414, 'params'],
  ['an unknown nested field', 'POST', '/v1/operator/prices', { body: price({ perMillionTokens: { input: '1', cacheWrite5m: '1', cacheWrite1h: '1', cacheRead: '1', output: '1', batch: '1' } }), token: OPERATOR_TOKEN }, 400, 'perMillionTokens.batch'],
  ['record at an instant before the price book', 'POST', '/v1/usage/record', { body: { ...good, at: '2000-01-01T00:00:00Z' }, token: KEY }, 422, 'at'],
  ['authorize at an instant before the price book', 'POST', '/v1/usage/authorize', { body: { member: 'alice', model: HAIKU, at: '2000-01-01T00:00:00Z' }, token: KEY }, 422, 'at'],
  ['a text/plain body', 'POST', '/v1/usage/record', { body: JSON.stringify(good), contentType: 'text/plain', token: KEY }, 415, 'content-type'],
  ['a value nested 100,000 deep inside usage', 'POST', '/v1/usage/record', { body: DEEP, token: KEY }, 400, 'usage.deep'],
  ['a JSON null body', 'POST', '/v1/requests', { body: 'null', ...owner }, 400, 'body'],
];

describe.each(BACKENDS)('bad input on $kind', ({ open }) => {
  let scratch: Scratch;
  let h: Harness;
  let key: string;
  let usageOnlyKey: string;
  let teamKey: string;
  let spec: { paths: Record<string, Record<string, { responses: Record<string, unknown> }>>; components: { schemas: { Error: any } } };

  async function counts() {
    const db = scratch.db.prisma;
    const [events, spend, audit, outbox, orgs, members, balance, keys, prices] = await Promise.all([
      db.usageEvent.count(), db.monthlySpend.count(), db.auditEntry.count(), db.outboxEvent.count(), db.organization.count(), db.member.count(), db.balanceEntry.count(), db.apiKey.count(), db.priceEntry.count(),
    ]);
    const settings = await db.organization.findMany({ orderBy: { slug: 'asc' } });
    const memberRows = await db.member.findMany({ orderBy: { id: 'asc' } });
    return JSON.stringify({ events, spend, audit, outbox, orgs, members, balance, keys, prices, settings, memberRows }, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
  }

  beforeAll(async () => {
    scratch = await migrated(open);
    h = await harness(scratch.db.prisma);
    await h.provision('acme', enterpriseDoc());
    await h.provision('small', teamDoc());
    key = await h.issueKey('acme');
    usageOnlyKey = await h.issueKey('acme', ['usage']);
    teamKey = await h.issueKey('small');
    // The team balance at its maximum: two purchases of the largest amount.
    for (const k of ['max-1', 'max-2']) {
      const res = await h.call('POST', '/v1/settings/balance/purchases', { token: teamKey, actor: 'owner-1', body: { amount: '999999999.99', idempotencyKey: k } });
      expect(res.status).toBe(201);
    }
    spec = (await h.call('GET', '/openapi.json')).body;
  });
  afterAll(async () => {
    await h?.close();
    await scratch?.dispose();
  });

  const resolveToken = (t?: string) => (t === KEY ? key : t === USAGE_KEY ? usageOnlyKey : t === TEAM_KEY ? teamKey : t);

  /** The answer is one the published document lists for the operation, in the published Error shape. */
  function expectDocumented(method: string, url: string, status: number, body: any) {
    const template = Object.keys(spec.paths).find((p) => new RegExp(`^${p.replace(/\{\w+\}/g, '[^/]+')}$`).test(url.split('?')[0]!));
    expect(template, `${url} is in the document`).toBeDefined();
    expect(Object.keys(spec.paths[template!]![method.toLowerCase()]!.responses)).toContain(String(status));
    const published = spec.components.schemas.Error.properties.error.properties;
    expect(Object.keys(body.error).every((k) => k in published)).toBe(true);
    for (const issue of body.error.issues ?? []) expect(Object.keys(issue).sort()).toEqual(['field', 'message']);
  }

  it.each(cases())('%s is refused', async (_name, method, url, opts, status, field) => {
    const before = await counts();
    const contentType = opts.contentType ?? (typeof opts.body === 'string' ? 'application/json' : undefined);
    const res = await h.call(method, url, { ...opts, token: resolveToken(opts.token), headers: contentType ? { 'content-type': contentType } : undefined });
    expect(res.status).toBe(status);
    expect(res.body.error.message).toEqual(expect.any(String));
    if (field) expect(res.body.error.field).toBe(field);
    if (status === 400 && res.body.error.issues) expect(res.body.error.issues[0].field).toBe(res.body.error.field);
    if (url.startsWith('/v1/')) expectDocumented(method, url, status, res.body);
    expect(await counts()).toBe(before);
  });

  it('accepts the largest amount everywhere, and everything that reads it still answers', async () => {
    const max = '999999999.99';
    expect((await h.call('PUT', '/v1/settings/caps/org', { ...owner, token: key, body: { cap: max } })).status).toBe(200);
    expect((await h.call('PUT', '/v1/settings/caps/members/alice', { ...owner, token: key, body: { cap: max } })).status).toBe(200);
    expect((await h.call('PUT', '/v1/settings/auto-reload', { ...teamOwner, token: teamKey, body: { enabled: true, threshold: max, amount: max } })).status).toBe(200);
    const usage = await h.call('GET', '/v1/settings/usage', { ...owner, token: key });
    expect(usage.status).toBe(200);
    expect(JSON.stringify(usage.body)).toContain(max);
    expect((await h.call('GET', '/v1/settings/usage', { ...teamOwner, token: teamKey })).body).toMatchObject({ prepaid: { balance: '1999999999.98', autoReload: { threshold: max, amount: max } } });
    expect((await h.call('GET', '/v1/reports/seat-limits', { ...owner, token: key })).status).toBe(200);
  });

  it('lets two members swap chat ids in one document', async () => {
    const doc = (a: string, b: string) => teamDoc({
      members: [
        { externalId: 'owner-1', name: 'Olivia Owner', role: 'primary_owner', seatTier: 'standard', slackUserId: a },
        { externalId: 'alice', name: 'Alice', role: 'member', seatTier: 'standard', slackUserId: b },
      ],
    });
    await h.provision('swap', doc('U1', 'U2'));
    const res = await h.call('PUT', '/v1/operator/orgs/swap', { token: OPERATOR_TOKEN, body: doc('U2', 'U1') });
    expect(res.status).toBe(200);
    const rows = await scratch.db.prisma.member.findMany({ where: { org: { slug: 'swap' } }, orderBy: { externalId: 'asc' } });
    expect(rows.map((m) => [m.externalId, m.slackUserId])).toEqual([['alice', 'U1'], ['owner-1', 'U2']]);
  });

  it('refuses a Teams tenant that belongs to another organisation with a 409, changing nothing', async () => {
    const tenant = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';
    await h.provision('tenant-a', teamDoc({ teamsTenantId: tenant }));
    const before = await counts();
    const res = await h.call('PUT', '/v1/operator/orgs/tenant-b', { token: OPERATOR_TOKEN, body: teamDoc({ teamsTenantId: tenant }) });
    expect(res.status).toBe(409);
    expect(res.body.error.field).toBe('teamsTenantId');
    expect(await counts()).toBe(before);
  });

  it('answers an unknown route with a JSON 404, and a known path with another method with a 405 naming the ones it takes', async () => {
    const res = await h.call('GET', '/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    const wrong = await h.call('DELETE', '/v1/settings/usage', { token: key, actor: 'owner-1' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('GET, HEAD');
  });

  it('publishes what it checks: the answers each route gives and the rules JSON Schema can state', () => {
    expect(Object.keys(spec.paths['/v1/requests']!.post!.responses)).toEqual(expect.arrayContaining(['200', '202', '400', '409', '415', '422', '503']));
    expect(spec.components.schemas.Error.properties.error.properties.issues.type).toBe('array');
    const body = (path: string, method: string) => (spec.paths[path]![method] as any).requestBody.content['application/json'].schema;
    expect(body('/v1/operator/orgs/{slug}', 'put').properties.members).toMatchObject({ minContains: 1, maxContains: 1, contains: { properties: { role: { const: 'primary_owner' } } } });
    expect(body('/v1/operator/prices', 'post').properties.effectiveFrom.description).toMatch(/a minute/);
    const amount = new RegExp(body('/v1/settings/balance/purchases', 'post').properties.amount.pattern);
    expect(['0', '0.00', PAST_MAX, '12.50', '0.01', '999999999.99'].map((a) => amount.test(a))).toEqual([false, false, false, true, true, true]);
  });
});
