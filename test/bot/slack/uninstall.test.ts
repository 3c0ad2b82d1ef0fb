// The app removed from a workspace: Slack's signed app_uninstalled and tokens_revoked
// events, through the real Bolt app in OAuth mode, delete the stored installation, so
// nothing keeps using a dead token; a user token revoked changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlackApp, type RunningSlackApp } from '../../../bot/slack/app.js';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import { provision } from '../../support/ledger.js';
import { startSlackApi, type SlackApiStandIn } from '../../support/slack-api.js';
import { JSON_TYPE, postSigned } from '../../support/slack-http.js';
import { noRequests, SIGNING_SECRET, slackEnterpriseDoc } from '../../support/slack-harness.js';

const STATE_SECRET = 'state-secret-0123456789abcdef';
let scratch: Scratch;
let api: SlackApiStandIn;
let slack: RunningSlackApp;
const logs: string[] = [];

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  await provision(scratch.db.prisma, 'acme', slackEnterpriseDoc());
  api = await startSlackApi({ oauthTeam: { id: 'T_BETA', name: 'Beta workspace' } });
  slack = (await startSlackApp({
    config: { SLACK_CLIENT_ID: '111.222', SLACK_CLIENT_SECRET: 'client-secret', SLACK_STATE_SECRET: STATE_SECRET, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_PORT: 0, SLACK_API_URL: api.apiUrl, HOST: '127.0.0.1', LOG_LEVEL: 'silent' } as never,
    db: scratch.db.prisma,
    requests: noRequests(),
    log: (line) => logs.push(line),
    clientOptions: { retryConfig: { retries: 0 } },
  }))!;
});
afterAll(async () => {
  await slack?.stop();
  await api?.close();
  await scratch?.dispose();
});

async function get(url: string, cookie?: string) {
  const res = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
  return { status: res.status, location: res.headers.get('location'), cookies: res.headers.getSetCookie(), text: await res.text() };
}
async function install() {
  const start = await get(slack.installLink('acme')!);
  const state = new URL(start.location!).searchParams.get('state')!;
  const cookie = start.cookies.map((c) => c.split(';')[0]).join('; ');
  const done = await get(`${slack.url}/slack/oauth_redirect?code=code-123&state=${encodeURIComponent(state)}`, cookie);
  expect(done.status).toBe(200);
  expect(await installed()).toBe(1);
}
const installed = () => scratch.db.prisma.slackInstallation.count({ where: { teamId: 'T_BETA' } });
const event = (teamId: string, e: object) => JSON.stringify({
  token: 'legacy', team_id: teamId, api_app_id: 'A_APP', type: 'event_callback', event_id: `Ev${Math.random()}`, event_time: Math.floor(Date.now() / 1000),
  event: { ...e, event_ts: `${Date.now() / 1000}` }, authorizations: [{ team_id: teamId, user_id: 'U_BOT', is_bot: true }],
});
async function until(check: () => Promise<boolean>, what: string) {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`waited for ${what}; log: ${logs.join(' | ')}`);
}

describe('Slack app uninstalled or its token revoked', () => {
  it('deletes the installation on app_uninstalled', async () => {
    await install();
    expect((await postSigned(`${slack.url}/slack/events`, SIGNING_SECRET, event('T_BETA', { type: 'app_uninstalled' }), JSON_TYPE)).status).toBe(200);
    await until(async () => (await installed()) === 0, 'the installation to be removed');
    expect(await slack.workspaces.orgIdFor('T_BETA', undefined)).toBeNull();
    expect(logs.some((l) => l.includes('uninstalled') && l.includes('T_BETA') && l.includes('1 installation(s) removed'))).toBe(true);
  });

  it('deletes it when the bot token is revoked, and keeps it when only a user token is', async () => {
    await install();
    await postSigned(`${slack.url}/slack/events`, SIGNING_SECRET, event('T_BETA', { type: 'tokens_revoked', tokens: { oauth: ['U_SOMEONE'] } }), JSON_TYPE);
    await postSigned(`${slack.url}/slack/events`, SIGNING_SECRET, event('T_BETA', { type: 'tokens_revoked', tokens: { bot: ['U_BOT'] } }), JSON_TYPE);
    await until(async () => (await installed()) === 0, 'the installation to be removed');
    // The user-token event (sent first) removed nothing: the bot token's found the installation and removed it.
    await until(async () => logs.some((l) => l.includes('bot token was revoked')), 'the log line');
    expect(logs.filter((l) => l.includes('bot token was revoked'))).toEqual([expect.stringContaining('1 installation(s) removed')]);
  });
});
