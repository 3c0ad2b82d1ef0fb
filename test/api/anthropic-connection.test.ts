// Connecting an org to its Anthropic organization over the operator API, against a
// stand-in of the Admin API driven by the real SDK: the key is checked with a read call,
// stored sealed (not in the row, the answer, the audit log or the request log), and a
// refused key, an unreachable Anthropic or a missing SECRETS_KEY store nothing.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientForOrg } from '../../src/anthropic/connection.js';
import { secretBox } from '../../src/secrets/secret-box.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, harness, OPERATOR_TOKEN, type Harness } from '../support/fixtures.js';
import { startAdminApi, type AdminApiStandIn } from '../support/anthropic-admin-api.js';

const KEY = 'sk-ant-admin01-connection-test-key-0123456789';
let scratch: Scratch;
let api: AdminApiStandIn;
let h: Harness;
let bare: Harness;
const logged: string[] = [];
const anthropic = () => ({ box: secretBox(randomBytesKey), baseUrl: api.url });
const randomBytesKey = randomBytes(32);

beforeAll(async () => {
  [scratch, api] = await Promise.all([migrated(scratchPglite), startAdminApi({ key: KEY })]);
  h = await harness(scratch.db.prisma, new Date(), { anthropic: anthropic(), logLevel: 'info', logStream: { write: (l: string) => void logged.push(l) } });
  bare = await harness(scratch.db.prisma, new Date());
  await h.provision('acme', enterpriseDoc());
});
afterAll(async () => {
  await h?.close();
  await bare?.close();
  await api?.close();
  await scratch?.dispose();
});

const url = '/v1/operator/orgs/acme/anthropic';

describe('connecting an org to Anthropic', () => {
  it('checks the key with a read call, stores it sealed, and never answers it', async () => {
    const db = scratch.db.prisma;
    expect((await h.call('GET', url, { token: OPERATOR_TOKEN })).body).toMatchObject({ connected: false });

    const res = await h.call('PUT', url, { token: OPERATOR_TOKEN, body: { adminApiKey: KEY } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ connected: true, anthropicOrganization: { id: 'org_standin', name: 'Acme on Claude' }, lastError: null });
    expect(JSON.stringify(res.body)).not.toContain(KEY);
    expect(api.calls.filter((c) => c.path === '/v1/organizations/me')).toHaveLength(1);

    const org = await db.organization.findUniqueOrThrow({ where: { slug: 'acme' } });
    const row = await db.anthropicConnection.findUniqueOrThrow({ where: { orgId: org.id } });
    expect(row.keyCiphertext).not.toContain(KEY);
    expect(row.keyCiphertext).toMatch(/^v1\./);
    // Our own code opens it for a call.
    const client = await clientForOrg(db, anthropic(), org.id);
    expect((await client!.organization.retrieve()).id).toBe('org_standin');

    const got = await h.call('GET', url, { token: OPERATOR_TOKEN });
    expect(got.body).toMatchObject({ connected: true });
    expect(JSON.stringify(got.body)).not.toContain(KEY);
    const audit = await db.auditEntry.findMany({ where: { orgId: org.id, action: 'anthropic.connected' } });
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit.map((a) => [a.actor, a.before, a.after]))).not.toContain(KEY);
    expect(logged.join('')).not.toContain(KEY);
    // The poll's schedule follows (the relay reads this event).
    expect(await db.outboxEvent.count({ where: { orgId: org.id, type: 'org_provisioned' } })).toBeGreaterThan(0);
  });

  it('refuses a key Anthropic refuses, naming the field, and keeps the one stored', async () => {
    const db = scratch.db.prisma;
    const before = await db.anthropicConnection.findFirstOrThrow();
    const res = await h.call('PUT', url, { token: OPERATOR_TOKEN, body: { adminApiKey: 'sk-ant-admin01-revoked-key-000000000000' } });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ field: 'adminApiKey' });
    expect(res.body.error.message).toMatch(/refused the Admin API key.*Nothing was stored/);
    expect((await db.anthropicConnection.findFirstOrThrow()).keyCiphertext).toBe(before.keyCiphertext);
  });

  it('says Anthropic is unreachable (5xx) and stores nothing; a bad body is a 400 naming the field', async () => {
    api.failNext(3, 503);
    const res = await h.call('PUT', url, { token: OPERATOR_TOKEN, body: { adminApiKey: KEY } });
    expect(res.status).toBe(503);
    expect(res.body.error.message).toMatch(/Nothing was stored/);
    const bad = await h.call('PUT', url, { token: OPERATOR_TOKEN, body: { adminApiKey: 'short' } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('adminApiKey');
  });

  it('without SECRETS_KEY nothing can be stored, and says so', async () => {
    const res = await bare.call('PUT', url, { token: OPERATOR_TOKEN, body: { adminApiKey: KEY } });
    expect(res.status).toBe(503);
    expect(res.body.error.message).toContain('SECRETS_KEY');
  });

  it('disconnects: the key is gone', async () => {
    const res = await h.call('DELETE', url, { token: OPERATOR_TOKEN });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ connected: false });
    expect(await scratch.db.prisma.anthropicConnection.count()).toBe(0);
    expect((await h.call('DELETE', url, { token: OPERATOR_TOKEN })).status).toBe(404);
  });
});
