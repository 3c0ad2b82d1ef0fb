// A worker process sends to Slack without receiving (ROLE=worker builds the notifier
// with listen: false); a chat process receives. Same settings for both.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlackApp } from '../../bot/slack/app.js';
import type { Person, RequestView } from '../../src/notify/port.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { provision } from '../support/ledger.js';
import { startSlackApi, type SlackApiStandIn } from '../support/slack-api.js';
import { BOT_TOKEN, noRequests, SIGNING_SECRET, slackEnterpriseDoc, USERS } from '../support/slack-harness.js';

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

const reachable = (port: number) => new Promise<boolean>((resolve) => {
  const s = net.connect({ port, host: '127.0.0.1' });
  s.once('connect', () => { s.destroy(); resolve(true); });
  s.once('error', () => resolve(false));
});

let scratch: Scratch;
let api: SlackApiStandIn;
let orgId: string;
beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  orgId = (await provision(scratch.db.prisma, 'acme', slackEnterpriseDoc())).orgId;
  api = await startSlackApi();
}, 180_000);
afterAll(async () => {
  await api?.close();
  await scratch?.dispose();
});

const settings = (port: number) => ({
  SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_ORG_SLUG: 'acme', SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_PORT: port, SLACK_API_URL: api.apiUrl, HOST: '127.0.0.1', LOG_LEVEL: 'error',
}) as never;

describe('Slack by role', () => {
  it('listen: false (worker) sends notices and leaves the Slack port alone; the default (chat) listens', async () => {
    const port = await freePort();
    const sender = await startSlackApp({ config: settings(port), db: scratch.db.prisma, requests: noRequests(), log: () => {}, clientOptions: { retryConfig: { retries: 0 } }, listen: false });
    try {
      expect(sender!.url).toBeNull();
      expect(await reachable(port)).toBe(false);
      const admin: Person = { memberId: '00000000-0000-4000-8000-000000000901', externalId: 'admin-1', name: 'Adam Admin', role: 'admin', seatTier: 'standard', email: null, slackUserId: USERS.admin, teamsUserId: null };
      const request: RequestView = {
        requestId: '10000000-0000-4000-8000-000000000001', workflowId: 'wf-1', orgId, orgName: 'Acme', requester: { ...admin, memberId: '00000000-0000-4000-8000-000000000001', externalId: 'alice', name: 'Alice', role: 'member', slackUserId: USERS.alice },
        seatTier: 'standard', requestedAt: '2026-11-15T10:00:00.000Z', note: null, status: 'pending', decision: null, decisionCap: null, reason: null, decidedBy: null, decidedAt: null, previousDenial: null,
      };
      await sender!.notifier.requestOpened(request, [admin]);
      expect(api.of('chat.postMessage').filter((c) => JSON.stringify(c.args.blocks).includes(request.requestId))).toHaveLength(1);
    } finally {
      await sender?.stop();
    }
    const receiver = await startSlackApp({ config: settings(port), db: scratch.db.prisma, requests: noRequests(), log: () => {}, clientOptions: { retryConfig: { retries: 0 } } });
    try {
      expect(receiver!.url).toBe(`http://127.0.0.1:${port}`);
      expect(await reachable(port)).toBe(true);
    } finally {
      await receiver?.stop();
    }
  });
});
