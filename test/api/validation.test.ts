// Bad input on every endpoint gets a clear 4xx naming the field, and changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, harness, HAIKU, OPERATOR_TOKEN, usageOfCents, type Harness } from '../support/fixtures.js';

let scratch: Scratch;
let h: Harness;
let key: string;
let usageOnlyKey: string;

async function counts() {
  const db = scratch.db.prisma;
  const [events, spend, audit, outbox, orgs, members, balance] = await Promise.all([
    db.usageEvent.count(), db.monthlySpend.count(), db.auditEntry.count(), db.outboxEvent.count(), db.organization.count(), db.member.count(), db.balanceEntry.count(),
  ]);
  const settings = await db.organization.findMany({ orderBy: { slug: 'asc' } });
  const memberRows = await db.member.findMany({ orderBy: { id: 'asc' } });
  return JSON.stringify({ events, spend, audit, outbox, orgs, members, balance, settings, memberRows }, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
}

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  h = await harness(scratch.db.prisma);
  await h.provision('acme', enterpriseDoc());
  key = await h.issueKey('acme');
  usageOnlyKey = await h.issueKey('acme', ['usage']);
});
afterAll(async () => {
  await h?.close();
  await scratch?.dispose();
});

const good = { requestId: 'r1', member: 'alice', model: HAIKU, usage: usageOfCents(10) };

type Case = [name: string, method: string, url: string, opts: { body?: unknown; token?: string; actor?: string }, status: number, field?: string];

// Keys are issued in beforeAll, after the cases are listed: name them here, resolve them per call.
const KEY = '<settings+usage key>';
const USAGE_KEY = '<usage-only key>';
const resolveToken = (t?: string) => (t === KEY ? key : t === USAGE_KEY ? usageOnlyKey : t);

const cases = (): Case[] => [
  ['record without a key', 'POST', '/v1/usage/record', { body: good }, 401, 'authorization'],
  ['record with a bad key', 'POST', '/v1/usage/record', { body: good, token: 'eu_nope' }, 401, 'authorization'],
  ['record with the operator token', 'POST', '/v1/usage/record', { body: good, token: OPERATOR_TOKEN }, 401, 'authorization'],
  ['record missing requestId', 'POST', '/v1/usage/record', { body: { ...good, requestId: undefined }, token: KEY }, 400, 'requestId'],
  ['record missing usage', 'POST', '/v1/usage/record', { body: { ...good, usage: undefined }, token: KEY }, 400, 'usage'],
  ['record with negative tokens', 'POST', '/v1/usage/record', { body: { ...good, usage: { input_tokens: 5, output_tokens: -1 } }, token: KEY }, 400, 'usage.output_tokens'],
  ['record with fractional tokens', 'POST', '/v1/usage/record', { body: { ...good, usage: { input_tokens: 1.5, output_tokens: 1 } }, token: KEY }, 400, 'usage.input_tokens'],
  ['record with tokens as strings', 'POST', '/v1/usage/record', { body: { ...good, usage: { input_tokens: '5', output_tokens: 1 } }, token: KEY }, 400, 'usage.input_tokens'],
  ['record with a mismatched cache breakdown', 'POST', '/v1/usage/record', { body: { ...good, usage: { input_tokens: 1, output_tokens: 1, cache_creation_input_tokens: 10, cache_creation: { ephemeral_5m_input_tokens: 3, ephemeral_1h_input_tokens: 3 } } }, token: KEY }, 422, 'usage.cache_creation_input_tokens'],
  ['record for an unknown member', 'POST', '/v1/usage/record', { body: { ...good, member: 'nobody' }, token: KEY }, 404, 'member'],
  ['record for an unknown model', 'POST', '/v1/usage/record', { body: { ...good, model: 'gpt-9' }, token: KEY }, 422, 'model'],
  ['record with a bad timestamp', 'POST', '/v1/usage/record', { body: { ...good, at: 'yesterday' }, token: KEY }, 400, 'at'],
  ['record far in the future', 'POST', '/v1/usage/record', { body: { ...good, at: '2026-11-15T12:06:00Z' }, token: KEY }, 422, 'at'],
  ['record with an unknown field', 'POST', '/v1/usage/record', { body: { ...good, cost: '0.01' }, token: KEY }, 400, ''],
  ['authorize missing member', 'POST', '/v1/usage/authorize', { body: { model: HAIKU }, token: KEY }, 400, 'member'],
  ['authorize with a numeric model', 'POST', '/v1/usage/authorize', { body: { member: 'alice', model: 7 }, token: KEY }, 400, 'model'],
  ['authorize an unknown model', 'POST', '/v1/usage/authorize', { body: { member: 'alice', model: 'gpt-9' }, token: KEY }, 422, 'model'],
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
];

describe('bad input', () => {
  it.each(cases())('%s is refused', async (_name, method, url, opts, status, field) => {
    const before = await counts();
    const headers = typeof opts.body === 'string' ? { 'content-type': 'application/json' } : undefined;
    const res = await h.call(method, url, { ...opts, token: resolveToken(opts.token), headers });
    expect(res.status).toBe(status);
    expect(res.body.error.message).toEqual(expect.any(String));
    if (field) expect(res.body.error.field).toBe(field);
    expect(await counts()).toBe(before);
  });

  it('answers an unknown route with a JSON 404', async () => {
    const res = await h.call('GET', '/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});
