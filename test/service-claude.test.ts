// `npm start` with a connected org, wired as in production: SECRETS_KEY and
// ANTHROPIC_API_BASE (the Admin API stand-in, driven by the real SDK), the operator
// connects the org, the outbox relay brings its Schedules up to date, the Schedule's
// poll finds a member's pending increase request, and admins see it; when Anthropic
// stops answering, GET /health is degraded and names the org.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { startService } from '../src/service.js';
import { enterpriseDoc } from './support/fixtures.js';
import { startAdminApi } from './support/anthropic-admin-api.js';
import { migratedDataDir } from './support/data-dir.js';

const dataDir = migratedDataDir('eu-service-claude-');
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
const KEY = 'sk-ant-admin01-service-test-key-0123456789';

async function until<T>(what: () => Promise<T | null | undefined | false>, timeoutMs = 150_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await what();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('the service with a connected org', () => {
  it('polls the connected org on its Schedule: a pending request reaches the admins; a failing Anthropic degrades /health naming the org', async () => {
    const api = await startAdminApi({ key: KEY });
    const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent', SECRETS_KEY: randomBytes(32).toString('base64'), ANTHROPIC_API_BASE: api.url, ANTHROPIC_POLL_SECONDS: '10' });
    const service = await startService(config, () => {});
    try {
      const op = { authorization: `Bearer ${service.operatorToken}`, 'content-type': 'application/json' };
      const doc = enterpriseDoc();
      doc.members = doc.members.map((m) => ({ ...m, email: `${m.externalId}@acme.example` }));
      expect((await fetch(`${service.url}/v1/operator/orgs/acme`, { method: 'PUT', headers: op, body: JSON.stringify(doc) })).status).toBe(201);
      api.addUser({ id: 'user_admin', email: 'admin-1@acme.example', name: 'Adam Admin', role: 'admin' });
      api.addUser({ id: 'user_alice', email: 'alice@acme.example', name: 'Alice', role: 'user' });
      const asked = api.addRequest('user_alice', { period: 'monthly' });

      const connected = await fetch(`${service.url}/v1/operator/orgs/acme/anthropic`, { method: 'PUT', headers: op, body: JSON.stringify({ adminApiKey: KEY }) });
      expect(connected.status).toBe(200);
      expect(JSON.stringify(await connected.json())).not.toContain(KEY);

      const issued = await (await fetch(`${service.url}/v1/operator/orgs/acme/api-keys`, { method: 'POST', headers: op, body: JSON.stringify({ name: 'chat', scopes: ['act_for_members'] }) })).json();
      const asAdmin = { authorization: `Bearer ${issued.key}`, 'x-actor': 'admin-1' };
      // The Schedule's first poll (every 10 s) opens the request's workflow.
      const pending = await until(async () => {
        const list = (await (await fetch(`${service.url}/v1/requests?status=pending`, { headers: asAdmin })).json()).requests as { workflowId: string; anthropic?: { period: string } }[];
        return list.length ? list : null;
      });
      expect(pending).toEqual([expect.objectContaining({ workflowId: `request/acme/anthropic/${asked.id}`, anthropic: expect.objectContaining({ period: 'monthly' }) })]);
      expect((await (await fetch(`${service.url}/health`)).json()).anthropic).toEqual({ failing: [] });

      // Anthropic answers 503 to everything: the next poll fails and /health names the org.
      api.failNext(1_000_000, 503);
      const health = await until(async () => {
        const h = await (await fetch(`${service.url}/health`)).json();
        return h.anthropic.failing.length ? h : null;
      });
      expect(health).toMatchObject({ status: 'degraded', anthropic: { failing: [{ org: 'acme', error: expect.stringContaining('503') }] } });
    } finally {
      await service.stop();
      await api.close();
    }
  }, 300_000);
});
