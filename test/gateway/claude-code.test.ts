// The real Claude Code CLI through the built-in gateway (docs/gateway.md): a member's
// key and base URL, the Messages API stand-in upstream. What the member sees, and what
// the ledger keeps.
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import { openDatabase, type Database } from '../../src/db/client.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc, OPERATOR_TOKEN, usageOfCents } from '../support/fixtures.js';
import { runClaude } from './claude-code-cli.js';
import { CONSOLE_URL, gatewayOrg, startGateway, type GatewayUnderTest } from './support.js';

let scratch: Scratch;
let g: GatewayUnderTest;
beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  g = await startGateway(scratch.db.prisma);
});
afterAll(async () => {
  await g?.close();
  await scratch?.dispose();
});

describe('Claude Code through the gateway', () => {
  it('a prompt that makes two model requests (a tool call) records exactly two events, with the upstream\'s usage, for the key\'s member', async () => {
    const o = await gatewayOrg(g);
    const { key } = await o.keyFor('alice');
    g.standIn.plan({
      usage: { input_tokens: 1200, output_tokens: 80 },
      script: [{ toolUse: { name: 'Bash', input: { command: 'echo hello-from-the-tool', description: 'Say hello' } } }, { text: 'All done.' }],
    });
    const attempts = g.standIn.messageAttempts().length;
    const records = g.records.length;
    const run = await runClaude(g.gatewayUrl, key, 'Say hello with the shell', ['--allowedTools', 'Bash']);
    expect(run.result, run.stdout + run.stderr).toMatchObject({ is_error: false, result: 'All done.', num_turns: 2 });
    const calls = g.standIn.messageAttempts().slice(attempts);
    expect(calls).toHaveLength(2);
    // The tool ran, and its output went back to the model in the second request.
    expect(JSON.stringify(calls[1]!.body.messages)).toContain('hello-from-the-tool');
    // anthropic-beta and anthropic-version as Claude Code sent them.
    expect(calls[0]!.headers['anthropic-beta']).toMatch(/claude-code-/);
    expect(calls[0]!.headers['anthropic-version']).toBe('2023-06-01');
    await g.recorded(records + 2);
    const events = await o.events();
    expect(events).toHaveLength(2);
    const alice = await g.db.member.findFirstOrThrow({ where: { orgId: o.orgId, externalId: 'alice' } });
    for (const e of events) expect(e).toMatchObject({ memberId: alice.id, model: 'claude-haiku-4-5', inputTokens: 1200, outputTokens: 80, product: 'claude_code' });
  });

  it('a member at their cap sees the refusal in words, with the local reset time and the console link, and Claude Code stops', async () => {
    const o = await gatewayOrg(g, enterpriseDoc({ members: [
      { externalId: 'owner-1', name: 'Olivia Owner', role: 'primary_owner', seatTier: 'premium' },
      { externalId: 'dave', name: 'Dave', role: 'member', seatTier: 'standard', extraUsageCap: '1.00' },
    ] }));
    expect((await o.recordDirect('dave', usageOfCents(200))).status).toBe(200);
    const { key } = await o.keyFor('dave');
    const attempts = g.standIn.messageAttempts().length;
    const run = await runClaude(g.gatewayUrl, key, 'Hello');
    const said = run.stdout + run.stderr;
    expect(said).toContain('You reached your monthly extra usage limit ($1.00 of $1.00)');
    expect(said).toContain('1 Dec 2026, 00:00 (Europe/Paris)');
    expect(said).toContain(`${CONSOLE_URL}/me`);
    expect(run.result?.is_error).toBe(true);
    expect(g.standIn.messageAttempts().length).toBe(attempts);
  });

  it('a member who chose to stop at their seat\'s limit reads so, with the one step that lets them go on, and Claude Code stops', async () => {
    const o = await gatewayOrg(g, enterpriseDoc({ members: [
      { externalId: 'owner-1', name: 'Olivia Owner', role: 'primary_owner', seatTier: 'premium' },
      { externalId: 'erin', name: 'Erin', role: 'member', seatTier: 'standard', extraUsageCap: '50.00' },
    ] }));
    expect((await o.as('erin', 'PUT', '/v1/me/continue-on-extra-usage', { enabled: false })).status).toBe(200);
    // Her seat's included usage ($1.00 a window) used up.
    expect((await o.recordDirect('erin', usageOfCents(150))).status).toBe(200);
    const { key } = await o.keyFor('erin');
    const attempts = g.standIn.messageAttempts().length;
    const run = await runClaude(g.gatewayUrl, key, 'Hello');
    // What Claude Code prints as the result (its JSON output escapes the quotes).
    const said = String(run.result?.result ?? run.stdout + run.stderr);
    expect(said).toContain('API Error: Request rejected (429)');
    expect(said).toContain('you chose not to continue on extra usage');
    expect(said).toContain('To go on now, choose "Continue on extra usage"');
    expect(said).toContain(`${CONSOLE_URL}/me`);
    expect(run.result?.is_error).toBe(true);
    expect(g.standIn.messageAttempts().length).toBe(attempts);
  });

  it('a revoked key is refused as an invalid key, and nothing reaches the upstream', async () => {
    const o = await gatewayOrg(g);
    const made = await o.keyFor('alice');
    expect((await o.as('alice', 'DELETE', `/v1/gateway-keys/${made.id}`)).status).toBe(200);
    const attempts = g.standIn.requests.length;
    const run = await runClaude(g.gatewayUrl, made.key, 'Hello');
    expect(run.result?.is_error).toBe(true);
    // Claude Code words a 401 itself: "Invalid API key · Fix external API key".
    expect(run.result?.result).toMatch(/Invalid API key/);
    expect(g.standIn.requests.length).toBe(attempts);
    expect(await o.events()).toHaveLength(0);
  });

  describe('with the control plane\'s database unreachable', () => {
    let blackHole: Server;
    let database: Database;
    let url: string;
    let close: () => Promise<void>;
    const answered: { status: number; retry: unknown }[] = [];
    beforeAll(async () => {
      blackHole = createServer(() => {});
      await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', r));
      database = await openDatabase({ url: `postgresql://root@127.0.0.1:${(blackHole.address() as { port: number }).port}/none?connect_timeout=60` });
      const app = buildServer({ db: database.prisma, operatorToken: OPERATOR_TOKEN, now: () => new Date(), gateway: { upstreamUrl: g.standIn.url } });
      app.addHook('onResponse', async (request, reply) => {
        if (request.url.startsWith('/anthropic/v1/messages')) answered.push({ status: reply.statusCode, retry: reply.getHeader('x-should-retry') });
      });
      url = `${await app.listen({ host: '127.0.0.1', port: 0 })}/anthropic`;
      close = () => app.close();
    });
    afterAll(async () => {
      await close?.();
      blackHole?.close();
      await Promise.race([database?.close(), new Promise((r) => setTimeout(r, 100))]);
    });

    // Claude Code retries what it may (10 times, over minutes, before this gateway existed);
    // the gateway says not to, so the member is told at once. Counted, not timed: a busy
    // machine makes any time bound a guess.
    it('Claude Code stops at its first answer, saying extra-usage checks are unavailable', async () => {
      const run = await runClaude(url, 'eug_a-key-only-the-database-knows', 'Hello');
      expect(run.stdout + run.stderr).toContain('Extra-usage checks are unavailable');
      expect(answered.length).toBeGreaterThan(0);
      expect(answered.every((a) => a.status === 503 && a.retry === 'false'), JSON.stringify(answered)).toBe(true);
      // One model request for the prompt (its title request, if any, is the second): none retried.
      expect(answered.length, JSON.stringify(answered)).toBeLessThanOrEqual(2);
    });
  });
});
