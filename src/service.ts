// Starts the service from a config: database (migrated), Temporal (a local dev server
// unless TEMPORAL_ADDRESS is set) and the parts its ROLE runs (all of them by default:
// the HTTP API, the Temporal worker with the outbox relay, schedules and reservation
// sweeper, the chat receivers). Returns how to stop it.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config, Role } from './config.js';
import { checkConfig } from './config-check.js';
import { openDatabase, type Database } from './db/client.js';
import { applyMigrations } from './db/migrate.js';
import { seedPriceBook, seedSummary } from './ledger/metering/seed-prices.js';
import { parseSecretsKey, secretBox } from './secrets/secret-box.js';
import { failingConnections } from './anthropic/connection.js';
import { recordPendingAttributions } from './ledger/metering/unattributed.js';
import { startPgliteMaintenance } from './db/pglite-maintenance.js';
import { buildServer } from './api/server.js';
import { spoolLogOf, UsageSpool } from './gateway/usage-spool.js';
import { consoleOptionsFromConfig } from './console/options.js';
import { findTemporalCli } from './temporal/cli.js';
import { connectTemporal, lazyTemporal, type TemporalConnection } from './temporal/connection.js';
import { enableSearchAttributes } from './temporal/search-attributes.js';
import { startDevServer, type DevServer } from './temporal/dev-server.js';
import { installTemporalRuntime, startWorker } from './temporal/worker.js';
import { startOutboxRelay } from './temporal/outbox-relay.js';
import { outboxRoutes } from './temporal/outbox-routes.js';
import { requestService } from './services/requests.js';
import { paymentsFromConfig } from './payments/from-config.js';
import { withPaymentLinks } from './payments/payment-links.js';
import { buildNotifier } from './notify/from-config.js';
import { operatorChannel } from './notify/operators.js';
import { ensureAllSchedules, ScheduleProblems } from './temporal/schedules.js';
import { resumeAutoReloads } from './temporal/auto-reload.js';
import { failingEvents } from './ledger/outbox.js';
import { failingChannels } from './ledger/notices/channel-health.js';
import { startReservationSweeper } from './services/reservation-sweeper.js';
import { startCacheSync } from './ledger/cache-versions.js';
import { startStatusServer } from './status-server.js';
import { createLogging, logFormatOf, type Logging } from './observability/logging.js';
import { Metrics, outboxLagOf } from './observability/metrics.js';
import { workflowFailuresOf } from './temporal/workflow-failures.js';
import { Dependencies } from './observability/dependencies.js';
import { isNetworkFailure } from './observability/network-failure.js';
import { ConfigError } from './config.js';
import { startSlackApp } from '../bot/slack/app.js';
import { startTeamsBot } from '../bot/teams/bot.js';
import { trackingStripe } from './payments/stripe-reachability.js';

export interface RunningService {
  role: Role;
  url: string;
  operatorToken: string;
  temporal: { address: string; uiUrl: string | null };
  database: Database;
  stop(): Promise<void>;
}

