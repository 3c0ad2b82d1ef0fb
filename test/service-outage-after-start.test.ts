// Degrade, don't die (issue 25), the other half: Slack's Web API and the SMTP server
// answering at start, then going away while the service runs. The same path as when
// they are unreachable at start (test/service-degrade.test.ts): the service keeps
// serving, GET /health names the part with since when, one log line when it goes and
// one when it returns, and the notice queued meanwhile is delivered once when the
// server is back on its port. Each stand-in is really stopped (its port refuses).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { startService, type RunningService } from '../src/service.js';
import { enterpriseDoc, teamDoc } from './support/fixtures.js';
import { startSlackApi, type SlackApiStandIn } from './support/slack-api.js';
import { startStripeStandIn, type StripeStandIn } from './support/stripe-api.js';
import { freePort, until, smtpServerOn, type Mail } from './support/outage.js';

const dirs: string[] = [];
const closers: (() => Promise<unknown>)[] = [];

/** Stops the SMTP server for good: its port refuses connections, open ones are cut. */
const stopSmtp = (s: SMTPServer) => new Promise<void>((resolve) => {
  s.close(() => resolve());
  // Pooled connections of the service would otherwise hold it open.
  for (const c of (s as unknown as { connections: Set<{ close(): void }> }).connections ?? []) c.close();
});

let service: RunningService;
let url: string;
let gw: Record<string, string>;
const lines: string[] = [];
let slackPort: number;
let smtpPort: number;
let slack: SlackApiStandIn;
let smtp: SMTPServer;
let stripe: StripeStandIn;
let owner: Record<string, string>;
const mails: Mail[] = [];

const health = async () => (await fetch(`${url}/health`)).json();
const failingParts = async () => (await health()).dependencies.failing.map((f: { part: string }) => f.part) as string[];
const ownerDms = (s: SlackApiStandIn) => s.of('chat.postMessage').filter((c) => c.args.channel === 'U_OWNER' || c.args.channel === 'D_U_OWNER');
/** A member asks for extra usage: the admins' notice goes to Slack (the owner) and by email (both admins). */
const ask = async (member: string) => {
  // At their seat's limit first: only then may they ask.
  expect((await fetch(`${url}/v1/usage/record`, { method: 'POST', headers: gw, body: JSON.stringify({ requestId: `seat-${member}`, member, model: 'claude-haiku-4-5', usage: { input_tokens: 0, output_tokens: 200_000 } }) })).status).toBe(200);
  expect((await fetch(`${url}/v1/requests`, { method: 'POST', headers: { ...gw, 'x-actor': member }, body: '{}' })).status).toBe(202);
};
const settled = () => until('every notice recorded as sent', async () => {
  const h = await health();
  return h.notices.failing.length === 0 && h.outbox.failing === 0;
});
const serving = async () => {
  const rec = await fetch(`${url}/v1/usage/record`, { method: 'POST', headers: gw, body: JSON.stringify({ requestId: `r-${Math.random()}`, member: 'carol', model: 'claude-haiku-4-5', usage: { input_tokens: 0, output_tokens: 1_000 } }) });
  expect(rec.status).toBe(200);
  const auth = await fetch(`${url}/v1/usage/authorize`, { method: 'POST', headers: gw, body: JSON.stringify({ member: 'carol', model: 'claude-haiku-4-5' }) });
  expect(auth.status).toBe(200);
  expect((await fetch(`${url}/`)).status).toBeLessThan(500);
};

