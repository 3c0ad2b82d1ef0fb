// The Slack app: the real @slack/bolt App over HTTP (signed requests) or Socket Mode
// (SLACK_APP_TOKEN), serving one workspace (SLACK_BOT_TOKEN + SLACK_ORG_SLUG) or
// many (OAuth install into the SlackInstallation table). Returns the Slack notifier
// for the workflows' activities.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { App, HTTPReceiver, SocketModeReceiver, webApi, type Authorize, type HTTPReceiverOptions, type InstallationStore, type Receiver } from '@slack/bolt';

type InstallPathOptions = NonNullable<NonNullable<HTTPReceiverOptions['installerOptions']>['installPathOptions']>;
import type { Db } from '../../src/db/client.js';
import type { Notifier } from '../../src/notify/port.js';
import type { RequestService } from '../../src/services/requests.js';
import type { SlackDeps } from './deps.js';
import { ledgerPurchases, type Purchases } from '../../src/payments/purchases.js';
import { registerListeners } from './listeners/index.js';
import { boltLogger } from './logger.js';
import { slackNotifier } from './notifier.js';
import { ConfigError } from '../../src/config.js';
import type { Dependencies } from '../../src/observability/dependencies.js';
import { isNetworkFailure } from '../../src/observability/network-failure.js';
import { slackSettings, type SlackConfig, type SlackSettings } from './settings.js';
import { databaseInstallationStore, installLink, installLinkUsed, InstallRefused, singleWorkspace, verifyInstallLink, type Workspaces } from './workspaces.js';

/** What the bot may do; the manifest (bot/slack/manifest.json) asks for the same. */
export const BOT_SCOPES = ['chat:write', 'commands', 'im:write', 'channels:join', 'users:read', 'users:read.email'];

export interface SlackAppOptions {
  config: SlackConfig & { HOST?: string; LOG_LEVEL?: string; REQUEST_COOLDOWN_AFTER_DENIAL_MINUTES?: number };
  db: Db;
  requests: RequestService;
  now?: () => Date;
  log?: (line: string) => void;
  /** Extra Web API client options (tests turn retries off). */
  clientOptions?: webApi.WebClientOptions;
  /** How owners buy balance (default: the ledger-only provider, credited at once). */
  purchases?: Purchases;
  /** false: only the notifier (a worker process sends; the chat processes receive). Default true. */
  listen?: boolean;
  /**
   * Where Slack being unreachable is reported. Set: a network failure at start does not
   * stop it (auth.test is retried with back-off); unset: it throws, as a refusal does.
   */
  dependencies?: Dependencies;
  /** Back-off of those retries (tests shorten it). */
  retry?: { firstDelayMs?: number; maxDelayMs?: number };
}

export interface RunningSlackApp {
  app: App;
  settings: SlackSettings;
  notifier: Notifier;
  workspaces: Workspaces;
  /** Base URL of the Slack HTTP endpoints (/slack/events, /slack/install), null in Socket Mode without OAuth. */
  url: string | null;
  /** OAuth mode: the signed link that installs the app for an org (null in single-workspace mode). */
  installLink(orgSlug: string): string | null;
  stop(): Promise<void>;
}

