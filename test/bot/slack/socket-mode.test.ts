// Socket Mode (SLACK_APP_TOKEN): no public URL; the real Bolt SocketModeReceiver
// asks apps.connections.open (the Web API stand-in) for a WebSocket URL, connects to
// the Socket Mode stand-in, and answers a /usage envelope with an ack, then the
// member's usage.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlackApp, type RunningSlackApp } from '../../../bot/slack/app.js';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import { provision } from '../../support/ledger.js';
import { startSlackApi, type SlackApiStandIn } from '../../support/slack-api.js';
import { BOT_TOKEN, noRequests, slackEnterpriseDoc, USERS } from '../../support/slack-harness.js';
import { startSlackSocket, type SocketStandIn } from '../../support/slack-socket.js';

let scratch: Scratch;
let api: SlackApiStandIn;
let socket: SocketStandIn;
let slack: RunningSlackApp;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  await provision(scratch.db.prisma, 'acme', slackEnterpriseDoc());
  api = await startSlackApi();
  socket = await startSlackSocket();
  api.socketUrl = socket.url;
  slack = (await startSlackApp({
    config: { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_ORG_SLUG: 'acme', SLACK_APP_TOKEN: 'xapp-test-app-token', SLACK_PORT: 0, SLACK_API_URL: api.apiUrl, LOG_LEVEL: 'silent' } as never,
    db: scratch.db.prisma,
    requests: noRequests(),
    log: () => {},
    clientOptions: { retryConfig: { retries: 0 } },
  }))!;
});
afterAll(async () => {
  expect(api?.problems).toEqual([]);
  await slack?.stop();
  await socket?.close();
  await api?.close();
  await scratch?.dispose();
});

describe('Socket Mode', () => {
  it('connects with the app token and answers /usage over the socket', async () => {
    await socket.connected();
    expect(slack.url).toBeNull();
    const [open] = api.of('apps.connections.open');
    expect(open!.token).toBe('xapp-test-app-token');
    const responseUrl = api.responseUrl();
    socket.send({
      envelope_id: 'env-1', type: 'slash_commands', accepts_response_payload: true,
      payload: { token: 'legacy', team_id: 'T_ACME', team_domain: 'acme', channel_id: 'C1', channel_name: 'general', user_id: USERS.alice, user_name: 'alice', command: '/usage', text: '', api_app_id: 'A_APP', response_url: responseUrl, trigger_id: 't1' },
    });
    expect(await socket.waitForAck('env-1')).toMatchObject({ envelope_id: 'env-1' });
    const [reply] = await api.waitFor('response_url', (c) => responseUrl.endsWith(c.args.url));
    expect(JSON.stringify(reply!.args.blocks)).toContain('Your monthly limit');
  });
});