beforeAll(async () => {
  slackPort = await freePort();
  smtpPort = await freePort();
  slack = await startSlackApi({ port: slackPort });
  smtp = await smtpServerOn(smtpPort, mails);
  stripe = await startStripeStandIn();
  const dataDir = mkdtempSync(join(tmpdir(), 'eu-outage-after-'));
  dirs.push(dataDir);
  service = await startService(loadConfig({
    DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent',
    SLACK_BOT_TOKEN: 'xoxb-1-2-3', SLACK_ORG_SLUG: 'acme', SLACK_SIGNING_SECRET: 'signing-secret', SLACK_PORT: '0',
    SLACK_API_URL: `http://127.0.0.1:${slackPort}/api/`,
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    PAYMENTS_PROVIDER: 'stripe', STRIPE_SECRET_KEY: stripe.secretKey, STRIPE_WEBHOOK_SECRET: stripe.webhookSecret, STRIPE_API_BASE: stripe.base, PUBLIC_URL: 'http://127.0.0.1:1',
  }), (l) => lines.push(l));
  closers.push(() => service.stop());
  url = service.url;
  const op = { authorization: `Bearer ${service.operatorToken}`, 'content-type': 'application/json' };
  const put = await fetch(`${url}/v1/operator/orgs/acme`, {
    method: 'PUT', headers: op,
    body: JSON.stringify(enterpriseDoc({
      extraUsage: { enabled: true, scope: 'selected_members' },
      members: [
        { externalId: 'owner-1', name: 'Olivia Owner', role: 'primary_owner', seatTier: 'premium', slackUserId: 'U_OWNER', email: 'olivia@acme.test' },
        { externalId: 'admin-1', name: 'Adam Admin', role: 'admin', seatTier: 'standard', email: 'adam@acme.test' },
        { externalId: 'alice', name: 'Alice', role: 'member', seatTier: 'standard' },
        { externalId: 'bob', name: 'Bob', role: 'member', seatTier: 'standard' },
        { externalId: 'carol', name: 'Carol', role: 'member', seatTier: 'standard' },
      ],
    })),
  });
  expect(put.status).toBe(201);
  const issued = await (await fetch(`${url}/v1/operator/orgs/acme/api-keys`, { method: 'POST', headers: op, body: JSON.stringify({ name: 'gw', scopes: ['act_for_members', 'usage'] }) })).json();
  gw = { authorization: `Bearer ${issued.key}`, 'content-type': 'application/json' };
  // A team org, whose owner buys balance through Stripe.
  expect((await fetch(`${url}/v1/operator/orgs/small`, { method: 'PUT', headers: op, body: JSON.stringify(teamDoc({ autoReload: { enabled: false } })) })).status).toBe(201);
  const smallKey = await (await fetch(`${url}/v1/operator/orgs/small/api-keys`, { method: 'POST', headers: op, body: JSON.stringify({ name: 'owner', scopes: ['act_for_members', 'usage'] }) })).json();
  owner = { authorization: `Bearer ${smallKey.key}`, 'content-type': 'application/json', 'x-actor': 'owner-1' };
  // A healthy start: both answered, nothing failing.
  await until('a healthy start', async () => (await failingParts()).length === 0 && (await health()).status !== 'degraded');
}, 300_000);
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await stripe?.close().catch(() => undefined);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('after a healthy start', () => {
  it('Slack going away: serves on, /health names slack, and the owner\'s notice arrives once when Slack is back', async () => {
    await stopSmtpNot();
    await slack.close();
    await ask('alice');
    const down = await until('slack on /health', async () => {
      const h = await health();
      return h.dependencies.failing.find((f: { part: string }) => f.part === 'slack') ? h : null;
    });
    expect(down.status).toBe('degraded');
    expect(Date.parse(down.dependencies.failing.find((f: { part: string }) => f.part === 'slack').since)).not.toBeNaN();
    await serving();
    expect(lines.filter((l) => l.startsWith('slack: unreachable (network failure)'))).toHaveLength(1);

    const back = await startSlackApi({ port: slackPort });
    closers.push(() => back.close());
    await until('the owner\'s Slack notice', async () => ownerDms(back).length > 0);
    await until('slack off /health', async () => !(await failingParts()).includes('slack'));
    await settled();
    expect(ownerDms(back)).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('slack: reachable again'))).toHaveLength(1);
    slack = back;
  }, 300_000);

  it('the SMTP server going away: serves on, /health names smtp, and each admin\'s email arrives once when it is back', async () => {
    const sentBefore = mails.length;
    await stopSmtp(smtp);
    await ask('bob');
    await until('smtp on /health', async () => (await failingParts()).includes('smtp'));
    expect((await health()).status).toBe('degraded');
    await serving();
    expect(lines.filter((l) => l.startsWith('smtp: unreachable'))).toHaveLength(1);

    smtp = await smtpServerOn(smtpPort, mails);
    closers.push(() => stopSmtp(smtp));
    const bobs = () => mails.slice(sentBefore).filter((m) => m.mail.text?.includes('Bob'));
    await until('both admins\' emails about Bob', async () => {
      const to = bobs().flatMap((m) => m.to);
      return to.includes('olivia@acme.test') && to.includes('adam@acme.test');
    });
    await until('smtp off /health', async () => !(await failingParts()).includes('smtp'));
    await settled();
    const to = bobs().flatMap((m) => m.to);
    expect(to.filter((a) => a === 'olivia@acme.test')).toHaveLength(1);
    expect(to.filter((a) => a === 'adam@acme.test')).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('smtp: reachable again'))).toHaveLength(1);
  }, 300_000);
});

describe('after a healthy start, Stripe', () => {
  it('going away: serves on, a purchase is refused (503, nothing charged) and names stripe on /health; when it is back the retry counts once', async () => {
    const buy = () => fetch(`${url}/v1/settings/balance/purchases`, { method: 'POST', headers: owner, body: JSON.stringify({ amount: '20.00', idempotencyKey: 'buy-after-outage' }) });
    const again = { port: Number(new URL(stripe.base).port), secretKey: stripe.secretKey, webhookSecret: stripe.webhookSecret };
    await stripe.close();
    const refused = await buy();
    expect(refused.status).toBe(503);
    await until('stripe on /health', async () => (await failingParts()).includes('stripe'));
    expect((await health()).status).toBe('degraded');
    await serving();
    expect(lines.filter((l) => l.startsWith('stripe: unreachable (network failure)'))).toHaveLength(1);

    const back = await startStripeStandIn(again);
    closers.push(() => back.close());
    // The start's check, retried with back-off, finds it again.
    await until('stripe off /health', async () => !(await failingParts()).includes('stripe'));
    expect(lines.filter((l) => l.startsWith('stripe: reachable again'))).toHaveLength(1);
    const paid = await buy();
    expect(paid.status).toBe(202);
    expect((await paid.json()).checkoutUrl).toMatch(/^https?:\/\//);
    expect((await buy()).headers.get('idempotent-replayed')).toBe('true');
    expect(back.sessions.size).toBe(1);
  }, 300_000);
});

/** The SMTP server stays up while Slack is away (only one part goes at a time). */
async function stopSmtpNot() {
  expect(await failingParts()).toEqual([]);
}