/** The operator token from config, or one generated on first start and kept in the data folder. */
export function operatorTokenFor(config: Config, dataDir: string): string {
  if (config.OPERATOR_TOKEN) return config.OPERATOR_TOKEN;
  const file = join(dataDir, 'operator-token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const token = `op_${randomBytes(24).toString('base64url')}`;
  writeFileSync(file, token + '\n', { mode: 0o600 });
  return token;
}

/** What a process of each role runs. Every part is safe with any number of copies. */
export function partsOf(role: Role): { api: boolean; worker: boolean; chat: boolean } {
  return { api: role === 'all' || role === 'api', worker: role === 'all' || role === 'worker', chat: role === 'all' || role === 'chat' };
}

/**
 * `log`: where the service's own lines go; default the process's log (`logging`: pretty on
 * a terminal, JSON otherwise, LOG_FORMAT), which the API's request logs share.
 */
/**
 * Where links in messages lead: PUBLIC_URL, else this machine's own address (a wildcard bind
 * such as 0.0.0.0 is no address anyone can open, so 127.0.0.1 stands for it). Said once at start.
 */
export function consoleAddress(config: Pick<Config, 'PUBLIC_URL' | 'HOST' | 'PORT'>): string {
  if (config.PUBLIC_URL) return config.PUBLIC_URL;
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' || config.HOST === '' ? '127.0.0.1' : config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
  return `http://${host}:${config.PORT}`;
}

export async function startService(config: Config, logTo?: (msg: string) => void, logging: Logging = createLogging(logFormatOf(config.LOG_FORMAT, process.stdout.isTTY))): Promise<RunningService> {
  const log = logTo ?? logging.line;
  // Bad settings stop the start before anything runs (no database, no dev server).
  checkConfig(config);
  const makePayments = paymentsFromConfig(config);
  const dataDir = resolve(config.DATA_DIR);
  mkdirSync(dataDir, { recursive: true });
  const stack: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const close of stack.reverse()) await close().catch((err) => log(`shutdown: ${String(err)}`));
    stack.length = 0;
  };
  // Outside services that may be unreachable: the service serves without them (GET /health).
  const dependencies = new Dependencies(log, undefined, config.DEPENDENCY_RETRY_MAX_SECONDS * 1000);
  stack.push(async () => dependencies.stop());
  try {
    const database = await openDatabase({ url: config.DATABASE_URL, pgliteDir: join(dataDir, 'pglite'), transactionPooler: config.DATABASE_POOLER === 'transaction' });
    stack.push(() => database.close());
    const applied = await applyMigrations(database.prisma);
    const parts = partsOf(config.ROLE);
    if (!config.PUBLIC_URL) log(`links: messages link to ${consoleAddress(config)} (PUBLIC_URL is not set: set it to the address people open, e.g. https://usage.example.com)`);
    if (config.ROLE !== 'all') log(`role: ${config.ROLE} (${Object.entries(parts).filter(([, on]) => on).map(([p]) => p).join(', ')})`);
    log(`database: ${database.kind === 'postgres' ? 'PostgreSQL server' : `embedded PGlite in ${join(dataDir, 'pglite')}`}${applied.length ? `, applied ${applied.join(', ')}` : ', schema up to date'}`);
    // The pinned map's prices the book lacks (today's models): added, never changed.
    // Usage kept unpriced that the seed prices is priced after, while start-up goes on.
    const deferPricing = (pass: Promise<number>) => void pass.then(
      (n) => { if (n) log(`price book: ${n} unpriced usage event(s) priced by the pinned map`); },
      (err: unknown) => log(`price book: pricing usage kept unpriced failed (POST /v1/operator/usage/unpriced/price retries): ${err instanceof Error ? err.message : String(err)}`),
    );
    await seedPriceBook(database.prisma, new Date(), deferPricing).then((r) => log(seedSummary(r)), (err: unknown) => log(`price book: the pinned map was not applied: ${err instanceof Error ? err.message : String(err)}`));
    // Claude Code usage of mapped user.ids that a failed claim left unrecorded: recorded now.
    await recordPendingAttributions(database.prisma, new Date()).then(
      (r) => { if (r.attributed || r.notRecorded) log(`claude code: ${r.attributed} kept event(s) of mapped user.ids recorded, ${r.notRecorded} still refused`); },
      (err: unknown) => log(`claude code: kept events of mapped user.ids not recorded: ${err instanceof Error ? err.message : String(err)}`),
    );
    if (database.kind === 'pglite') {
      const maintenance = startPgliteMaintenance(database.sql, { everyMs: config.PGLITE_MAINTENANCE_MINUTES * 60_000, log });
      stack.push(() => maintenance.stop());
    }

    let devServer: DevServer | null = null;
    let address = config.TEMPORAL_ADDRESS;
    if (!address) {
      const cliPath = await findTemporalCli({ explicitPath: config.TEMPORAL_CLI, installIfMissing: true, log });
      devServer = await startDevServer({ cliPath, dataDir, namespace: config.TEMPORAL_NAMESPACE, log });
      stack.push(() => devServer!.stop());
      address = devServer.address;
      log(`temporal: local dev server at ${address}; UI ${devServer.uiUrl}`);
    }
    installTemporalRuntime(config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'trace' ? 'INFO' : 'WARN');
    // A Temporal frontend (TEMPORAL_ADDRESS) unreachable at start: the service starts
    // without it; what needs it (search attributes, the worker, schedules) starts once it
    // answers, and the outbox keeps what the ledger hands it meanwhile.
    let temporal: TemporalConnection;
    const whenTemporal: (() => Promise<void>)[] = [];
    try {
      temporal = await connectTemporal({ address, namespace: config.TEMPORAL_NAMESPACE, connectTimeoutMs: config.TEMPORAL_CONNECT_TIMEOUT_SECONDS * 1000 });
    } catch (err) {
      if (!config.TEMPORAL_ADDRESS || !isNetworkFailure(err)) throw err;
      dependencies.failed('temporal', err);
      temporal = lazyTemporal({ address, namespace: config.TEMPORAL_NAMESPACE });
      whenTemporal.push(async () => {}); // marks "deferred" even for a role with nothing else to start
    }
    stack.push(() => temporal.close());
    const temporalAddress = address;
    const onTemporal = async (start: () => Promise<void>) => {
      if (whenTemporal.length) whenTemporal.push(start);
      else await start();
    };
    // Workflows carry OrgSlug, Member, RequestStatus, AlertKind: registered here when the namespace lacks them.
    await onTemporal(() => enableSearchAttributes(temporal.client, temporal.connection, config.TEMPORAL_NAMESPACE, log));

    const db = database.prisma;
    const now = () => new Date();
    // One registry for the process: the API's routes, the worker's activities, the notices sent.
    const metrics = new Metrics();
    metrics.watchOutbox(outboxLagOf(db));
    metrics.watchWorkflows(workflowFailuresOf(temporal.client));
    metrics.watchDependencies(() => dependencies.states());
    const taskQueue = config.TEMPORAL_TASK_QUEUE;
    const payments = makePayments(db, log);
    if (payments.check) {
      // A wrong key is a configuration error; Stripe unreachable is not: we start, and
      // purchases fail (nothing charged) until it answers again.
      const refused = (err: unknown) => new ConfigError(`Invalid configuration:\n  STRIPE_SECRET_KEY: Stripe refused it: ${(err as Error).message}`);
      await payments.check().then(() => dependencies.ok('stripe'), (err: unknown) => {
        if (!isNetworkFailure(err)) throw refused(err);
        dependencies.failed('stripe', err);
        void dependencies.keepTrying('stripe', payments.check!, { onRefused: (e) => log(`stripe: ${refused(e).message.replace(/\n\s*/g, ' ')}`) });
      });
      // Stripe going away later: the same path, from the purchase that finds it gone.
      payments.purchases = trackingStripe(payments.purchases, dependencies, payments.check, (e) => log(`stripe: ${refused(e).message.replace(/\n\s*/g, ' ')}`));
    }
    const requests = requestService({
      db,
      client: temporal.client,
      taskQueue,
      timings: {
        remindAfterMs: config.REQUEST_REMIND_AFTER_MINUTES * 60_000,
        expireAfterMs: config.REQUEST_EXPIRE_AFTER_MINUTES * 60_000,
        cooldownAfterDenialMs: config.REQUEST_COOLDOWN_AFTER_DENIAL_MINUTES * 60_000,
      },
      now,
    });
    // What other processes change in the cached tables reaches this one within CACHE_SYNC_MS.
    const cacheSync = startCacheSync(db, { intervalMs: config.CACHE_SYNC_MS, log });
    stack.push(() => cacheSync.stop());
    // Chat apps first: the worker's notifier sends through them. A worker without the
    // chat role only sends; a chat process without the worker role only receives.
    const chatApps = parts.chat || parts.worker;
    const slack = chatApps ? await startSlackApp({ config, db, requests, log, listen: parts.chat, purchases: payments.purchases, dependencies }) : null;
    if (slack) {
      stack.push(() => slack.stop());
      if (parts.chat) log(`slack: app running${slack.url ? ` at ${slack.url}` : ' (Socket Mode)'}`);
    }
    const teams = chatApps ? await startTeamsBot({ config, db, requests, log, listen: parts.chat, purchases: payments.purchases, dependencies }) : null;
    if (teams) stack.push(() => teams.stop());
    const schedules = new ScheduleProblems();
    // Connected orgs (docs/claude.md): their Admin API keys open with SECRETS_KEY.
    const anthropic = config.SECRETS_KEY ? { box: secretBox(parseSecretsKey(config.SECRETS_KEY)), baseUrl: config.ANTHROPIC_API_BASE } : undefined;
    const anthropicPoll = { everySeconds: config.ANTHROPIC_POLL_SECONDS, remindAfterMs: config.REQUEST_REMIND_AFTER_MINUTES * 60_000, limitsEverySeconds: config.ANTHROPIC_LIMITS_POLL_SECONDS };
    if (parts.worker) {
      const channels = buildNotifier(config, db, log, [...(slack ? [{ name: 'slack', notifier: slack.notifier }] : []), ...(teams ? [{ name: 'teams', notifier: teams.notifier }] : [])], metrics, dependencies);
      stack.push(async () => channels.close());
      // Operator alerts (usage kept unpriced) go to the log and OPERATOR_EMAIL, never to chat.
      const operators = operatorChannel(config, db, log);
      stack.push(async () => operators.close());
      const workerOptions: Parameters<typeof startWorker>[0] = { address: temporalAddress, namespace: config.TEMPORAL_NAMESPACE, taskQueue, deps: { db, notifier: withPaymentLinks(channels.notifier, { db, purchases: payments.purchases, log }), payments: payments.provider, now, operators, publicUrl: consoleAddress(config), anthropic, cooldownAfterDenialMs: config.REQUEST_COOLDOWN_AFTER_DENIAL_MINUTES * 60_000 }, metrics, workflowBundlePath: config.WORKFLOW_BUNDLE };
      // A worker whose Temporal went away for good ends with an error: it is started
      // again once Temporal answers (with back-off), and the process goes on serving.
      let worker: Awaited<ReturnType<typeof startWorker>> | null = null;
      let stopping = false;
      const supervise = (w: Awaited<ReturnType<typeof startWorker>>) => void w.done.catch((err: unknown) => {
        if (stopping) return;
        if (isNetworkFailure(err)) dependencies.failed('temporal', err);
        else log(`temporal: the worker stopped: ${err instanceof Error ? err.message : String(err)}; starting it again`);
        void dependencies.keepTrying('temporal', async () => {
          worker = await startWorker(workerOptions);
          supervise(worker);
        }, { onRefused: (e) => log(`temporal: the worker could not be started again: ${e instanceof Error ? e.message : String(e)}`) });
      });
      await onTemporal(async () => {
        worker = await startWorker(workerOptions);
        supervise(worker);
      });
      stack.push(async () => {
        stopping = true;
        await worker?.stop();
      });
      const relay = startOutboxRelay({ db, client: temporal.client, taskQueue, requests, schedules, log, dependencies }, outboxRoutes({ anthropicPoll }), { log });
      stack.push(() => relay.stop());
      const sweeper = startReservationSweeper(db, { log });
      stack.push(() => sweeper.stop());
      await onTemporal(async () => {
        // Digest and month-end Schedules per org, created or brought up to date at every start.
        const scheduled = await ensureAllSchedules(temporal.client, db, taskQueue, schedules, anthropicPoll);
        log(`temporal: schedules ensured for ${scheduled.ensured} organisation(s)`);
        for (const f of scheduled.failed) log(`temporal: schedules of organisation ${f.orgId} NOT ensured (see GET /health): ${f.error}`);
        // Team orgs already at or below their auto-reload threshold get their reload now.
        const reloads = await resumeAutoReloads(temporal.client, db, taskQueue);
        if (reloads.requested.length) log(`auto-reload: reload requested for ${reloads.requested.length} organisation(s) at or below their threshold`);
        for (const f of reloads.failed) log(`auto-reload: reload of organisation ${f.orgId} NOT requested: ${f.error}`);
      });
    }
    if (whenTemporal.length) {
      const deferred = dependencies.keepTrying('temporal', () => temporal.client.workflowService.getSystemInfo({}), {
        onUp: async () => {
          for (const start of whenTemporal.splice(0)) {
            await start().catch((err: unknown) => log(`temporal: reached, but starting what needs it failed: ${err instanceof Error ? err.message : String(err)}`));
          }
        },
      });
      // Stopping: no more tries, and what is starting finishes before the connection closes
      // (a call still in flight on a closed channel would throw from a timer).
      stack.push(async () => {
        dependencies.stop();
        await deferred;
      });
    }

    const operatorToken = operatorTokenFor(config, dataDir);
    const health = async () => {
      const outbox = await failingEvents(db);
      const failingSchedules = schedules.list();
      // Teams: an org whose Microsoft Teams tenant is unknown cannot be reached proactively.
      const teamsHealth = teams ? await teams.health() : null;
      const failingNotices = await failingChannels(db);
      // Connected orgs whose last poll did not reach Anthropic (unreachable, 429, 5xx, a refused key).
      const failingAnthropic = await failingConnections(db);
      // Outside services unreachable now (slack, teams, smtp, stripe, temporal, oidc:<org>), since when.
      const failingDependencies = dependencies.failing();
      return {
        // Still serving; something needs the operator.
        ...(outbox.count || failingSchedules.length || failingNotices.length || failingAnthropic.length || failingDependencies.length ? { status: 'degraded' } : {}),
        dependencies: { failing: failingDependencies },
        anthropic: { failing: failingAnthropic },
        database: database.kind,
        temporal: { address, namespace: config.TEMPORAL_NAMESPACE, taskQueue },
        schedules: { failing: failingSchedules },
        outbox: { failing: outbox.count, oldestFailing: outbox.oldest },
        ...(teamsHealth ? { teams: teamsHealth, ...(teamsHealth.tenantUnknown.length || teamsHealth.unreachable?.length ? { status: 'degraded' } : {}) } : {}),
        // Notice channels reported failing for an org (src/ledger/notices/channel-health.ts).
        notices: { failing: failingNotices },
      };
    };
    if (!parts.api) {
      // Worker and chat processes answer GET /health only, for the orchestrator.
      const status = await startStatusServer({ port: config.PORT, host: config.HOST, role: config.ROLE, health, metrics: { registry: metrics, operatorToken } });
      stack.push(() => status.close());
      return { role: config.ROLE, url: status.url, operatorToken, temporal: { address, uiUrl: devServer?.uiUrl ?? null }, database, stop };
    }
    // The gateway's usage waiting for the ledger, on disk: what a process stopped (even
    // killed) before recording left is recorded by the next one on this folder.
    const spool = await UsageSpool.open(join(dataDir, 'gateway-spool'), spoolLogOf(log), config.GATEWAY_SPOOL_TAKEOVER_SECONDS * 1000);
    stack.push(() => spool.close());
    const app = buildServer({
      db,
      operatorToken,
      now,
      requests,
      reservationTtlMs: config.RESERVATION_TTL_SECONDS * 1000,
      requestCooldownAfterDenialMs: config.REQUEST_COOLDOWN_AFTER_DENIAL_MINUTES * 60_000,
      identity: { sessionSecret: config.SESSION_SECRET },
      ...(config.TRUST_PROXY !== undefined ? { trustProxy: config.TRUST_PROXY } : {}),
      logLevel: config.LOG_LEVEL,
      dependencies,
      http: { headersTimeoutMs: config.HTTP_HEADERS_TIMEOUT_MS, requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS, keepAliveTimeoutMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS, maxConnectionsPerClient: config.HTTP_MAX_CONNECTIONS_PER_CLIENT },
      logStream: logging.stream,
      health,
      payments,
      console: consoleOptionsFromConfig(config),
      consoleUrl: consoleAddress(config),
      metrics,
      anthropic,
      gateway: { upstreamUrl: config.GATEWAY_UPSTREAM_URL, ...(config.GATEWAY_UPSTREAM_API_KEY ? { deploymentKey: config.GATEWAY_UPSTREAM_API_KEY } : {}), spool },
    });
    stack.push(() => app.close());
    const url = await app.listen({ port: config.PORT, host: config.HOST });
    return { role: config.ROLE, url, operatorToken, temporal: { address, uiUrl: devServer?.uiUrl ?? null }, database, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
