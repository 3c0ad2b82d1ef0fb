// The Microsoft Teams bot: the Bot Framework's CloudAdapter behind POST
// /api/messages, on a server of its own (TEAMS_PORT) or on a Fastify instance the
// caller gives, plus the Teams notifier for the workflows' activities.
//
//   const teams = await startTeamsBot({ config, db, requests, log });
//   // teams?.notifier joins the notifier fan-out; teams?.stop() on shutdown
import Fastify, { type FastifyInstance } from 'fastify';
import { ConfigError } from '../../src/config.js';
import type { Db } from '../../src/db/client.js';
import type { Dependencies } from '../../src/observability/dependencies.js';
import { isNetworkFailure } from '../../src/observability/network-failure.js';
import type { Notifier } from '../../src/notify/port.js';
import type { RequestService } from '../../src/services/requests.js';
import type { BotTransport, HttpAnswer, HttpRequest } from './activity.js';
import { conversationStore } from './conversations.js';
import type { TeamsDeps } from './deps.js';
import { ledgerPurchases, type Purchases } from '../../src/payments/purchases.js';
import { teamsLogic } from './handlers.js';
import { teamsNotifier } from './notifier.js';
import { botFrameworkTransport } from './sdk.js';
import { teamsSettings, type TeamsConfig, type TeamsSettings } from './settings.js';
import { settingAtFault, TeamsTokenError } from './token-errors.js';

export const MESSAGES_PATH = '/api/messages';

export interface TeamsBotOptions {
  config: TeamsConfig & { REQUEST_COOLDOWN_AFTER_DENIAL_MINUTES?: number };
  db: Db;
  requests: RequestService;
  now?: () => Date;
  log?: (line: string) => void;
  /** Mount POST /api/messages on this Fastify instance (before it listens) instead of listening on TEAMS_PORT. */
  server?: FastifyInstance;
  /** How owners buy balance (default: the ledger-only provider, credited at once). */
  purchases?: Purchases;
  /** false: only the notifier (a worker process sends; the chat processes receive). Default true. */
  listen?: boolean;
  /** The service's outside services: given, the bot's token is asked for at start (a refusal stops it; no answer degrades 'teams'). */
  dependencies?: Dependencies;
}

export interface RunningTeamsBot {
  settings: TeamsSettings;
  /** The Teams channel of the notifier port. */
  notifier: Notifier;
  /** Base URL of the bot's own server (null when mounted on the given server). */
  url: string | null;
  /** Handles one request to /api/messages (what the route calls). */
  handle(request: HttpRequest): Promise<HttpAnswer>;
  /** For GET /health: orgs (slugs) whose Microsoft Teams tenant is unknown, so nobody can be reached proactively. */
  /** unreachable (only when someone is): members Teams refused a chat with, and why. */
  health(): Promise<{ tenantUnknown: string[]; unreachable?: { org: string; member: string; reason: string; since: string }[] }>;
  stop(): Promise<void>;
}

function mount(server: FastifyInstance, handle: RunningTeamsBot['handle']) {
  server.post(MESSAGES_PATH, async (req, reply) => {
    const answer = await handle({ method: req.method, headers: req.headers, body: req.body });
    reply.code(answer.status);
    if (answer.body === undefined || answer.body === null || answer.body === '') return reply.send();
    if (typeof answer.body === 'string') return reply.type('text/plain; charset=utf-8').send(answer.body);
    return reply.send(answer.body);
  });
}

/**
 * The bot's token for the Bot Connector, asked of Microsoft Entra at start (as Slack's
 * auth.test): Entra refusing it (a wrong secret, app id or tenant) is a configuration error
 * that stops the start naming the setting; Entra not answering is not: the bot starts,
 * 'teams' shows on GET /health, sends fail and retry, and the check is tried again with
 * back-off until a token comes.
 */
