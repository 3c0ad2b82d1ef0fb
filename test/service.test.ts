// What `npm start` does on a fresh machine: embedded PGlite in the data folder,
// migrations applied, a local Temporal dev server, the API on a port; and all of it
// still there after a restart.
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { startService } from '../src/service.js';
import { enterpriseDoc } from './support/fixtures.js';

const dataDir = mkdtempSync(join(tmpdir(), 'eu-service-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const quiet = () => {};

describe('the service on embedded defaults', () => {
  it('starts, serves, stops, and keeps its data across a restart', async () => {
    const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent' });
    const first = await startService(config, quiet);
    let token: string;
    try {
      const health = await (await fetch(`${first.url}/health`)).json();
      expect(health).toMatchObject({ status: 'ok', database: 'pglite', temporal: { address: first.temporal.address }, notices: { failing: [] } });
      expect(first.temporal.uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      token = first.operatorToken;
      expect(readFileSync(join(dataDir, 'operator-token'), 'utf8').trim()).toBe(token);
      const put = await fetch(`${first.url}/v1/operator/orgs/acme`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(enterpriseDoc({ extraUsage: { enabled: true, scope: 'selected_members' } })),
      });
      expect(put.status).toBe(201);
      // The worker runs beside the API: a member's request reaches the admins' list.
      const issued = await (await fetch(`${first.url}/v1/operator/orgs/acme/api-keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'chat', scopes: ['act_for_members', 'usage'] }),
      })).json();
      // Alice uses up her seat; she is not selected for extra usage, so she may ask.
      const recorded = await fetch(`${first.url}/v1/usage/record`, {
        method: 'POST',
        headers: { authorization: `Bearer ${issued.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ requestId: 'r-1', member: 'alice', model: 'claude-haiku-4-5', usage: { input_tokens: 0, output_tokens: 200_000 } }),
      });
      expect(recorded.status).toBe(200);
      const as = (actor: string) => ({ authorization: `Bearer ${issued.key}`, 'x-actor': actor, 'content-type': 'application/json' });
      const asked = await fetch(`${first.url}/v1/requests`, { method: 'POST', headers: as('alice'), body: '{}' });
      expect(asked.status).toBe(202);
      let pending: unknown[] = [];
      for (const until = Date.now() + 60_000; pending.length === 0 && Date.now() < until; ) {
        pending = (await (await fetch(`${first.url}/v1/requests?status=pending`, { headers: as('admin-1') })).json()).requests;
        if (pending.length === 0) await new Promise((r) => setTimeout(r, 100));
      }
      expect(pending).toHaveLength(1);
      const spec = await (await fetch(`${first.url}/openapi.json`)).json();
      expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/v1/usage/authorize', '/v1/usage/record', '/v1/operator/orgs/{slug}', '/v1/settings/caps/org']));
    } finally {
      await first.stop();
    }

    const second = await startService(config, quiet);
    try {
      expect(second.operatorToken).toBe(token!);
      const org = await fetch(`${second.url}/v1/operator/orgs/acme`, { headers: { authorization: `Bearer ${token!}` } });
      expect(org.status).toBe(200);
      expect((await org.json()).org.name).toBe('Acme');
    } finally {
      await second.stop();
    }
    // Two starts of the service with its own Temporal dev server: minutes on a busy machine.
  }, 300_000);

  it('refuses a bad configuration with a message naming the setting', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ OPERATOR_TOKEN: 'short' })).toThrow(/OPERATOR_TOKEN must be at least 16 characters/);
  });
});
