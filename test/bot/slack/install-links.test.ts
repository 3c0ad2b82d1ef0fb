// OAuth install links are single-use and expire: through the real Bolt OAuth paths, a
// link that completed an install is refused afterwards (also by a second install
// started from it before), an expired or tampered one is refused, and nothing is stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSlackApp, type RunningSlackApp } from '../../../bot/slack/app.js';
import { installLink } from '../../../bot/slack/workspaces.js';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import { provision } from '../../support/ledger.js';
import { startSlackApi, type SlackApiStandIn } from '../../support/slack-api.js';
import { noRequests, SIGNING_SECRET, slackEnterpriseDoc } from '../../support/slack-harness.js';

const STATE_SECRET = 'state-secret-0123456789abcdef';
let scratch: Scratch;
let api: SlackApiStandIn;
let slack: RunningSlackApp;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  await provision(scratch.db.prisma, 'acme', slackEnterpriseDoc());
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
  await slack?.stop();
  await api?.close();
  await scratch?.dispose();
});

async function get(url: string, cookie?: string) {
  const res = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
  return { status: res.status, location: res.headers.get('location'), cookies: res.headers.getSetCookie(), text: await res.text() };
}
/** Starts an install from a link; finish() completes it (Slack's redirect back). */
async function start(link: string) {
  const begun = await get(link);
  return {
    begun,
    finish: () => {
      const state = new URL(begun.location!).searchParams.get('state')!;
      const cookie = begun.cookies.map((c) => c.split(';')[0]).join('; ');
      return get(`${slack.url}/slack/oauth_redirect?code=code-123&state=${encodeURIComponent(state)}`, cookie);
    },
  };
}
const rows = () => scratch.db.prisma.slackInstallation.count();

describe('Slack install links', () => {
  it('complete one install; the same link is refused afterwards, even for an install started before', async () => {
    const link = slack.installLink('acme')!;
    const first = await start(link);
    const second = await start(link); // started from the same link before the first finished
    expect(second.begun.status).toBe(302);
    expect((await first.finish()).status).toBe(200);
    expect(await rows()).toBe(1);

    const late = await second.finish();
    expect(late.status).toBe(403);
    expect(late.text).toContain('already used');
    const again = await get(link);
    expect(again.status).toBe(403);
    expect(again.text).toContain('already used');
    expect(await rows()).toBe(1);
    // A new link works.
    expect((await get(slack.installLink('acme')!)).status).toBe(302);
  });

  it('expire, and cannot be extended or re-pointed by editing them', async () => {
    const expired = installLink(slack.url!, STATE_SECRET, 'acme', { now: new Date(Date.now() - 8 * 24 * 3600_000) });
    const res = await get(expired);
    expect(res.status).toBe(403);
    expect(res.text).toContain('expired');

    const extended = new URL(expired);
    extended.searchParams.set('exp', String(Math.floor(Date.now() / 1000) + 3600));
    expect((await get(extended.toString())).status).toBe(403);
    const repointed = new URL(slack.installLink('acme')!);
    repointed.searchParams.set('org', 'globex');
    const other = await get(repointed.toString());
    expect(other.status).toBe(403);
    expect(other.text).toContain('not valid');
  });
});
