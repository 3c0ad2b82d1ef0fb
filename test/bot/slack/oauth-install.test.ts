// Many workspaces: an operator's signed install link → Slack's OAuth (oauth.v2.access
// on the stand-in) → the installation stored in the database for that org; then the
// workspace's requests are authorised from the store and its messages use its token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlackApp, type RunningSlackApp } from '../../../bot/slack/app.js';
import { installLink } from '../../../bot/slack/workspaces.js';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import { provision } from '../../support/ledger.js';
import { startSlackApi, type SlackApiStandIn } from '../../support/slack-api.js';
import { JSON_TYPE, postSigned } from '../../support/slack-http.js';
import { noRequests, SIGNING_SECRET, slackEnterpriseDoc, USERS } from '../../support/slack-harness.js';

const STATE_SECRET = 'state-secret-0123456789abcdef';
let scratch: Scratch;
let api: SlackApiStandIn;
let slack: RunningSlackApp;
let acmeId: string;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  acmeId = (await provision(scratch.db.prisma, 'acme', slackEnterpriseDoc())).orgId;
  await provision(scratch.db.prisma, 'globex', { ...slackEnterpriseDoc(), name: 'Globex' });
  api = await startSlackApi({ oauthTeam: { id: 'T_BETA', name: 'Beta workspace' } });
  slack = (await startSlackApp({
    config: { SLACK_CLIENT_ID: '111.222', SLACK_CLIENT_SECRET: 'client-secret', SLACK_STATE_SECRET: STATE_SECRET, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_PORT: 0, SLACK_API_URL: api.apiUrl, HOST: '127.0.0.1', LOG_LEVEL: 'silent' } as never,
    db: scratch.db.prisma,
    requests: noRequests(),
    log: () => {},
    clientOptions: { retryConfig: { retries: 0 } },
  }))!;
});
afterAll(async () => {
  expect(api?.problems).toEqual([]);
  await slack?.stop();
  await api?.close();
  await scratch?.dispose();
});

async function get(url: string, cookie?: string) {
  const res = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
  return { status: res.status, location: res.headers.get('location'), cookies: res.headers.getSetCookie(), text: await res.text() };
}

async function install(link: string) {
  const start = await get(link);
  expect(start.status).toBe(302);
  const authorize = new URL(start.location!);
  const state = authorize.searchParams.get('state')!;
  const cookie = start.cookies.map((c) => c.split(';')[0]).join('; ');
  return get(`${slack.url}/slack/oauth_redirect?code=code-123&state=${encodeURIComponent(state)}`, cookie);
}

const homeOpened = (teamId: string, user: string) => JSON.stringify({
  token: 'legacy', team_id: teamId, api_app_id: 'A_APP', type: 'event_callback', event_id: `Ev${Math.random()}`, event_time: Math.floor(Date.now() / 1000),
  event: { type: 'app_home_opened', user, channel: `D_${user}`, tab: 'home', event_ts: `${Date.now() / 1000}` },
  authorizations: [{ team_id: teamId, user_id: 'U_BOT', is_bot: true }],
});

describe('OAuth install for many workspaces', () => {
  it('refuses an install path without a genuine signed link', async () => {
    expect((await get(`${slack.url}/slack/install`)).status).toBe(403);
    expect((await get(`${slack.url}/slack/install?org=acme&sig=forged`)).status).toBe(403);
    const forOtherSecret = installLink(slack.url!, 'another-secret-0123456789', 'acme');
    expect((await get(forOtherSecret)).status).toBe(403);
    expect((await get(installLink(slack.url!, STATE_SECRET, 'no-such-org'))).status).toBe(403);
  });

  it('installs a workspace for the org of the link, stores it, and serves that workspace from the store', async () => {
    const link = slack.installLink('acme')!;
    const start = await get(link);
    expect(new URL(start.location!).origin + new URL(start.location!).pathname).toBe('https://slack.com/oauth/v2/authorize');
    expect(new URL(start.location!).searchParams.get('scope')).toContain('chat:write');

    const done = await install(link);
    expect(done.status).toBe(200);
    expect(done.text).toContain('Installed in Beta workspace');
    expect(api.of('oauth.v2.access')).toHaveLength(1);
    const row = await scratch.db.prisma.slackInstallation.findUniqueOrThrow({ where: { teamId: 'T_BETA' } });
    expect(row).toMatchObject({ orgId: acmeId, botToken: 'xoxb-installed-T_BETA', botUserId: 'U_BOT' });

    // A signed event from that workspace is authorised from the store and answered with its token.
    const res = await postSigned(`${slack.url}/slack/events`, SIGNING_SECRET, homeOpened('T_BETA', USERS.alice), JSON_TYPE);
    expect(res.status).toBe(200);
    const [home] = await api.waitFor('views.publish', (c) => c.args.user_id === USERS.alice);
    expect(home!.token).toBe('xoxb-installed-T_BETA');
    expect(JSON.stringify(home!.args.view.blocks)).toContain('Your usage');

    // The notifier reaches the org through the same installation.
    await slack.notifier.alert({ kind: 'org_cap_threshold', orgId: acmeId, orgName: 'Acme', title: 'Acme reached 50%', text: 'x', facts: {} }, [{ memberId: 'm', externalId: 'owner-1', name: 'Olivia', role: 'primary_owner', seatTier: 'premium', email: null, slackUserId: USERS.owner, teamsUserId: null }]);
    expect(api.of('chat.postMessage').at(-1)!.token).toBe('xoxb-installed-T_BETA');
  });

  it('never moves a workspace to another org through a second install, and ignores unknown workspaces', async () => {
    const again = await install(slack.installLink('globex')!);
    expect(again.status).toBe(403);
    expect(again.text).toContain('already connected to another organisation');
    expect((await scratch.db.prisma.slackInstallation.findUniqueOrThrow({ where: { teamId: 'T_BETA' } })).orgId).toBe(acmeId);

    const before = api.calls.length;
    await postSigned(`${slack.url}/slack/events`, SIGNING_SECRET, homeOpened('T_UNKNOWN', USERS.alice), JSON_TYPE);
    await new Promise((r) => setTimeout(r, 300));
    expect(api.calls.slice(before).filter((c) => c.method !== 'oauth.v2.access')).toEqual([]);
  });
});