/** Starts the Slack app, or returns null when Slack is not configured. */
export async function startSlackApp(opts: SlackAppOptions): Promise<RunningSlackApp | null> {
  const settings = slackSettings(opts.config);
  if (!settings) return null;
  const log = opts.log ?? ((line: string) => console.log(line));
  const logger = boltLogger(log, opts.config.LOG_LEVEL ?? 'info');
  const clientOptions: webApi.WebClientOptions = {
    ...(settings.apiUrl ? { slackApiUrl: settings.apiUrl } : {}),
    retryConfig: { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 4000 },
    timeout: 10_000,
    logger,
    ...opts.clientOptions,
  };
  const clients = new Map<string, webApi.WebClient>();
  const clientFor = (token: string) => {
    let c = clients.get(token);
    if (!c) clients.set(token, (c = new webApi.WebClient(token, clientOptions)));
    return c;
  };

  let workspaces: Workspaces;
  let store: (InstallationStore & Workspaces) | null = null;
  let authorize: Authorize<boolean> | undefined;
  if (settings.workspaces.kind === 'single') {
    const { botToken, orgSlug } = settings.workspaces;
    const single = singleWorkspace(opts.db, { botToken, orgSlug });
    const identify = async () => {
      const who = await clientFor(botToken).auth.test();
      if (!who.team_id || !who.user_id) throw new ConfigError('Invalid configuration:\n  SLACK_BOT_TOKEN: Slack auth.test returned no team or user id for it');
      single.learn({ teamId: who.team_id, botUserId: who.user_id, ...(who.bot_id ? { botId: who.bot_id } : {}) });
      if (!(await opts.db.organization.findUnique({ where: { slug: orgSlug } }))) log(`slack: org '${orgSlug}' (SLACK_ORG_SLUG) is not provisioned yet; workspace ${who.team_id} will serve it once it is`);
    };
    // Slack answering "no" (invalid_auth, a revoked token) is a configuration error and
    // stops the start; Slack not answering at all is not: we start without it, and
    // auth.test is tried again with back-off until it answers.
    const refusal = (err: unknown) => err instanceof ConfigError ? err : new ConfigError(`Invalid configuration:\n  SLACK_BOT_TOKEN: Slack refused it (auth.test): ${(err as Error).message}`);
    try {
      await identify();
      opts.dependencies?.ok('slack');
    } catch (err) {
      if (!isNetworkFailure(err) || !opts.dependencies) throw isNetworkFailure(err) ? new Error(`Slack could not be reached (network failure, auth.test): ${(err as Error).message}`) : refusal(err);
      opts.dependencies.failed('slack', err);
      void opts.dependencies.keepTrying('slack', identify, {
        ...opts.retry,
        onRefused: (e) => log(`slack: ${refusal(e).message.replace(/\n\s*/g, ' ')}: Slack events are refused until the token is fixed and the service restarted`),
      });
    }
    workspaces = single;
    authorize = async (source) => {
      const who = single.identity;
      if (!who) throw new Error('Slack has not answered auth.test yet (network failure at start): the workspace of SLACK_BOT_TOKEN is not known');
      if (source.teamId && source.teamId !== who.teamId) throw new Error(`workspace ${source.teamId} is not the one SLACK_BOT_TOKEN belongs to (${who.teamId})`);
      return { botToken, botUserId: who.botUserId, ...(who.botId ? { botId: who.botId } : {}), teamId: who.teamId };
    };
  } else {
    store = databaseInstallationStore(opts.db);
    workspaces = store;
  }

  // OAuth: /slack/install only accepts an operator's signed link naming the org; the
  // org then travels in Bolt's signed OAuth state to the installation store.
  let receiverRef: { installer?: { handleInstallPath: (...a: any[]) => Promise<void> } } | null = null;
  const oauth = settings.workspaces.kind === 'oauth' ? settings.workspaces : null;
  const installPathOptions: InstallPathOptions | undefined = oauth
    ? {
        beforeRedirection: async (req, res) => {
          const url = new URL(req.url ?? '/', 'http://localhost');
          const check = verifyInstallLink(oauth.stateSecret, url.searchParams, (opts.now ?? (() => new Date()))());
          const org = check.ok ? await opts.db.organization.findUnique({ where: { slug: check.slug } }) : null;
          const refuse = (why: string) => {
            res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' });
            res.end(`${why} Ask the operator of the extra usage service for a new link for your organisation.\n`);
            return false;
          };
          if (!check.ok && check.reason === 'expired') return refuse('This install link has expired.');
          if (!check.ok || !org) return refuse('This install link is not valid.');
          if (await installLinkUsed(opts.db, check.link)) return refuse('This install link was already used.');
          await receiverRef!.installer!.handleInstallPath(req, res, undefined, { scopes: BOT_SCOPES, metadata: JSON.stringify({ org: check.slug, link: check.link }) });
          return false;
        },
      }
    : undefined;
  const oauthOptions = oauth && store
    ? {
        clientId: oauth.clientId,
        clientSecret: oauth.clientSecret,
        stateSecret: oauth.stateSecret,
        installationStore: store,
        scopes: BOT_SCOPES,
        installerOptions: {
          installPath: '/slack/install',
          redirectUriPath: '/slack/oauth_redirect',
          directInstall: true,
          installPathOptions: installPathOptions!,
          clientOptions,
          callbackOptions: {
            success: (installation: { team?: { name?: string } | undefined }, _o: unknown, _req: unknown, res: import('node:http').ServerResponse) => {
              res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
              res.end(`Installed in ${installation.team?.name ?? 'your workspace'}. Members can now type ${settings.command} or open the app's Home tab.\n`);
            },
            failure: (error: Error, _o: unknown, _req: unknown, res: import('node:http').ServerResponse) => {
              res.writeHead(error instanceof InstallRefused ? 403 : 500, { 'content-type': 'text/plain; charset=utf-8' });
              res.end(`Installation failed: ${error instanceof InstallRefused ? error.message : 'please try again, or ask the operator'}.\n`);
            },
          },
          ...(settings.transport.kind === 'socket' ? { port: settings.port } : {}),
        },
      }
    : {};

  const health = { path: '/slack/health', method: ['GET'], handler: (_req: unknown, res: import('node:http').ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  } };
  let receiver: Receiver & { installer?: unknown };
  if (settings.transport.kind === 'socket') {
    receiver = new SocketModeReceiver({
      appToken: settings.transport.appToken,
      logger,
      ...oauthOptions,
      ...(oauth ? {} : { installerOptions: { clientOptions } }),
      ...(oauth ? { customRoutes: [health] } : {}),
    });
  } else {
    receiver = new HTTPReceiver({
      signingSecret: settings.transport.signingSecret,
      endpoints: '/slack/events',
      logger,
      customRoutes: [health],
      ...oauthOptions,
    });
  }
  receiverRef = receiver as unknown as typeof receiverRef;

  const app = new App({ receiver, logger, clientOptions, ...(authorize ? { authorize } : {}) });
  const deps: SlackDeps = { db: opts.db, requests: opts.requests, workspaces, now: opts.now ?? (() => new Date()), log, command: settings.command, purchases: opts.purchases ?? ledgerPurchases(opts.db), ...(settings.publicUrl ? { publicUrl: settings.publicUrl } : {}), ...(opts.config.REQUEST_COOLDOWN_AFTER_DENIAL_MINUTES !== undefined ? { requestCooldownMs: opts.config.REQUEST_COOLDOWN_AFTER_DENIAL_MINUTES * 60_000 } : {}) };
  registerListeners(app, deps);
  app.error(async (error) => {
    log(`slack: listener failed: ${error.message}${(error as { original?: Error }).original ? ` (${(error as { original?: Error }).original!.message})` : ''}`);
  });

  let url: string | null = null;
  if (opts.listen === false) {
    log('slack: sending only (this process does not receive Slack events)');
  } else if (settings.transport.kind === 'http') {
    const server = (await app.start({ port: settings.port, host: opts.config.HOST ?? '127.0.0.1' })) as Server;
    const address = server.address() as AddressInfo;
    url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
    log(`slack: HTTP receiver at ${url}/slack/events (${settings.workspaces.kind === 'oauth' ? `OAuth install at ${url}/slack/install` : 'one workspace'})`);
  } else {
    // Socket Mode opens its connection through Slack: unreachable, it is opened once Slack answers.
    const connect = () => app.start();
    await connect().catch((err: unknown) => {
      if (!isNetworkFailure(err) || !opts.dependencies) throw err;
      opts.dependencies.failed('slack', err);
      void opts.dependencies.keepTrying('slack', connect, { ...opts.retry, onRefused: (e) => log(`slack: Socket Mode refused (SLACK_APP_TOKEN): ${(e as Error).message}`) });
    });
    if (oauth) url = `http://${opts.config.HOST ?? '127.0.0.1'}:${settings.port}`;
    log(`slack: connected in Socket Mode (${settings.workspaces.kind === 'oauth' ? `OAuth install at ${url}/slack/install` : 'one workspace'})`);
  }

  const notifier = slackNotifier({ db: opts.db, workspaces, clientFor, log, command: settings.command });
  return {
    app,
    settings,
    notifier,
    workspaces,
    url,
    installLink: (slug) => (oauth ? installLink(settings.publicUrl ?? url ?? 'http://localhost', oauth.stateSecret, slug) : null),
    async stop() {
      if (opts.listen === false) return;
      await app.stop().catch((err: Error) => log(`slack: stop: ${err.message}`));
    },
  };
}
