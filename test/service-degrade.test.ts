// Degrade, don't die (issue 25): Slack's Web API and the SMTP server unreachable when
// the service starts. It starts anyway, serves authorize, record and the console, names
// both on GET /health and /metrics; when they come up (on the very ports it was given)
// the notice queued meanwhile arrives once on each. A refusal (Slack invalid_auth, a
// wrong Stripe key) still stops the start, naming the setting.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { startService, type RunningService } from '../src/service.js';
import { enterpriseDoc } from './support/fixtures.js';
import { startSlackApi, type SlackApiStandIn } from './support/slack-api.js';
import { startStripeStandIn } from './support/stripe-api.js';
import { migratedDataDir } from './support/data-dir.js';
import { freePort, until, smtpServerOn } from './support/outage.js';

// Each test starts the whole service (PGlite, migrations, a Temporal dev server):
// minutes on a busy machine, hence its own bound.

const dirs: string[] = [];
const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const dataDir = () => {
  const d = migratedDataDir('eu-degrade-');
  dirs.push(d);
  return d;
};

describe('Slack and SMTP unreachable at start', () => {
  it('starts, serves, shows them on /health, and delivers the queued notice once each when they are back', async () => {
    const slackPort = await freePort();
    const smtpPort = await freePort();
    const lines: string[] = [];
    const config = loadConfig({
      DATA_DIR: dataDir(), PORT: '0', LOG_LEVEL: 'silent',
      SLACK_BOT_TOKEN: 'xoxb-1-2-3', SLACK_ORG_SLUG: 'acme', SLACK_SIGNING_SECRET: 'signing-secret', SLACK_PORT: '0',
      SLACK_API_URL: `http://127.0.0.1:${slackPort}/api/`,
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    });
    // Before: "Slack refused SLACK_BOT_TOKEN (auth.test): … fetch failed", and no service.
    const service: RunningService = await startService(config, (l) => lines.push(l));
    closers.push(() => service.stop());
    const url = service.url;
    const op = { authorization: `Bearer ${service.operatorToken}`, 'content-type': 'application/json' };

    const health = await until('slack and smtp on /health', async () => {
      const h = await (await fetch(`${url}/health`)).json();
      const parts = h.dependencies.failing.map((f: { part: string }) => f.part);
      return parts.includes('slack') && parts.includes('smtp') ? h : null;
    });
    expect(health.status).toBe('degraded');
    for (const f of health.dependencies.failing) expect(Date.parse(f.since)).not.toBeNaN();
    const slackDown = lines.filter((l) => l.startsWith('slack: unreachable (network failure)'));
    expect(slackDown).toHaveLength(1);
    expect(lines.join('\n')).not.toMatch(/refused SLACK_BOT_TOKEN/);
    const metrics = await (await fetch(`${url}/metrics`, { headers: op })).text();
    expect(metrics).toMatch(/extra_usage_dependency_up\{part="slack"\} 0/);

    // The ledger API and the console answer meanwhile.
    const put = await fetch(`${url}/v1/operator/orgs/acme`, {
      method: 'PUT', headers: op,
      body: JSON.stringify(enterpriseDoc({
        extraUsage: { enabled: true, scope: 'selected_members' },
        members: [
          { externalId: 'owner-1', name: 'Olivia Owner', role: 'primary_owner', seatTier: 'premium', slackUserId: 'U_OWNER', email: 'olivia@acme.test' },
          { externalId: 'admin-1', name: 'Adam Admin', role: 'admin', seatTier: 'standard', email: 'adam@acme.test' },
          { externalId: 'alice', name: 'Alice', role: 'member', seatTier: 'standard' },
        ],
      })),
    });
    expect(put.status).toBe(201);
    const issued = await (await fetch(`${url}/v1/operator/orgs/acme/api-keys`, { method: 'POST', headers: op, body: JSON.stringify({ name: 'gw', scopes: ['act_for_members', 'usage'] }) })).json();
    const gw = { authorization: `Bearer ${issued.key}`, 'content-type': 'application/json' };
    const recorded = await fetch(`${url}/v1/usage/record`, { method: 'POST', headers: gw, body: JSON.stringify({ requestId: 'r-1', member: 'alice', model: 'claude-haiku-4-5', usage: { input_tokens: 0, output_tokens: 200_000 } }) });
    expect(recorded.status).toBe(200);
    const authorizeAlice = await fetch(`${url}/v1/usage/authorize`, { method: 'POST', headers: gw, body: JSON.stringify({ member: 'alice', model: 'claude-haiku-4-5' }) });
    expect(authorizeAlice.status).toBe(200);
    expect((await fetch(`${url}/`)).status).toBeLessThan(500);
    // Alice asks for more: the admins' notice cannot reach Slack or SMTP yet.
    const asked = await fetch(`${url}/v1/requests`, { method: 'POST', headers: { ...gw, 'x-actor': 'alice' }, body: '{}' });
    expect(asked.status).toBe(202);

    // Both come up where the service was told they are.
    const slack: SlackApiStandIn = await startSlackApi({ port: slackPort });
    closers.push(() => slack.close());
    const mails: { to: string[]; mail: ParsedMail }[] = [];
    const smtp = await smtpServerOn(smtpPort, mails);
    closers.push(() => new Promise<void>((resolve) => smtp.close(() => resolve())));

    await until('/health ok again', async () => {
      const h = await (await fetch(`${url}/health`)).json();
      return h.dependencies.failing.length === 0 && h.status !== 'degraded';
    }, 90_000);
    const dms = await until('the owner\'s Slack notice', async () => {
      const sent = slack.of('chat.postMessage').filter((c) => c.args.channel === 'U_OWNER' || c.args.channel === 'D_U_OWNER');
      return sent.length ? sent : null;
    }, 90_000);
    const emailed = await until('both admins\' emails', async () => {
      const to = mails.flatMap((m) => m.to);
      return to.includes('olivia@acme.test') && to.includes('adam@acme.test') ? to : null;
    }, 90_000);
    // Once each: wait for the request workflow to have settled its sends, then count.
    await until('the notice recorded as sent on every channel', async () => {
      const h = await (await fetch(`${url}/health`)).json();
      return h.notices.failing.length === 0 && h.outbox.failing === 0;
    });
    expect(dms).toHaveLength(1);
    expect(slack.of('chat.postMessage').filter((c) => c.args.channel === 'U_OWNER' || c.args.channel === 'D_U_OWNER')).toHaveLength(1);
    expect(emailed.filter((a) => a === 'olivia@acme.test')).toHaveLength(1);
    expect(mails.flatMap((m) => m.to).filter((a) => a === 'adam@acme.test')).toHaveLength(1);
    // One line when each went, one when each came back.
    const log = lines.join('\n');
    expect(lines.filter((l) => l.startsWith('slack: reachable again')), log).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('smtp: reachable again')), log).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('smtp: unreachable')), log).toHaveLength(1);
  }, 300_000);
});

