// The service's whole configuration, read once from the environment and validated.
import { z } from 'zod';
import { LOG_FORMATS } from './observability/logging.js';

const optionalText = z.string().trim().min(1).optional();

/** What one process runs: everything, or one part so each scales on its own (docs/operations.md). */
export const ROLES = ['all', 'api', 'worker', 'chat'] as const;
export type Role = (typeof ROLES)[number];

export const configSchema = z.object({
  /** all (default): everything; api: the HTTP API; worker: Temporal worker, outbox relay, schedules, reservation sweeper; chat: the Slack and Teams receivers. */
  ROLE: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }).default('all'),
  /** How often this process looks for changes other processes made to what it caches (API keys, price book, org settings). */
  CACHE_SYNC_MS: z.coerce.number().int().min(100).max(60_000).default(1_000),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  /**
   * Behind a reverse proxy: which X-Forwarded-For hops to believe for the client's address
   * (sign-in throttling, logs). `true` (every hop), a number of hops, or the proxies'
   * addresses / CIDRs, comma-separated. Unset: the connection's own address.
   */
  TRUST_PROXY: z.string().trim().regex(/^(true|\d{1,2}|[0-9a-fA-F.:/]+(\s*,\s*[0-9a-fA-F.:/]+)*)$/, 'must be true, a number of hops, or proxy addresses/CIDRs separated by commas').optional()
    .transform((v) => (v === undefined ? undefined : v === 'true' ? true : /^\d+$/.test(v) ? Number(v) : v)),
  /** The API's HTTP limits (docs/operations.md#http-limits): request line and headers must arrive within this. */
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(10_000),
  /** The whole request, body included, must arrive within this. */
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(30_000),
  /** An idle keep-alive connection is closed after this. */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  /** Open connections one client address (the proxy's, behind one) may hold; 0: no cap. */
  HTTP_MAX_CONNECTIONS_PER_CLIENT: z.coerce.number().int().min(0).max(100_000).default(256),
  /**
   * An outside service that is down (Slack, Teams, SMTP, Stripe, an OpenID Provider, Temporal) is
   * tried again 1 s doubling up to this many seconds (docs/operations.md): its return is noticed
   * within this long; shorter means more attempts against a service that is down.
   */
  DEPENDENCY_RETRY_MAX_SECONDS: z.coerce.number().int().min(1, 'must be at least 1 (seconds)').max(3600).default(60),
  /** Folder for the embedded database, the dev server's state and generated secrets. */
  DATA_DIR: z.string().default('./data'),
  /** A PostgreSQL server (production). Unset: embedded PGlite in DATA_DIR/pglite. */
  DATABASE_URL: optionalText,
  /**
   * `transaction`: DATABASE_URL goes through a transaction-mode pooler (PgBouncer before
   * 1.21, or without max_prepared_statements), so no named prepared statements are used.
   */
  DATABASE_POOLER: z.enum(['none', 'transaction']).default('none'),
  /** Embedded PGlite only (it has no autovacuum): VACUUM (ANALYZE) at start and then this often. */
  PGLITE_MAINTENANCE_MINUTES: z.coerce.number().int().min(1).max(7 * 24 * 60).default(60),
  /** A Temporal frontend (host:port). Unset: a local dev server is started. */
  TEMPORAL_ADDRESS: optionalText,
  TEMPORAL_NAMESPACE: z.string().default('default'),
  /**
   * How long the start waits for TEMPORAL_ADDRESS to answer before it serves without Temporal
   * (what needs it starts once it answers, docs/operations.md#when-an-outside-service-is-down).
   */
  TEMPORAL_CONNECT_TIMEOUT_SECONDS: z.coerce.number().int().min(1, 'must be at least 1 (seconds)').max(600).default(10),
  /** Task queue of our worker. */
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('extra-usage'),
  /** Remind admins of an undecided request after this many minutes (default a day). */
  REQUEST_REMIND_AFTER_MINUTES: z.coerce.number().int().min(1).default(24 * 60),
  /** Reservation mode: an unsettled hold is released after this many seconds. */
  RESERVATION_TTL_SECONDS: z.coerce.number().int().min(5).max(86_400).default(600),
  /** An undecided request expires after this many minutes (default a week). */
  REQUEST_EXPIRE_AFTER_MINUTES: z.coerce.number().int().min(1).default(7 * 24 * 60),
  /** After a denial a member may ask again only after this many minutes (default a day; 0 = at once). */
  REQUEST_COOLDOWN_AFTER_DENIAL_MINUTES: z.coerce.number().int().min(0).max(365 * 24 * 60).default(24 * 60),
  /** Path to the `temporal` CLI; looked up on PATH when unset. */
  TEMPORAL_CLI: optionalText,
  /** A workflow bundle prebuilt from this same code (its source map beside it as `<file>.map`); unset: bundled at start. */
  WORKFLOW_BUNDLE: optionalText,
  /** Signs people's sessions (from sign-in links). Unset: derived from the operator token (changing that ends every session). */
  SESSION_SECRET: z.string().min(32, 'SESSION_SECRET must be at least 32 characters').optional(),
  /** Bearer token of the operator API. Unset: generated once and kept in DATA_DIR. */
  OPERATOR_TOKEN: z.string().min(16, 'OPERATOR_TOKEN must be at least 16 characters').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** pretty: human lines; json: one JSON object a line (log collectors). Unset: pretty on a terminal, JSON otherwise. */
  LOG_FORMAT: z.enum(LOG_FORMATS, { error: `must be one of ${LOG_FORMATS.join(', ')}` }).optional(),
  /** SMTP server for email notifications (digest, alerts, requests), e.g. smtp://127.0.0.1:2525. Unset: no email. */
  SMTP_URL: optionalText.refine((v) => v === undefined || /^smtps?:\/\/[^/]/.test(v), 'must be an smtp:// or smtps:// URL, e.g. smtp://127.0.0.1:2525'),
  /** Sender of every email. */
  EMAIL_FROM: z.string().trim().min(3).default('Extra usage <extra-usage@localhost>'),
  /** Operators' email addresses (comma-separated) for operator alerts, e.g. usage kept unpriced. Unset: those go to the log only. */
  OPERATOR_EMAIL: optionalText.refine((v) => v === undefined || v.split(',').every((a) => z.email().safeParse(a.trim()).success), 'must be email addresses separated by commas, e.g. ops@example.com,oncall@example.com'),
  /** Where people reach this service (links in emails). Unset: emails carry no links. */
  PUBLIC_URL: z.string().trim().url('must be a URL such as https://usage.example.com').optional(),
  /** The web console's privacy notice and terms (/privacy, /terms): text, or a file read at start. Unset: a plain default (docs/console.md). */
  PRIVACY_TEXT: optionalText,
  PRIVACY_FILE: optionalText,
  TERMS_TEXT: optionalText,
  TERMS_FILE: optionalText,
  /** Who takes payments (docs/payments.md): ledger = recorded in our own ledger, nobody charged (development); stripe = Stripe Checkout and off-session charges. */
  PAYMENTS_PROVIDER: z.enum(['ledger', 'stripe']).default('ledger'),
  /** Stripe secret key (sk_test_… in test mode, sk_live_… in production); required with PAYMENTS_PROVIDER=stripe. */
  STRIPE_SECRET_KEY: optionalText.refine((v) => v === undefined || /^(sk|rk)_(test|live)_/.test(v), 'must be a Stripe secret key (sk_test_… or sk_live_…)'),
  /** Signing secret of the webhook endpoint <PUBLIC_URL>/v1/payments/stripe/webhook (whsec_…); required with PAYMENTS_PROVIDER=stripe. */
  STRIPE_WEBHOOK_SECRET: optionalText.refine((v) => v === undefined || v.startsWith('whsec_'), 'must be a webhook signing secret (whsec_…)'),
  /** Stripe API base (protocol, host, port); only changed for a local stand-in or a proxy. Unset: https://api.stripe.com. */
  STRIPE_API_BASE: z.string().trim().url('must be a URL such as http://127.0.0.1:12111').optional(),
  /** Encrypts secrets kept at rest (an org's Anthropic Admin API key): 32 bytes, 64 hex digits or base64 (`openssl rand -base64 32`). Unset: no org can be connected to Anthropic. */
  SECRETS_KEY: optionalText.refine((v) => v === undefined || /^[0-9a-fA-F]{64}$/.test(v.trim()) || Buffer.from(v.trim(), 'base64').length === 32, 'must be 32 bytes: 64 hex digits or 44 base64 characters (openssl rand -base64 32)'),
  /** Anthropic API base (protocol, host, port) for connected orgs (docs/claude.md); only changed for a local stand-in or a proxy. */
  ANTHROPIC_API_BASE: z.string().trim().url('must be a URL such as https://api.anthropic.com').default('https://api.anthropic.com'),
  /** The built-in Claude gateway's upstream, the Messages API (docs/gateway.md); only changed for a local stand-in or a proxy. */
  GATEWAY_UPSTREAM_URL: z.string().trim().url('must be a URL such as https://api.anthropic.com').default('https://api.anthropic.com'),
  /** One Anthropic API key for the whole deployment's gateway, used for orgs the operator gave none of their own (docs/gateway.md). */
  GATEWAY_UPSTREAM_API_KEY: optionalText,
  /**
   * A gateway process's usage spool file is adopted by another process on the folder once its lock
   * has not been refreshed for this many seconds (docs/gateway.md#the-usage-spool): shorter records
   * a killed process's usage sooner; longer keeps a process whose disk stalls from losing its file.
   */
  GATEWAY_SPOOL_TAKEOVER_SECONDS: z.coerce.number().int().min(2, 'must be at least 2 (seconds)').max(600).default(10),
  /** How often a connected org's pending increase requests and users are polled, in seconds (docs/claude.md). */
  ANTHROPIC_POLL_SECONDS: z.coerce.number().int().min(10).max(3600).default(60),
  /** How often a connected org's effective spend limits (each member's limit, its source and spend) are read, in seconds. */
  ANTHROPIC_LIMITS_POLL_SECONDS: z.coerce.number().int().min(10).max(86_400).default(300),
  /** Slack app (see docs/slack.md). Slack is on when SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID (OAuth install) is set. */
  SLACK_BOT_TOKEN: optionalText.refine((v) => v === undefined || v.startsWith('xoxb-'), 'must be a bot token (xoxb-…)'),
  /** Single-workspace mode: the org (slug) that the workspace of SLACK_BOT_TOKEN belongs to. */
  SLACK_ORG_SLUG: optionalText,
  /** Verifies requests from Slack over HTTP (App credentials > Signing Secret). */
  SLACK_SIGNING_SECRET: optionalText,
  /** Set: Socket Mode (no public URL needed), an app-level token with connections:write. */
  SLACK_APP_TOKEN: optionalText.refine((v) => v === undefined || v.startsWith('xapp-'), 'must be an app-level token (xapp-…)'),
  /** OAuth install for many workspaces: client id, secret and a secret signing the OAuth state and install links. */
  SLACK_CLIENT_ID: optionalText,
  SLACK_CLIENT_SECRET: optionalText,
  SLACK_STATE_SECRET: z.string().trim().min(16, 'SLACK_STATE_SECRET must be at least 16 characters').optional(),
  /**
   * The app's slash command (docs/slack.md): the listener answers it and every message naming it says it;
   * `npm run slack:manifest` writes it into the manifests. Change it when another app of the workspace has /usage.
   */
  SLACK_COMMAND: z.string().trim().regex(/^\/[a-z0-9][a-z0-9_-]{0,30}$/, 'must be a slash command such as /usage or /extra-usage: a / then at most 31 lowercase letters, digits, - or _').default('/usage'),
  /** Port of the Slack app's HTTP endpoints (/slack/events, /slack/install, /slack/oauth_redirect). */
  SLACK_PORT: z.coerce.number().int().min(0).max(65535).default(3001),
  /** Slack Web API base URL; only changed for a proxy or tests. */
  SLACK_API_URL: z.string().trim().url('must be a URL such as https://slack.com/api/').optional(),
  /** Microsoft Teams bot (see docs/teams.md). Teams is on when MICROSOFT_APP_ID is set (or TEAMS_ALLOW_UNAUTHENTICATED=true, local Emulator only). */
  MICROSOFT_APP_ID: optionalText,
  /** Client secret of the bot's Entra app registration (MultiTenant / SingleTenant). */
  MICROSOFT_APP_PASSWORD: optionalText,
  MICROSOFT_APP_TYPE: z.enum(['MultiTenant', 'SingleTenant', 'UserAssignedMsi']).default('SingleTenant'),
  /** The Entra tenant of the bot's app registration (SingleTenant, UserAssignedMsi). */
  MICROSOFT_APP_TENANT_ID: optionalText,
  /**
   * Microsoft Entra's login endpoint the bot gets its token for the Bot Connector from (default
   * https://login.microsoftonline.com): another Entra cloud's (https://login.microsoftonline.us,
   * https://login.chinacloudapi.cn), or a local stand-in. https only, as MSAL requires.
   */
  MICROSOFT_LOGIN_URL: z.string().trim().url('must be a URL such as https://login.microsoftonline.com').refine((u) => u.startsWith('https://'), 'must be an https URL (MSAL refuses any other), such as https://login.microsoftonline.com').optional(),
  /** Single-org mode: the org (slug) every Teams tenant without its own Organization.teamsTenantId maps to. */
  TEAMS_ORG_SLUG: optionalText,
  /** Port of the Teams bot endpoint (POST /api/messages) when it runs on its own server. */
  TEAMS_PORT: z.coerce.number().int().min(0).max(65535).default(3978),
  /** Bot Connector service used to open a chat with someone who never wrote to the bot; learnt from incoming activities once there are any. */
  TEAMS_SERVICE_URL: z.string().trim().url('must be a URL such as https://smba.trafficmanager.net/teams/').optional(),
  /** Runs the bot without credentials (Bot Framework Emulator, local tests): every request is accepted unauthenticated. Never in production. */
  TEAMS_ALLOW_UNAUTHENTICATED: z.stringbool().default(false),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // `FOO=` (or `FOO: ${FOO:-}` in docker-compose) means "not set", not an invalid value.
  const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = configSchema.safeParse(set);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  // A process running one part shares the database and Temporal with the others: the
  // embedded defaults (PGlite, a dev server of its own) would give each its own.
  const c = parsed.data;
  const missing = c.ROLE === 'all' ? [] : (['DATABASE_URL', 'TEMPORAL_ADDRESS'] as const).filter((k) => !c[k]);
  if (missing.length) throw new ConfigError(`Invalid configuration:\n${missing.map((k) => `  ${k}: required when ROLE=${c.ROLE} (every process of a scaled deployment shares one database and one Temporal)`).join('\n')}`);
  return c;
}
