// The bot's token for the Bot Connector comes from Microsoft Entra (MSAL, bot/teams/sdk.ts).
// When it cannot be had, this says where it was asked for and why, and which setting is at
// fault when Entra answered "no" (a refusal: a configuration error, like Slack's
// invalid_auth) rather than not answering at all (a network failure: the service degrades
// and tries again, src/observability/network-failure.ts).

import { isNetworkFailure } from '../../src/observability/network-failure.js';

/**
 * A token request to Microsoft Entra failed; MSAL's error is the cause. A refusal names the
 * setting at fault, so the log and GET /health (a notice channel failing) say what to fix.
 */
export class TeamsTokenError extends Error {
  /** The setting a refusal points at; null when Entra was not reached (or said "try later"). */
  readonly setting: string | null;

  constructor(readonly endpoint: string, cause: unknown) {
    super(describeFailure(endpoint, cause), { cause });
    this.name = 'TeamsTokenError';
    this.setting = refusedSetting(cause);
  }
}

const refusedSetting = (cause: unknown): string | null => (isNetworkFailure(cause) ? null : settingAtFault(cause));

function describeFailure(endpoint: string, cause: unknown): string {
  const setting = refusedSetting(cause);
  return setting
    ? `Microsoft Entra refused the bot's token request (${endpoint}): ${messageOf(cause)}; check ${setting}`
    : `no token from Microsoft Entra for the bot (${endpoint}): ${messageOf(cause)}`;
}

function messageOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // MSAL's ServerError message: "invalid_client: Error(s): 7000215 - Timestamp: … - Description: AADSTS7000215: … - Correlation ID: …"
  // (Entra's own description goes on with "\r\nTrace ID: …" lines: its first line says it.)
  const description = /Description: (AADSTS\d+: .*?)(?:\r|\n| - Correlation ID:|$)/.exec(err.message)?.[1];
  const code = (err as { errorCode?: unknown }).errorCode;
  return description ? `${typeof code === 'string' ? `${code}: ` : ''}${description.trim()}` : err.message;
}

/** Entra's error numbers (AADSTS…) and the setting each one points at. */
const SETTING_OF_AADSTS: Record<number, string> = {
  7000215: 'MICROSOFT_APP_PASSWORD', // invalid client secret
  7000222: 'MICROSOFT_APP_PASSWORD', // the client secret has expired
  7000216: 'MICROSOFT_APP_PASSWORD', // no client secret or assertion sent
  700016: 'MICROSOFT_APP_ID', // no application with this id in the tenant
  90002: 'MICROSOFT_APP_TENANT_ID', // no such tenant
  900023: 'MICROSOFT_APP_TENANT_ID', // not a valid tenant id
};

/**
 * The setting a refusal points at: by Entra's error number when it gave one, else by the
 * OAuth error (invalid_client: the secret; unauthorized_client: the app id).
 */
export function settingAtFault(err: unknown): string {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const x = e as { errorNo?: unknown; errorCode?: unknown; message?: unknown };
    const number = typeof x.errorNo === 'number' ? x.errorNo : Number(typeof x.errorNo === 'string' ? x.errorNo : /AADSTS(\d+)/.exec(String(x.message ?? ''))?.[1]);
    if (SETTING_OF_AADSTS[number]) return SETTING_OF_AADSTS[number]!;
    if (x.errorCode === 'invalid_client') return 'MICROSOFT_APP_PASSWORD';
    if (x.errorCode === 'unauthorized_client') return 'MICROSOFT_APP_ID';
  }
  return 'MICROSOFT_APP_ID / MICROSOFT_APP_PASSWORD / MICROSOFT_APP_TENANT_ID';
}
