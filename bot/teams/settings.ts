// The Teams bot's settings, derived from the service configuration. Teams is on
// when MICROSOFT_APP_ID is set (an Azure Bot registration), or when
// TEAMS_ALLOW_UNAUTHENTICATED=true (local: the Bot Framework Emulator's set-up,
// empty app id and password, every request accepted).
import type { Config } from '../../src/config.js';

export type TeamsConfig = Pick<
  Config,
  'MICROSOFT_APP_ID' | 'MICROSOFT_APP_PASSWORD' | 'MICROSOFT_APP_TYPE' | 'MICROSOFT_APP_TENANT_ID' | 'MICROSOFT_LOGIN_URL' | 'TEAMS_ORG_SLUG' | 'TEAMS_PORT' | 'TEAMS_SERVICE_URL' | 'TEAMS_ALLOW_UNAUTHENTICATED'
> & { HOST?: string; PUBLIC_URL?: string };

export type TeamsAuth =
  | { kind: 'none' }
  | {
      kind: 'entra';
      appId: string;
      password: string | null;
      appType: 'MultiTenant' | 'SingleTenant' | 'UserAssignedMsi';
      tenantId: string | null;
      /** Microsoft Entra's login endpoint (MICROSOFT_LOGIN_URL), without a trailing slash: where the bot's token for the Bot Connector comes from. */
      loginUrl: string;
    };

export interface TeamsSettings {
  auth: TeamsAuth;
  /** Single-org mode: tenants without an org of their own (Organization.teamsTenantId) belong to this org. */
  orgSlug: string | null;
  port: number;
  host: string;
  /** Bot Connector used to open a chat before any activity told us the tenant's own one. */
  defaultServiceUrl: string;
}

export const DEFAULT_SERVICE_URL = 'https://smba.trafficmanager.net/teams/';

/** Microsoft Entra's login endpoint of the public cloud. */
export const DEFAULT_LOGIN_URL = 'https://login.microsoftonline.com';

export class TeamsConfigError extends Error {}

/** The Teams settings, or null when Teams is not configured. Throws a message naming the variable at fault. */
export function teamsSettings(config: TeamsConfig): TeamsSettings | null {
  const common = {
    orgSlug: config.TEAMS_ORG_SLUG ?? null,
    port: config.TEAMS_PORT,
    host: config.HOST ?? '127.0.0.1',
    defaultServiceUrl: config.TEAMS_SERVICE_URL ?? DEFAULT_SERVICE_URL,
  };
  if (!config.MICROSOFT_APP_ID) {
    if (!config.TEAMS_ALLOW_UNAUTHENTICATED) return null;
    if (config.MICROSOFT_APP_PASSWORD) throw new TeamsConfigError('MICROSOFT_APP_PASSWORD is set without MICROSOFT_APP_ID');
    return { auth: { kind: 'none' }, ...common };
  }
  if (config.TEAMS_ALLOW_UNAUTHENTICATED) {
    throw new TeamsConfigError('TEAMS_ALLOW_UNAUTHENTICATED=true cannot be combined with MICROSOFT_APP_ID: unset one of them');
  }
  const appType = config.MICROSOFT_APP_TYPE;
  const tenantId = config.MICROSOFT_APP_TENANT_ID ?? null;
  const password = config.MICROSOFT_APP_PASSWORD ?? null;
  if (appType !== 'MultiTenant' && !tenantId) {
    throw new TeamsConfigError(`MICROSOFT_APP_TENANT_ID is required when MICROSOFT_APP_TYPE is ${appType} (the tenant of the bot's app registration)`);
  }
  if (appType === 'UserAssignedMsi' && password) throw new TeamsConfigError('MICROSOFT_APP_PASSWORD must not be set when MICROSOFT_APP_TYPE is UserAssignedMsi');
  // A managed identity gets its token from the Azure host, not from a login endpoint.
  if (appType === 'UserAssignedMsi' && config.MICROSOFT_LOGIN_URL) throw new TeamsConfigError('MICROSOFT_LOGIN_URL does not apply when MICROSOFT_APP_TYPE is UserAssignedMsi (the managed identity\'s token comes from the Azure host): unset it');
  if (appType !== 'UserAssignedMsi' && !password) throw new TeamsConfigError(`MICROSOFT_APP_PASSWORD is required when MICROSOFT_APP_TYPE is ${appType} (a client secret of the bot's app registration)`);
  const loginUrl = (config.MICROSOFT_LOGIN_URL ?? DEFAULT_LOGIN_URL).replace(/\/+$/, '');
  return { auth: { kind: 'entra', appId: config.MICROSOFT_APP_ID, password, appType, tenantId, loginUrl }, ...common };
}
