// What MSAL (the library that gets the Teams bot's token) raises when Microsoft Entra cannot
// be reached, or refuses: the real client against a port that refuses connections and
// against the Entra stand-in (its certificate trusted by this client only). A network
// failure is one for the service (it degrades and retries); a refusal names the setting.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settingAtFault, TeamsTokenError } from '../../../bot/teams/token-errors.js';
import { isNetworkFailure } from '../../../src/observability/network-failure.js';
import { selfSignedCertificate, startEntraStandIn, type Certificate, type EntraApp, type EntraStandIn } from '../../support/entra-token.js';
import { freePort } from '../../support/outage.js';

const APP: EntraApp = { tenantId: 'b3f5c0de-0000-4000-8000-00000000cafe', clientId: '6f1c0a52-1c8f-4a39-9a52-3b0e0f3c7d11', clientSecret: 'the-bot-client-secret' };
const dir = mkdtempSync(join(tmpdir(), 'eu-token-errors-'));
let certificate: Certificate;
let entra: EntraStandIn;

beforeAll(async () => {
  certificate = selfSignedCertificate(dir);
  entra = await startEntraStandIn(certificate, APP);
});
afterAll(async () => {
  await entra?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The token as the bot asks for it, wrapped as bot/teams/sdk.ts wraps it. */
async function tokenFailure(authority: string, over: { clientId?: string; clientSecret?: string; authorityMetadata?: string } = {}): Promise<TeamsTokenError> {
  const client = new ConfidentialClientApplication({
    auth: { clientId: over.clientId ?? APP.clientId, clientSecret: over.clientSecret ?? APP.clientSecret, authority, knownAuthorities: [new URL(authority).host], ...(over.authorityMetadata ? { authorityMetadata: over.authorityMetadata } : {}) },
    system: { customAgentOptions: { ca: certificate.cert } },
  });
  try {
    await client.acquireTokenByClientCredential({ scopes: ['https://api.botframework.com/.default'], skipCache: true });
  } catch (err) {
    return new TeamsTokenError(authority, err);
  }
  throw new Error('a token was issued');
}

describe('the bot\'s token from Microsoft Entra', () => {
  it('the login endpoint refusing connections: its metadata, or the token request, is a network failure naming the endpoint', async () => {
    const authority = `https://127.0.0.1:${await freePort()}/${APP.tenantId}`;
    const metadata = await tokenFailure(authority);
    expect(isNetworkFailure(metadata)).toBe(true);
    expect(metadata.setting).toBeNull();
    expect(metadata.message).toContain(authority);
    // msal-node reports its metadata not fetched as endpoints_resolution_error.
    expect(metadata.message).toMatch(/endpoints_resolution_error|openid_config_error/);
    // Its metadata known (as after a first token), the token request itself fails.
    const known = JSON.stringify({ token_endpoint: `${authority}/oauth2/v2.0/token`, authorization_endpoint: `${authority}/oauth2/v2.0/authorize`, issuer: `${authority}/v2.0`, jwks_uri: `${authority}/discovery/v2.0/keys`, end_session_endpoint: `${authority}/oauth2/v2.0/logout` });
    const token = await tokenFailure(authority, { authorityMetadata: known });
    expect(isNetworkFailure(token)).toBe(true);
    expect(token.message).toMatch(/network_error/);
  });

  it('a wrong secret (401 invalid_client, AADSTS7000215) is a refusal naming MICROSOFT_APP_PASSWORD', async () => {
    const refused = await tokenFailure(`${entra.url}/${APP.tenantId}`, { clientSecret: 'an-old-secret' });
    expect(isNetworkFailure(refused)).toBe(false);
    expect(refused.setting).toBe('MICROSOFT_APP_PASSWORD');
    expect(refused.message).toMatch(/^Microsoft Entra refused the bot's token request \(https:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]+\): invalid_client: AADSTS7000215: Invalid client secret provided\. .*; check MICROSOFT_APP_PASSWORD$/);
    expect(refused.message).not.toMatch(/Trace ID/);
  });

  it('an app Entra does not know names MICROSOFT_APP_ID; the right ones get a token', async () => {
    const unknown = await tokenFailure(`${entra.url}/${APP.tenantId}`, { clientId: '00000000-0000-4000-8000-000000000000' });
    expect(isNetworkFailure(unknown)).toBe(false);
    expect(unknown.setting).toBe('MICROSOFT_APP_ID');
    expect(settingAtFault({ errorCode: 'invalid_request', errorNo: 90002 })).toBe('MICROSOFT_APP_TENANT_ID');

    const issued = entra.issued.length;
    const client = new ConfidentialClientApplication({ auth: { clientId: APP.clientId, clientSecret: APP.clientSecret, authority: `${entra.url}/${APP.tenantId}`, knownAuthorities: [new URL(entra.url).host] }, system: { customAgentOptions: { ca: certificate.cert } } });
    const token = await client.acquireTokenByClientCredential({ scopes: ['https://api.botframework.com/.default'], skipCache: true });
    expect(token?.accessToken).toBe(entra.issued[issued]);
  });
});
