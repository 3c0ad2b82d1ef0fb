// Degrade, don't die (issue 25), Teams: the bot's token for the Bot Connector comes from
// Microsoft Entra's token endpoint (MSAL inside botbuilder's CloudAdapter, bot/teams/sdk.ts).
// Here that endpoint is a local HTTPS stand-in (MICROSOFT_LOGIN_URL, its certificate trusted
// through NODE_EXTRA_CA_CERTS, so the service runs as its own process: `npm start`'s entry
// point). It goes away after a healthy start, or is not there at start: the service keeps
// serving, GET /health names `teams` with since when, one log line when it goes and one
// when it returns, and the admins' request card waiting meanwhile reaches the Bot Connector
// stand-in once each, signed with a token the endpoint issued. Entra refusing the secret
// (401 invalid_client) stops the start naming MICROSOFT_APP_PASSWORD, as Slack's invalid_auth
// names SLACK_BOT_TOKEN.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratedDataDir } from './support/data-dir.js';
import { selfSignedCertificate, startEntraStandIn, type Certificate, type EntraApp, type EntraStandIn } from './support/entra-token.js';
import { enterpriseDoc } from './support/fixtures.js';
import { freePort, until } from './support/outage.js';
import { personalConversationId, startConnector, type ConnectorCall, type ConnectorStandIn } from './support/teams-connector.js';
import { devServerEnv, suiteWorkflowBundle } from './support/temporal.js';

const MAIN = new URL('../src/main.ts', import.meta.url).pathname;
const ROOT = new URL('..', import.meta.url).pathname;
const APP: EntraApp = { tenantId: 'b3f5c0de-0000-4000-8000-00000000cafe', clientId: '6f1c0a52-1c8f-4a39-9a52-3b0e0f3c7d11', clientSecret: 'the-bot-client-secret' };
const OPERATOR_TOKEN = 'operator-token-teams-token-test';
const ADMINS = ['aad-owner', 'aad-admin'];

const root = mkdtempSync(join(tmpdir(), 'eu-teams-token-'));
let env: TestWorkflowEnvironment;
let certificate: Certificate;
const children: ChildProcess[] = [];
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  certificate = selfSignedCertificate(root);
  env = await devServerEnv();
}, 120_000);
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await env?.teardown();
  rmSync(root, { recursive: true, force: true });
});

interface ServiceProcess {
  /** The service's log lines (the `msg` of each JSON line), in order. */
  lines: string[];
  /** stdout and stderr as written. */
  output(): string;
  exited: Promise<number | null>;
  /** Its address once it listens; null when it exited first. */
  listening: Promise<string | null>;
  /** SIGTERM, and its exit awaited. */
  stop(): Promise<void>;
}

/**
 * `npm start`'s entry point with Teams configured (app id, secret, tenant), its own data
 * folder and task queue, serving the org named `name` (the services share one Temporal
 * server, and a request's workflow id is made of the org's slug and the member).
 */
