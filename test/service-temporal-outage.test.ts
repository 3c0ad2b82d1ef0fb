// Temporal stopped while the service runs (issue 25), for a full minute: records and authorizes go on, the
// outbox keeps what Temporal should start, GET /health names Temporal with since when,
// and when the same server is back the waiting work is delivered once: the alert the
// records crossed meanwhile reaches the log channel exactly once.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { startService } from '../src/service.js';
import { findTemporalCli } from '../src/temporal/cli.js';
import { startDevServer, type DevServer } from '../src/temporal/dev-server.js';
import { enterpriseDoc } from './support/fixtures.js';
import { migratedDataDir } from './support/data-dir.js';
import { freePort, until } from './support/outage.js';

const dirs: string[] = [];
const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('Temporal stopped while the service runs', () => {
  it('keeps recording and authorizing, shows it on /health, and delivers what waited once when it is back', async () => {
    const temporalDir = mkdtempSync(join(tmpdir(), 'eu-temporal-'));
    const dataDir = migratedDataDir('eu-outage-');
    dirs.push(temporalDir, dataDir);
    const cliPath = await findTemporalCli({ installIfMissing: true, log: () => {} });
    // Ports the system picks, not the default 7233 other files' services may take meanwhile:
    // the dev server is started again on the same port after the outage.
    let server: DevServer = await startDevServer({ cliPath, dataDir: temporalDir, port: await freePort(), uiPort: await freePort(), log: () => {} });
    closers.push(() => server.stop());
    const port = Number(server.address.split(':').at(-1));
    const lines: string[] = [];
    // Temporal's return noticed within 5 s (DEPENDENCY_RETRY_MAX_SECONDS), not the default minute.
    const service = await startService(loadConfig({ DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent', TEMPORAL_ADDRESS: server.address, DEPENDENCY_RETRY_MAX_SECONDS: '5' }), (l) => lines.push(l));
    closers.push(() => service.stop());
    const url = service.url;
    const op = { authorization: `Bearer ${service.operatorToken}`, 'content-type': 'application/json' };
    expect((await fetch(`${url}/v1/operator/orgs/acme`, { method: 'PUT', headers: op, body: JSON.stringify(enterpriseDoc({ extraUsage: { enabled: true, scope: 'all_members', orgMonthlyCap: '10.00' } })) })).status).toBe(201);
    const issued = await (await fetch(`${url}/v1/operator/orgs/acme/api-keys`, { method: 'POST', headers: op, body: JSON.stringify({ name: 'gw', scopes: ['usage'] }) })).json();
    const gw = { authorization: `Bearer ${issued.key}`, 'content-type': 'application/json' };

    await server.stop();
    const stoppedAt = Date.now();
    // Temporal is away for a full minute: the gateway's calls are answered throughout, and
    // each record is kept. Paced (two a second), not timed: the loop ends on the elapsed minute.
    const records: number[] = [];
    const authorizes: number[] = [];
    for (let i = 0; Date.now() - stoppedAt < 60_000 || i < 20; i++) {
      const paced = new Promise((r) => setTimeout(r, 500));
      records.push((await fetch(`${url}/v1/usage/record`, { method: 'POST', headers: gw, body: JSON.stringify({ requestId: `r-${i}`, member: 'alice', model: 'claude-haiku-4-5', usage: { input_tokens: 0, output_tokens: 200_000 } }) })).status);
      authorizes.push((await fetch(`${url}/v1/usage/authorize`, { method: 'POST', headers: gw, body: JSON.stringify({ member: 'bob', model: 'claude-haiku-4-5' }) })).status);
      await paced;
    }
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(60_000);
    expect(records.every((s) => s === 200)).toBe(true);
    expect(authorizes.every((s) => s === 200)).toBe(true);
    const down = await until('temporal on /health', async () => {
      const h = await (await fetch(`${url}/health`)).json();
      return h.dependencies.failing.find((f: { part: string }) => f.part === 'temporal') ? h : null;
    });
    expect(down.status).toBe('degraded');
    const waiting = await until('events waiting', async () => ((await (await fetch(`${url}/health`)).json()).outbox.failing > 0 ? true : null));
    expect(waiting).toBe(true);

    // The same server comes back (its state kept in its data folder).
    server = await startDevServer({ cliPath, dataDir: temporalDir, port, log: () => {} });
    await until('/health ok again', async () => {
      const h = await (await fetch(`${url}/health`)).json();
      return h.dependencies.failing.length === 0 && h.outbox.failing === 0 && h.status === 'ok';
    }, 120_000);
    // The cap alerts the records crossed reach the log channel, each once.
    const alerts = await until('the org cap alerts', async () => {
      const found = lines.filter((l) => l.startsWith('[notify] ') && l.includes(' for Acme: '));
      return found.length ? found : null;
    });
    expect(new Set(alerts).size, alerts.join('\n')).toBe(alerts.length);
    expect(lines.filter((l) => l.startsWith('temporal: unreachable'))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('temporal: reachable again'))).toHaveLength(1);
  }, 480_000); // a minute of outage on top of the start and the return, on a busy machine

  it('starts with TEMPORAL_ADDRESS unreachable, serves, and starts the worker and delivers what waited once Temporal answers', async () => {
    const temporalDir = mkdtempSync(join(tmpdir(), 'eu-temporal-'));
    const dataDir = migratedDataDir('eu-outage-');
    dirs.push(temporalDir, dataDir);
    const cliPath = await findTemporalCli({ installIfMissing: true, log: () => {} });
    // A port nothing answers on yet: the dev server is started there later.
    const port = await freePort();
    const lines: string[] = [];
    // Before: the start failed ("Failed to connect before the deadline"), and nothing served.
    // Tried for 1 s at start (TEMPORAL_CONNECT_TIMEOUT_SECONDS), then at most 5 s apart.
    const service = await startService(loadConfig({ DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent', TEMPORAL_ADDRESS: `127.0.0.1:${port}`, TEMPORAL_CONNECT_TIMEOUT_SECONDS: '1', DEPENDENCY_RETRY_MAX_SECONDS: '5' }), (l) => lines.push(l));
    closers.push(() => service.stop());
    const url = service.url;
    const health = await (await fetch(`${url}/health`)).json();
    expect(health.status).toBe('degraded');
    expect(health.dependencies.failing.map((f: { part: string }) => f.part)).toContain('temporal');
    const op = { authorization: `Bearer ${service.operatorToken}`, 'content-type': 'application/json' };
    expect((await fetch(`${url}/v1/operator/orgs/acme`, { method: 'PUT', headers: op, body: JSON.stringify(enterpriseDoc({ extraUsage: { enabled: true, scope: 'all_members', orgMonthlyCap: '10.00' } })) })).status).toBe(201);
    const issued = await (await fetch(`${url}/v1/operator/orgs/acme/api-keys`, { method: 'POST', headers: op, body: JSON.stringify({ name: 'gw', scopes: ['usage'] }) })).json();
    const gw = { authorization: `Bearer ${issued.key}`, 'content-type': 'application/json' };
    for (let i = 0; i < 20; i++) {
      expect((await fetch(`${url}/v1/usage/record`, { method: 'POST', headers: gw, body: JSON.stringify({ requestId: `s-${i}`, member: 'alice', model: 'claude-haiku-4-5', usage: { input_tokens: 0, output_tokens: 200_000 } }) })).status).toBe(200);
    }
    expect((await fetch(`${url}/v1/usage/authorize`, { method: 'POST', headers: gw, body: JSON.stringify({ member: 'bob', model: 'claude-haiku-4-5' }) })).status).toBe(200);

    const server = await startDevServer({ cliPath, dataDir: temporalDir, port, log: () => {} });
    closers.push(() => server.stop());
    await until('/health ok', async () => {
      const h = await (await fetch(`${url}/health`)).json();
      return h.status === 'ok' && h.dependencies.failing.length === 0 && h.outbox.failing === 0;
    }, 150_000);
    const alerts = await until('the cap alerts', async () => {
      const found = lines.filter((l) => l.startsWith('[notify] ') && l.includes(' for Acme: '));
      return found.length ? found : null;
    });
    expect(new Set(alerts).size, alerts.join('\n')).toBe(alerts.length);
    // The Schedules waited for Temporal too, and were ensured once it answered.
    await until('the schedules ensured', async () => lines.some((l) => l.startsWith('temporal: schedules ensured for 1 organisation(s)')));
    expect(lines.filter((l) => l.startsWith('temporal: unreachable'))).toHaveLength(1);
  }, 300_000);
});
