// With credentials configured (an Azure Bot registration), the CloudAdapter
// validates the Bot Connector's token on every request: one without a token, or
// with a forged one, is refused with 401 and nothing happens.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { teamsSettings, TeamsConfigError } from '../../../bot/teams/settings.js';
import { loadConfig } from '../../../src/config.js';
import type { RequestService } from '../../../src/services/requests.js';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import { provision } from '../../support/ledger.js';
import { activityFrom, startTeamsHarness, teamsEnterpriseDoc, USERS, type TeamsHarness } from '../../support/teams-harness.js';

let scratch: Scratch;
let h: TeamsHarness;
const requests = {} as RequestService;

const APP = { MICROSOFT_APP_ID: '6f1c0a52-1c8f-4a39-9a52-3b0e0f3c7d11', MICROSOFT_APP_PASSWORD: 'not-a-real-secret', MICROSOFT_APP_TYPE: 'SingleTenant' as const, MICROSOFT_APP_TENANT_ID: 'b3f5c0de-0000-4000-8000-00000000cafe' };

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  await provision(scratch.db.prisma, 'acme', teamsEnterpriseDoc());
  h = await startTeamsHarness(scratch.db.prisma, requests, { config: { ...APP, TEAMS_ALLOW_UNAUTHENTICATED: false } });
});
afterAll(async () => {
  await h?.close();
  await scratch?.dispose();
});

describe('Teams bot with credentials configured', () => {
  it('refuses a request without a token (401) and does nothing', async () => {
    const res = await h.post(activityFrom(USERS.owner, h.connector.url, { type: 'message', text: 'settings' }));
    expect(res.status).toBe(401);
    const invoke = await h.post(activityFrom(USERS.owner, h.connector.url, { type: 'invoke', name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', verb: 'settings.cap', data: { verb: 'settings.cap', target: 'org', unlimited: true } } } }));
    expect(invoke.status).toBe(401);
    expect(h.connector.calls).toHaveLength(0);
    expect(await scratch.db.prisma.teamsConversation.count()).toBe(0);
    expect(await scratch.db.prisma.auditEntry.count({ where: { action: 'cap.org.set' } })).toBe(0);
  });

  // Its issuer is not the Bot Framework's, so it is refused before any key lookup (no network here).
  it('refuses a token the Bot Framework did not issue (401)', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'forged' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ iss: 'https://login.example.test/forged', aud: APP.MICROSOFT_APP_ID, exp: Math.floor(Date.now() / 1000) + 600 })).toString('base64url');
    const res = await h.post(activityFrom(USERS.owner, h.connector.url, { type: 'message', text: 'usage' }), { authorization: `Bearer ${header}.${payload}.c2lnbmF0dXJl` });
    expect(res.status).toBe(401);
    expect(h.connector.calls).toHaveLength(0);
  });
});

describe('Teams settings', () => {
  const base = { TEAMS_PORT: 3978, TEAMS_ALLOW_UNAUTHENTICATED: false, MICROSOFT_APP_TYPE: 'SingleTenant' as const };
  it('is off without an app id, and names the variable at fault', () => {
    expect(teamsSettings(base)).toBeNull();
    expect(() => teamsSettings({ ...base, MICROSOFT_APP_ID: APP.MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD: 'x' })).toThrow(/MICROSOFT_APP_TENANT_ID/);
    expect(() => teamsSettings({ ...base, MICROSOFT_APP_ID: APP.MICROSOFT_APP_ID, MICROSOFT_APP_TENANT_ID: 't' })).toThrow(/MICROSOFT_APP_PASSWORD/);
    expect(() => teamsSettings({ ...base, ...APP, TEAMS_ALLOW_UNAUTHENTICATED: true })).toThrow(TeamsConfigError);
    expect(teamsSettings({ ...base, MICROSOFT_APP_TYPE: 'UserAssignedMsi', MICROSOFT_APP_ID: APP.MICROSOFT_APP_ID, MICROSOFT_APP_TENANT_ID: 't' })?.auth).toMatchObject({ kind: 'entra', appType: 'UserAssignedMsi', password: null });
    expect(teamsSettings({ ...base, TEAMS_ALLOW_UNAUTHENTICATED: true })?.auth).toEqual({ kind: 'none' });
  });

  it('gets the bot\'s token from another Entra cloud\'s login endpoint when told (MICROSOFT_LOGIN_URL, https only), not with a managed identity', () => {
    expect(teamsSettings({ ...base, ...APP })?.auth).toMatchObject({ loginUrl: 'https://login.microsoftonline.com' });
    expect(teamsSettings({ ...base, ...APP, MICROSOFT_LOGIN_URL: 'https://login.microsoftonline.us/' })?.auth).toMatchObject({ loginUrl: 'https://login.microsoftonline.us' });
    expect(() => teamsSettings({ ...base, MICROSOFT_APP_TYPE: 'UserAssignedMsi', MICROSOFT_APP_ID: APP.MICROSOFT_APP_ID, MICROSOFT_APP_TENANT_ID: 't', MICROSOFT_LOGIN_URL: 'https://login.microsoftonline.us' })).toThrow(/MICROSOFT_LOGIN_URL does not apply/);
    expect(() => loadConfig({ MICROSOFT_LOGIN_URL: 'http://127.0.0.1:8443' })).toThrow(/MICROSOFT_LOGIN_URL: must be an https URL/);
  });
});