async function checkToken(transport: BotTransport, dependencies: Dependencies, log: (line: string) => void): Promise<void> {
  if (!transport.checkToken) return;
  const check = () => transport.checkToken!();
  const refusal = (err: unknown) => new ConfigError(`Invalid configuration:\n  ${err instanceof TeamsTokenError && err.setting ? err.setting : settingAtFault(err)}: ${(err as Error).message}`);
  try {
    await check();
    dependencies.ok('teams');
  } catch (err) {
    if (!isNetworkFailure(err)) throw refusal(err);
    dependencies.failed('teams', err);
    void dependencies.keepTrying('teams', check, {
      onRefused: (e) => log(`teams: ${refusal(e).message.replace(/\n\s*/g, ' ')}: messages to Teams fail until it is fixed and the service restarted`),
    });
  }
}

/** Starts the Teams bot, or returns null when Teams is not configured (no MICROSOFT_APP_ID). */
export async function startTeamsBot(opts: TeamsBotOptions): Promise<RunningTeamsBot | null> {
  const settings = teamsSettings(opts.config);
  if (!settings) return null;
  const log = opts.log ?? ((line: string) => console.log(line));
  const transport: BotTransport = botFrameworkTransport(settings, log);
  const conversations = conversationStore({ db: opts.db, transport, settings, log });
  const deps: TeamsDeps = { db: opts.db, requests: opts.requests, settings, transport, conversations, now: opts.now ?? (() => new Date()), log, purchases: opts.purchases ?? ledgerPurchases(opts.db), ...(opts.config.PUBLIC_URL ? { publicUrl: opts.config.PUBLIC_URL } : {}), ...(opts.config.REQUEST_COOLDOWN_AFTER_DENIAL_MINUTES !== undefined ? { requestCooldownMs: opts.config.REQUEST_COOLDOWN_AFTER_DENIAL_MINUTES * 60_000 } : {}) };
  if (opts.dependencies) await checkToken(transport, opts.dependencies, log);
  const logic = teamsLogic(deps);
  const handle = (request: HttpRequest) => transport.process(request, logic);

  const singleOrg = settings.orgSlug ? await opts.db.organization.findUnique({ where: { slug: settings.orgSlug }, select: { id: true, slug: true } }) : null;
  if (settings.orgSlug && !singleOrg) {
    log(`teams: org '${settings.orgSlug}' (TEAMS_ORG_SLUG) is not provisioned yet; Teams users will be told so until it is`);
  }
  // Told once at start (and on GET /health): proactive messages fail until the tenant is known.
  if (singleOrg) await conversations.tenantKnown(singleOrg.id, singleOrg.slug);
  if (settings.auth.kind === 'none') log('teams: WARNING running without authentication (TEAMS_ALLOW_UNAUTHENTICATED=true): anyone reaching /api/messages can act as any Teams user. Local Emulator use only.');

  let url: string | null = null;
  let own: FastifyInstance | null = null;
  if (opts.listen === false) {
    // Sending only: proactive messages need no endpoint of ours.
  } else if (opts.server) {
    mount(opts.server, handle);
  } else {
    own = Fastify({ logger: false });
    mount(own, handle);
    own.get('/api/health', async () => ({ ok: true }));
    const address = await own.listen({ port: settings.port, host: settings.host });
    url = address;
    log(`teams: bot endpoint at ${url}${MESSAGES_PATH} (${settings.auth.kind === 'none' ? 'unauthenticated' : `app ${settings.auth.kind === 'entra' ? settings.auth.appId : ''}`})`);
  }

  return {
    settings,
    notifier: teamsNotifier(deps),
    url,
    handle,
    async health() {
      // Whom Teams refused a chat with, in every org: kept in the database until a chat with them works.
      const unreachable = (await conversations.unreachable()).map((u) => ({ org: u.org, member: u.member, reason: u.reason, since: u.since.toISOString() }));
      const extra = unreachable.length ? { unreachable } : {};
      // Single-org mode only: other orgs are found by their own tenant id, so theirs is always known.
      if (!settings.orgSlug) return { tenantUnknown: [], ...extra };
      const org = await opts.db.organization.findUnique({ where: { slug: settings.orgSlug }, select: { id: true, slug: true } });
      if (!org) return { tenantUnknown: [], ...extra };
      return { tenantUnknown: !(await conversations.tenantKnown(org.id, org.slug)) ? [org.slug] : [], ...extra };
    },
    async stop() {
      await own?.close().catch((err: Error) => log(`teams: stop: ${err.message}`));
    },
  };
}