describe('a refusal still stops the start, naming the setting', () => {
  it('Slack invalid_auth names SLACK_BOT_TOKEN', async () => {
    const slack = await startSlackApi();
    closers.push(() => slack.close());
    slack.failNext('auth.test', 'invalid_auth');
    const config = loadConfig({ DATA_DIR: dataDir(), PORT: '0', LOG_LEVEL: 'silent', SLACK_BOT_TOKEN: 'xoxb-wrong', SLACK_ORG_SLUG: 'acme', SLACK_SIGNING_SECRET: 's', SLACK_PORT: '0', SLACK_API_URL: slack.apiUrl });
    await expect(startService(config, () => {})).rejects.toThrow(/SLACK_BOT_TOKEN: Slack refused it \(auth\.test\):.*invalid_auth/);
  }, 300_000);

  it('a wrong Stripe key names STRIPE_SECRET_KEY; Stripe unreachable does not stop the start', async () => {
    const stripe = await startStripeStandIn();
    closers.push(() => stripe.close());
    const stripeConfig = (key: string, base: string) => loadConfig({ DATA_DIR: dataDir(), PORT: '0', LOG_LEVEL: 'silent', PAYMENTS_PROVIDER: 'stripe', STRIPE_SECRET_KEY: key, STRIPE_WEBHOOK_SECRET: stripe.webhookSecret, PUBLIC_URL: 'http://127.0.0.1:1', STRIPE_API_BASE: base });
    await expect(startService(stripeConfig('sk_test_wrong', stripe.base), () => {})).rejects.toThrow(/STRIPE_SECRET_KEY: Stripe refused it/);

    const down = await freePort();
    const service = await startService(stripeConfig(stripe.secretKey, `http://127.0.0.1:${down}`), () => {});
    closers.push(() => service.stop());
    const h = await (await fetch(`${service.url}/health`)).json();
    expect(h.status).toBe('degraded');
    expect(h.dependencies.failing.map((f: { part: string }) => f.part)).toContain('stripe');
  }, 300_000);
});
