// How the Slack app runs, decided once from the service's config:
//  - transport: Socket Mode when SLACK_APP_TOKEN is set, HTTP with signature verification otherwise;
//  - workspaces: one (SLACK_BOT_TOKEN + SLACK_ORG_SLUG) or many (OAuth install, SLACK_CLIENT_ID/SECRET).
import { ConfigError, type Config } from '../../src/config.js';

export type SlackConfig = Pick<
  Config,
  | 'SLACK_BOT_TOKEN'
  | 'SLACK_ORG_SLUG'
  | 'SLACK_SIGNING_SECRET'
  | 'SLACK_APP_TOKEN'
  | 'SLACK_CLIENT_ID'
  | 'SLACK_CLIENT_SECRET'
  | 'SLACK_STATE_SECRET'
  | 'SLACK_PORT'
  | 'SLACK_API_URL'
> & { PUBLIC_URL?: string | undefined; SLACK_COMMAND?: string | undefined };

/** The slash command when SLACK_COMMAND is not set (the committed manifest templates carry it). */
export const DEFAULT_COMMAND = '/usage';

export type SlackWorkspaces =
  | { kind: 'single'; botToken: string; orgSlug: string }
  | { kind: 'oauth'; clientId: string; clientSecret: string; stateSecret: string };

export interface SlackSettings {
  transport: { kind: 'socket'; appToken: string; signingSecret?: string } | { kind: 'http'; signingSecret: string };
  workspaces: SlackWorkspaces;
  /** Port of /slack/events (HTTP mode) and of the install pages (OAuth). */
  port: number;
  /** Web API base URL (https://slack.com/api/ unless a proxy or a test stand-in). */
  apiUrl?: string;
  /** Where Slack reaches the install pages, for the links printed to operators. */
  publicUrl?: string;
  /** The slash command the app answers and names in its messages (SLACK_COMMAND, default /usage). */
  command: string;
}

/** Null when Slack is not configured; a ConfigError naming the missing variables when half-configured. */
export function slackSettings(config: SlackConfig): SlackSettings | null {
  const c = config;
  if (!c.SLACK_BOT_TOKEN && !c.SLACK_CLIENT_ID) {
    const stray = (['SLACK_APP_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_ORG_SLUG', 'SLACK_CLIENT_SECRET'] as const).filter((k) => c[k]);
    if (stray.length) throw new ConfigError(`Invalid configuration:\n  ${stray.join(', ')} set but neither SLACK_BOT_TOKEN (one workspace) nor SLACK_CLIENT_ID (OAuth install) is`);
    return null;
  }
  const problems: string[] = [];
  let workspaces: SlackWorkspaces;
  if (c.SLACK_CLIENT_ID) {
    if (c.SLACK_BOT_TOKEN) problems.push('SLACK_BOT_TOKEN: set either SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID (OAuth install), not both');
    if (!c.SLACK_CLIENT_SECRET) problems.push('SLACK_CLIENT_SECRET: required with SLACK_CLIENT_ID');
    if (!c.SLACK_STATE_SECRET) problems.push('SLACK_STATE_SECRET: required with SLACK_CLIENT_ID (signs OAuth state and install links)');
    workspaces = { kind: 'oauth', clientId: c.SLACK_CLIENT_ID, clientSecret: c.SLACK_CLIENT_SECRET ?? '', stateSecret: c.SLACK_STATE_SECRET ?? '' };
  } else {
    if (!c.SLACK_ORG_SLUG) problems.push('SLACK_ORG_SLUG: required with SLACK_BOT_TOKEN (the org this workspace belongs to)');
    workspaces = { kind: 'single', botToken: c.SLACK_BOT_TOKEN!, orgSlug: c.SLACK_ORG_SLUG ?? '' };
  }
  let transport: SlackSettings['transport'];
  if (c.SLACK_APP_TOKEN) {
    transport = { kind: 'socket', appToken: c.SLACK_APP_TOKEN, ...(c.SLACK_SIGNING_SECRET ? { signingSecret: c.SLACK_SIGNING_SECRET } : {}) };
  } else {
    if (!c.SLACK_SIGNING_SECRET) problems.push('SLACK_SIGNING_SECRET: required over HTTP (or set SLACK_APP_TOKEN for Socket Mode)');
    transport = { kind: 'http', signingSecret: c.SLACK_SIGNING_SECRET ?? '' };
  }
  if (problems.length) throw new ConfigError(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return {
    transport,
    workspaces,
    port: c.SLACK_PORT,
    command: c.SLACK_COMMAND ?? DEFAULT_COMMAND,
    ...(c.SLACK_API_URL ? { apiUrl: c.SLACK_API_URL.endsWith('/') ? c.SLACK_API_URL : `${c.SLACK_API_URL}/` } : {}),
    ...(c.PUBLIC_URL ? { publicUrl: c.PUBLIC_URL } : {}),
  };
}
