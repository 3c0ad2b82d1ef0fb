// The gateway's failure policy with the control plane's database going away under it
// (the real PostgreSQL server behind a TCP relay the test cuts and restores): an org
// left on the default is refused at once (503, no retry); an org the operator set to
// fail open has its members' requests forwarded unchecked, each recorded once when the
// database is back (nothing lost, nothing counted twice) and audited; meanwhile their
// usage waits in the usage spool on disk, shown on /metrics and /health.
// (The process killed meanwhile: fail-open-restart.test.ts.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client.js';
import { recordBatcherOf } from '../../src/ledger/metering/record-batch.js';
import { migrated, postgresOpener, type Scratch } from '../support/databases.js';
import { HAIKU, OPERATOR_TOKEN } from '../support/fixtures.js';
import { relayTo, type TcpRelay } from '../support/tcp-relay.js';
import { gatewayOrg, startGateway, type GatewayUnderTest } from './support.js';

let scratch: Scratch;
let relay: TcpRelay;
let spoolDir: string;
let database: Database;
let g: GatewayUnderTest;
beforeAll(async () => {
  scratch = await migrated(postgresOpener());
  relay = await relayTo(new URL(scratch.url!));
  database = await openDatabase({ url: relay.url, poolSize: 4 });
  spoolDir = mkdtempSync(join(tmpdir(), 'eu-gateway-spool-'));
  g = await startGateway(database.prisma, { spoolDir });
});
afterAll(async () => {
  relay?.restore();
  // Record batches tried while the database was cut fell back, as they must: not a fault of group commit.
  if (database) recordBatcherOf(database.prisma).stats.fallbacks = 0;
  await g?.close();
  await database?.close();
  await relay?.close();
  await scratch?.dispose();
  if (spoolDir) rmSync(spoolDir, { recursive: true, force: true });
});

const hello = { model: HAIKU, max_tokens: 256, messages: [{ role: 'user' as const, content: 'Hello' }] };
const send = (key: string) => fetch(`${g.gatewayUrl}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': key }, body: JSON.stringify(hello) });

describe('the ledger unreachable', () => {
  it('refuses an org on the default policy at once, and forwards an org that fails open, recording each of its requests once when the ledger is back', async () => {
    const open = await gatewayOrg(g);
    const closed = await gatewayOrg(g);
    // The operator's setting, audited; the default is to refuse.
    expect((await g.h.call('GET', `/v1/operator/orgs/${open.slug}/gateway/failure-policy`, { token: OPERATOR_TOKEN })).body).toEqual({ whenLedgerUnreachable: 'refuse' });
    const set = await g.h.call('PUT', `/v1/operator/orgs/${open.slug}/gateway/failure-policy`, { token: OPERATOR_TOKEN, body: { whenLedgerUnreachable: 'forward' } });
    expect(set).toMatchObject({ status: 200, body: { whenLedgerUnreachable: 'forward' } });
    const bad = await g.h.call('PUT', `/v1/operator/orgs/${open.slug}/gateway/failure-policy`, { token: OPERATOR_TOKEN, body: { whenLedgerUnreachable: 'sometimes' } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('whenLedgerUnreachable');
    const direct = scratch.db.prisma;
    expect((await direct.auditEntry.findMany({ where: { orgId: open.orgId, action: 'gateway.failure_policy.set' } })).map((a) => [a.actor, a.before, a.after]))
      .toEqual([['operator', { whenLedgerUnreachable: 'refuse' }, { whenLedgerUnreachable: 'forward' }]]);

    const openKey = (await open.keyFor('alice')).key;
    const closedKey = (await closed.keyFor('alice')).key;
    // Both keys used once while all is well (the gateway knows them and their orgs' upstream keys).
    g.standIn.plan({ usage: { input_tokens: 100, output_tokens: 10 }, text: 'Up.' });
    const before = g.records.length;
    expect((await send(openKey)).status).toBe(200);
    expect((await send(closedKey)).status).toBe(200);
    await g.recorded(before + 2);

    relay.cut();
    // The default: refused at once, nothing forwarded, Claude Code told not to retry.
    const calls = g.standIn.requests.length;
    const refused = await send(closedKey);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('x-should-retry')).toBe('false');
    expect((await refused.json()).error.message).toMatch(/Extra-usage checks are unavailable/);
    expect(g.standIn.requests.length).toBe(calls);

    // Failing open: answered by the upstream, with the SDK as a member's client would.
    g.standIn.plan({ usage: { input_tokens: 1200, output_tokens: 340 }, text: 'Still here.' });
    const client = new Anthropic({ apiKey: openKey, baseURL: g.gatewayUrl, maxRetries: 0 });
    const first = await client.messages.create(hello);
    const second = await client.messages.create(hello);
    expect([first.content, second.content]).toEqual([[{ type: 'text', text: 'Still here.' }], [{ type: 'text', text: 'Still here.' }]]);
    // Nothing is in the ledger yet (read past the relay).
    const during = await direct.usageEvent.findMany({ where: { orgId: open.orgId } });
    expect(during).toHaveLength(1);
    const written = g.records.length;
    // Waiting on disk for the ledger, as the operator's metrics show.
    const metrics = await g.h.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } });
    expect(metrics.body).toMatch(/^extra_usage_gateway_waiting_records 2$/m);

    relay.restore();
    // Each request forwarded unchecked is recorded once the ledger answers again.
    await vi.waitFor(async () => {
      expect(await direct.usageEvent.count({ where: { orgId: open.orgId } })).toBe(3);
    }, { timeout: 60_000, interval: 100 });
    await g.recorded(written + 2);
    expect(g.records.slice(written).every((r) => r.ok)).toBe(true);
    const events = await direct.usageEvent.findMany({ where: { orgId: open.orgId }, orderBy: { createdAt: 'asc' } });
    const alice = await direct.member.findFirstOrThrow({ where: { orgId: open.orgId, externalId: 'alice' } });
    expect(events.slice(1).map((e) => [e.memberId, e.inputTokens, e.outputTokens])).toEqual([[alice.id, 1200, 340], [alice.id, 1200, 340]]);
    expect(new Set(events.map((e) => e.requestId)).size).toBe(3);
    // Audited, one entry per request passed unchecked, naming it.
    const audited = await direct.auditEntry.findMany({ where: { orgId: open.orgId, action: 'gateway.failed_open' } });
    expect(audited.map((a) => (a.after as { requestId: string }).requestId).sort()).toEqual(events.slice(1).map((e) => e.requestId).sort());
    // Nothing waits any more.
    const health = await g.h.call('GET', '/health');
    expect(health.body.gateway).toEqual({ waitingRecords: 0, since: null, refusedRecords: 0 });
    // The org on the default policy: nothing forwarded, nothing recorded for the refusal.
    expect(await direct.usageEvent.count({ where: { orgId: closed.orgId } })).toBe(1);
    expect(await direct.auditEntry.count({ where: { orgId: closed.orgId, action: 'gateway.failed_open' } })).toBe(0);
  });
});