function startServiceProcess(name: string, extra: Record<string, string>): ServiceProcess {
  const bundle = suiteWorkflowBundle();
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      DATA_DIR: migratedDataDir(`${name}-`, root), PORT: '0', LOG_FORMAT: 'json', LOG_LEVEL: 'info', OPERATOR_TOKEN,
      TEMPORAL_ADDRESS: env.address, TEMPORAL_TASK_QUEUE: `teams-token-${name}`,
      ...(bundle ? { WORKFLOW_BUNDLE: bundle } : {}),
      MICROSOFT_APP_ID: APP.clientId, MICROSOFT_APP_PASSWORD: APP.clientSecret, MICROSOFT_APP_TYPE: 'SingleTenant', MICROSOFT_APP_TENANT_ID: APP.tenantId,
      TEAMS_ORG_SLUG: name, TEAMS_PORT: '0',
      // The login endpoint's certificate, trusted as an operator trusts a corporate CA.
      NODE_EXTRA_CA_CERTS: certificate.certPath,
      ...extra,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const lines: string[] = [];
  let out = '';
  let pending = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d;
    pending += d;
    const complete = pending.split('\n');
    pending = complete.pop() ?? '';
    for (const l of complete) {
      try {
        lines.push(String((JSON.parse(l) as { msg?: unknown }).msg ?? l));
      } catch {
        lines.push(l);
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const listening = (async () => {
    for (;;) {
      const url = lines.map((l) => /listening on (\S+)/.exec(l)?.[1]).find(Boolean);
      if (url) return url;
      if (child.exitCode !== null || child.signalCode !== null) return null;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await exited;
  };
  closers.push(stop);
  return { lines, output: () => out, exited, listening, stop };
}

/** The API of a running service, as the Slack outage tests use it. */
function client(url: string, slug: string) {
  const op = { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' };
  let gw: Record<string, string> = {};
  const health = async () => (await fetch(`${url}/health`)).json();
  const teamsOutage = async () => ((await health()).dependencies.failing as { part: string; since: string; lastError: string }[]).find((f) => f.part === 'teams');
  return {
    health,
    teamsOutage,
    async provision() {
      const put = await fetch(`${url}/v1/operator/orgs/${slug}`, {
        method: 'PUT', headers: op,
        body: JSON.stringify(enterpriseDoc({
          extraUsage: { enabled: true, scope: 'selected_members' },
          members: [
            { externalId: 'owner-1', name: 'Olivia Owner', role: 'primary_owner', seatTier: 'premium', teamsUserId: 'aad-owner' },
            { externalId: 'admin-1', name: 'Adam Admin', role: 'admin', seatTier: 'standard', teamsUserId: 'aad-admin' },
            { externalId: 'alice', name: 'Alice', role: 'member', seatTier: 'standard' },
            { externalId: 'carol', name: 'Carol', role: 'member', seatTier: 'standard' },
          ],
        })),
      });
      expect(put.status).toBe(201);
      const issued = await (await fetch(`${url}/v1/operator/orgs/${slug}/api-keys`, { method: 'POST', headers: op, body: JSON.stringify({ name: 'gw', scopes: ['act_for_members', 'usage'] }) })).json();
      gw = { authorization: `Bearer ${issued.key}`, 'content-type': 'application/json' };
    },
    /** Alice, at her seat's limit, asks for extra usage: the admins' request card goes to Teams. */
    async ask() {
      expect((await fetch(`${url}/v1/usage/record`, { method: 'POST', headers: gw, body: JSON.stringify({ requestId: 'seat-alice', member: 'alice', model: 'claude-haiku-4-5', usage: { input_tokens: 0, output_tokens: 200_000 } }) })).status).toBe(200);
      expect((await fetch(`${url}/v1/requests`, { method: 'POST', headers: { ...gw, 'x-actor': 'alice' }, body: '{}' })).status).toBe(202);
    },
    /** Record, authorize and the console answer meanwhile. */
    async serving() {
      const rec = await fetch(`${url}/v1/usage/record`, { method: 'POST', headers: gw, body: JSON.stringify({ requestId: `r-${Math.random()}`, member: 'carol', model: 'claude-haiku-4-5', usage: { input_tokens: 0, output_tokens: 1_000 } }) });
      expect(rec.status).toBe(200);
      const auth = await fetch(`${url}/v1/usage/authorize`, { method: 'POST', headers: gw, body: JSON.stringify({ member: 'carol', model: 'claude-haiku-4-5' }) });
      expect(auth.status).toBe(200);
      expect((await fetch(`${url}/`)).status).toBeLessThan(500);
    },
    metrics: async () => (await fetch(`${url}/metrics`, { headers: op })).text(),
    /** Every notice recorded as sent: nothing left to retry. */
    settled: () => until('every notice recorded as sent', async () => {
      const h = await health();
      return h.notices.failing.length === 0 && h.outbox.failing === 0;
    }),
  };
}

/** The request cards about Alice sent to an admin's personal chat. */
const cardsTo = (connector: ConnectorStandIn, aadObjectId: string) =>
  connector.of('send', (c) => c.conversationId === personalConversationId(aadObjectId) && String(c.body?.summary ?? '').includes('Alice asks for more usage'));
/** The chats opened and the cards sent to the admins, each with the token it carried. */
const adminCalls = (connector: ConnectorStandIn) => connector.calls.filter((c) => (c.kind === 'create' || c.kind === 'send') && ADMINS.some((a) => c.conversationId === personalConversationId(a) || c.id === personalConversationId(a)));
const bearerOf = (c: ConnectorCall) => c.authorization?.replace(/^Bearer /, '') ?? null;

describe('the Teams token endpoint', () => {
  it('going away after a healthy start: serves on, /health names teams, and each admin\'s card arrives once when it is back', async () => {
    const connector = await startConnector();
    closers.push(() => connector.close());
    const entra = await startEntraStandIn(certificate, APP);
    const svc = startServiceProcess('after', { MICROSOFT_LOGIN_URL: entra.url, TEAMS_SERVICE_URL: connector.url });
    const url = await svc.listening;
    expect(url, svc.output()).toBeTruthy();
    const api = client(url!, 'after');
    // The start asked for a token and got one: teams is up.
    expect(entra.issued.length).toBeGreaterThan(0);
    expect(await api.teamsOutage()).toBeUndefined();
    expect(await api.metrics()).toMatch(/extra_usage_dependency_up\{part="teams"\} 1/);
    await api.provision();

    await entra.close();
    await api.ask();
    const down = await until('teams on /health', api.teamsOutage);
    expect((await api.health()).status).toBe('degraded');
    expect(Date.parse(down.since)).not.toBeNaN();
    expect(down.lastError).toContain(`${entra.url}/${APP.tenantId}`);
    await api.serving();
    expect(svc.lines.filter((l) => l.startsWith('teams: unreachable (network failure)')), svc.output()).toHaveLength(1);
    // No token, no call: the Bot Connector has heard nothing of the request.
    expect(adminCalls(connector)).toHaveLength(0);

    const back = await startEntraStandIn(certificate, APP, { port: entra.port });
    closers.push(() => back.close());
    await until('each admin\'s request card', async () => ADMINS.every((a) => cardsTo(connector, a).length > 0));
    await until('teams off /health', async () => !(await api.teamsOutage()));
    await api.settled();
    for (const a of ADMINS) expect(cardsTo(connector, a), a).toHaveLength(1);
    // Signed with tokens the endpoint issued once it was back.
    expect(adminCalls(connector).length).toBeGreaterThanOrEqual(4);
    for (const call of adminCalls(connector)) expect(back.issued).toContain(bearerOf(call));
    expect(svc.lines.filter((l) => l.startsWith('teams: reachable again')), svc.output()).toHaveLength(1);
    expect(svc.lines.filter((l) => l.startsWith('teams: unreachable'))).toHaveLength(1);
    await svc.stop();
  }, 300_000);

  it('unreachable at start: the service starts, degrades naming teams, and the card waiting meanwhile arrives once each when it answers', async () => {
    const connector = await startConnector();
    closers.push(() => connector.close());
    const port = await freePort();
    const svc = startServiceProcess('at-start', { MICROSOFT_LOGIN_URL: `https://127.0.0.1:${port}`, TEAMS_SERVICE_URL: connector.url });
    const url = await svc.listening;
    expect(url, svc.output()).toBeTruthy();
    const api = client(url!, 'at-start');
    const down = await until('teams on /health', api.teamsOutage);
    expect((await api.health()).status).toBe('degraded');
    expect(Date.parse(down.since)).not.toBeNaN();
    expect(down.lastError).toContain(`https://127.0.0.1:${port}/${APP.tenantId}`);
    expect(await api.metrics()).toMatch(/extra_usage_dependency_up\{part="teams"\} 0/);
    expect(svc.lines.filter((l) => l.startsWith('teams: unreachable (network failure)')), svc.output()).toHaveLength(1);
    await api.provision();
    await api.ask();
    await api.serving();

    const entra: EntraStandIn = await startEntraStandIn(certificate, APP, { port });
    closers.push(() => entra.close());
    await until('each admin\'s request card', async () => ADMINS.every((a) => cardsTo(connector, a).length > 0));
    await until('teams off /health', async () => !(await api.teamsOutage()));
    await api.settled();
    for (const a of ADMINS) expect(cardsTo(connector, a), a).toHaveLength(1);
    expect(adminCalls(connector).length).toBeGreaterThanOrEqual(4);
    for (const call of adminCalls(connector)) expect(entra.issued).toContain(bearerOf(call));
    expect(svc.lines.filter((l) => l.startsWith('teams: reachable again')), svc.output()).toHaveLength(1);
    expect(svc.lines.filter((l) => l.startsWith('teams: unreachable'))).toHaveLength(1);
    expect(svc.lines.join('\n')).not.toMatch(/Invalid configuration/);
    await svc.stop();
  }, 300_000);

  it('refusing the secret (401 invalid_client) stops the start, naming MICROSOFT_APP_PASSWORD', async () => {
    const entra = await startEntraStandIn(certificate, APP);
    closers.push(() => entra.close());
    const svc = startServiceProcess('refused', { MICROSOFT_LOGIN_URL: entra.url, MICROSOFT_APP_PASSWORD: 'an-old-client-secret' });
    expect(await svc.listening).toBeNull();
    expect(await svc.exited).toBe(1);
    expect(entra.refused).toBeGreaterThan(0);
    expect(entra.issued).toHaveLength(0);
    expect(svc.output()).toMatch(/MICROSOFT_APP_PASSWORD: Microsoft Entra refused the bot's token request \(https:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]+\): invalid_client: AADSTS7000215: Invalid client secret provided/);
  }, 300_000);
});
