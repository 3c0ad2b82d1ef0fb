// The HTTP API: validates every request against its route's schemas, authenticates
// it, and hands it to the ledger.
import { hkdfSync } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { CONSOLE_ROUTES, consolePlugin } from '../console/plugin.js';
import { signInThrottle } from '../identity/sign-in-throttle.js';
import type { ConsoleOptions } from '../console/deps.js';
import type { Db } from '../db/client.js';
import type { RequestService } from '../services/requests.js';
import { authenticate } from './auth.js';
import { createOidcVerifier, type OidcVerifier } from '../identity/oidc.js';
import type { PeopleAuth } from '../identity/people.js';
import { createSessions, deriveSessionSecret, type Sessions } from '../identity/sessions.js';
import { identityRoutes } from './routes/identity.js';
import { errorHandler, zodToHttp } from './errors.js';
import { notFoundHandler } from './not-found.js';
import { notFoundPage, wantsPage } from '../console/pages/not-found-page.js';
import { buildOpenApi } from './openapi.js';
import { defineRoute, type AnyRoute } from './route.js';
import { invoiceRoutes } from './routes/invoices.js';
import { metricsRoutes } from './routes/metrics.js';
import { metricsOf, outboxLagOf, useMetrics, type Metrics } from '../observability/metrics.js';
import { recordBatcherOf } from '../ledger/metering/record-batch.js';
import { claudeCodeUserRoutes } from './routes/claude-code-users.js';
import { operatorRoutes } from './routes/operator.js';
import { anthropicRoutes } from './routes/anthropic.js';
import type { AnthropicDeps } from '../anthropic/connection.js';
import { otlpRoutes } from './routes/otlp.js';
import { productRoutes } from './routes/products.js';
import { paymentsRoutes } from './routes/payments.js';
import { ledgerPurchases, type Purchases } from '../payments/purchases.js';
import type { StripeWebhook } from '../payments/stripe-webhook.js';
import { requestRoutes } from './routes/requests.js';
import { continueRoutes } from './routes/continue.js';
import { settingsRoutes } from './routes/settings.js';
import { spendRoutes } from './routes/spend.js';
import { noticeRoutes } from './routes/notices.js';
import { usageRoutes } from './routes/usage.js';
import { gatewayRoutes } from './routes/gateway.js';
import { GATEWAY_PREFIX, gatewayPlugin, type GatewayOptions } from './gateway-proxy.js';
import { UsageSpool } from '../gateway/usage-spool.js';

export interface ApiDeps {
  db: Db;
  operatorToken: string;
  now: () => Date;
  /** Extra health facts (database kind, Temporal) shown on GET /health. */
  health?: () => Promise<Record<string, unknown>>;
  /** How long a reservation holds before it is released unsettled. */
  reservationTtlMs?: number;
  /** Requests run on Temporal; without it the request routes answer 503. */
  requests?: RequestService;
  /**
   * How people prove who they are: sessions signed with a key derived from
   * SESSION_SECRET (default: from the operator token), and the OpenID verifier whose
   * caches every request shares.
   */
  identity?: { sessions?: Sessions; oidc?: OidcVerifier; sessionSecret?: string };
  /** After a denial a member may ask again only after this long (authorize's canRequestExtraUsage). */
  requestCooldownAfterDenialMs?: number;
  logLevel?: string;
  /** Where request logs go (src/observability/logging.ts: pretty or JSON, as the process's own lines); default stdout, JSON. */
  logStream?: { write(chunk: string): void };
  /** The web console's public address and legal texts (src/console/, docs/console.md). */
  console?: ConsoleOptions;
  /** The console's address for links in refusals (PUBLIC_URL, else the address the service listens on); default console.publicUrl. */
  consoleUrl?: string;
  /** Buying balance (default: credited at once, nobody charged) and, with Stripe, its webhook (src/payments/). */
  payments?: { purchases: Purchases; stripeWebhook?: StripeWebhook };
  /** The process's metrics (GET /metrics); default: this server's own. */
  metrics?: Metrics;
  /** TRUST_PROXY: the X-Forwarded-For hops to believe for the client's address. */
  trustProxy?: boolean | number | string;
  /** Outside services unreachable now (src/observability/dependencies.ts): the console reports an org's identity provider there. */
  dependencies?: Dependencies;
  /** Timeouts and the per-client connection cap (src/api/connection-limits.ts); default DEFAULT_HTTP_LIMITS. */
  http?: Partial<HttpLimits>;
  /** Connected orgs (docs/claude.md): SECRETS_KEY's box and the Admin API's address; unset: connecting answers 503. */
  anthropic?: AnthropicDeps;
  /** The built-in Claude gateway under /anthropic (docs/gateway.md): its upstream; default https://api.anthropic.com, no deployment-wide key. */
  gateway?: Pick<GatewayOptions, 'upstreamUrl' | 'deploymentKey' | 'checkBudgetMs' | 'onRecord'> & {
    /** Where its usage waits for the ledger (the service: DATA_DIR/gateway-spool); default in memory only. The opener closes it. */
    spool?: UsageSpool;
  };
}

import { createServer as createHttpServer } from 'node:http';
import type { Dependencies } from '../observability/dependencies.js';
import { capConnectionsPerClient, DEFAULT_HTTP_LIMITS, headersTimeoutOf, type HttpLimits } from './connection-limits.js';

export const API_VERSION = '0.1.0';

// Room for a 200-character id even fully percent-encoded; anything longer is our 414.
const MAX_PARAM_LENGTH = 2000;

/** Believe this many X-Forwarded-For hops (the nearest proxies first). */
const hopsOf = (hops: number) => (_address: string, hop: number) => hop < hops;

export function buildServer(deps: ApiDeps): FastifyInstance {
  const limits = { ...DEFAULT_HTTP_LIMITS, ...deps.http };
  const app = Fastify({
    logger: { level: deps.logLevel ?? 'silent', ...(deps.logStream ? { stream: deps.logStream } : {}) },
    bodyLimit: 4 * 1024 * 1024,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node's own server, for what Fastify does not pass on: the headers' deadline and how
    // often it is checked (Node's default, 30 s, would let a slow client stay that long).
    serverFactory: (handler) => createHttpServer({ headersTimeout: headersTimeoutOf(limits), requestTimeout: limits.requestTimeoutMs, keepAliveTimeout: limits.keepAliveTimeoutMs, connectionsCheckingInterval: 1_000 }, handler),
    ...(deps.trustProxy === undefined ? {} : { trustProxy: typeof deps.trustProxy === 'number' ? hopsOf(deps.trustProxy) : deps.trustProxy }),
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Bad URLs and over-long path parameters answer in our error shape too.
    frameworkErrors: (err, request, reply) => errorHandler(err, request, reply),
  });
  capConnectionsPerClient(app.server, limits.maxConnectionsPerClient, () => metricsOf(deps).connectionRefused());
  let notFound: ReturnType<typeof notFoundHandler> | undefined;
  // A request to no route is answered as such, even when its body was refused first.
  app.setErrorHandler((err: Error, request, reply) => (request.is404 && notFound ? notFound(request, reply) : errorHandler(err, request, reply)));
  // Bodies are JSON only: anything else is a 415, not a string for the schema to refuse.
  app.removeContentTypeParser('text/plain');
  // Rates and latencies per route pattern (console pages included), batch sizes and outbox lag on GET /metrics.
  if (deps.metrics) useMetrics(deps, deps.metrics);
  const metrics = metricsOf(deps);
  metrics.watchRecordBatches(recordBatcherOf(deps.db));
  // The gateway's usage waiting for the ledger (docs/gateway.md, failure policy): on /health and /metrics.
  const spool = deps.gateway?.spool ?? UsageSpool.inMemory(app.log);
  metrics.watchGatewaySpool(() => spool.backlog());
  metrics.watchOutbox(outboxLagOf(deps.db));
  // Every answer, JSON and errors included: never sniffed as another type; over https, https only.
  const hsts = deps.console?.publicUrl?.startsWith('https:') === true;
  // Callback hooks, not async ones: they run on every request, and a promise each is CPU
  // the metering hot path pays (issue 29).
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('x-content-type-options', 'nosniff');
    if (hsts) reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    metrics.httpAnswered(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  const sessions = deps.identity?.sessions ?? createSessions({ secret: deriveSessionSecret(deps.identity?.sessionSecret ?? deps.operatorToken) });
  const people: PeopleAuth = { db: deps.db, sessions, oidc: deps.identity?.oidc ?? createOidcVerifier() };
  const throttle = signInThrottle(() => metrics.signInThrottled());
  const routes: AnyRoute[] = [
    defineRoute({
      method: 'GET', url: '/health', tag: 'service', auth: 'none', summary: 'Liveness and readiness',
      async handler() {
        await deps.db.$queryRaw`SELECT 1`;
        const gateway = await spool.backlog();
        const waiting = gateway.waitingRecords > 0 || gateway.refusedRecords > 0;
        return { status: 'ok', version: API_VERSION, ...(deps.health ? await deps.health() : {}), gateway, ...(waiting ? { status: 'degraded' } : {}) };
      },
    }),
    ...usageRoutes(deps),
    ...otlpRoutes(deps, app),
    ...identityRoutes(deps, sessions, throttle),
    ...operatorRoutes(deps),
    ...claudeCodeUserRoutes(deps),
    ...anthropicRoutes(deps),
    ...gatewayRoutes(deps),
    ...settingsRoutes(deps),
    ...noticeRoutes(deps),
    ...productRoutes(deps),
    ...spendRoutes(deps),
    ...requestRoutes(deps),
    ...continueRoutes(deps),
    ...invoiceRoutes(deps),
    // Its webhook's route keeps the raw body the signature needs (a hook of that route only).
    ...paymentsRoutes(deps),
    ...metricsRoutes(deps),
  ];
  const openapi = buildOpenApi(routes, API_VERSION);
  app.get('/openapi.json', async () => openapi);
  notFound = notFoundHandler([...routes, { method: 'GET', url: '/openapi.json' }, ...CONSOLE_ROUTES], { page: { wants: wantsPage, send: notFoundPage } });
  app.setNotFoundHandler(notFound);
  // The web console: HTML pages on the same port, in their own plugin context.
  const secretSource = deps.identity?.sessionSecret ?? deps.operatorToken;
  const csrfKey = Buffer.from(hkdfSync('sha256', secretSource, 'extra-usage-control-plane', 'console csrf key v1', 32)).toString('base64url');
  app.register(consolePlugin({ ...deps.console, ...(deps.dependencies ? { dependencies: deps.dependencies } : {}), db: deps.db, now: deps.now, sessions, oidc: people.oidc, requests: deps.requests, requestCooldownAfterDenialMs: deps.requestCooldownAfterDenialMs, purchases: deps.payments?.purchases ?? ledgerPurchases(deps.db), csrfKey, signInThrottle: throttle, ...(deps.anthropic ? { anthropic: deps.anthropic } : {}) }));

  // The Claude gateway: Anthropic's paths, errors and bodies, in its own plugin context.
  app.register(gatewayPlugin({
    db: deps.db,
    now: deps.now,
    ...(deps.anthropic ? { box: deps.anthropic.box } : {}),
    upstreamUrl: deps.gateway?.upstreamUrl ?? 'https://api.anthropic.com',
    ...(deps.gateway?.deploymentKey ? { deploymentKey: deps.gateway.deploymentKey } : {}),
    ...(deps.gateway?.checkBudgetMs ? { checkBudgetMs: deps.gateway.checkBudgetMs } : {}),
    ...(deps.gateway?.onRecord ? { onRecord: deps.gateway.onRecord } : {}),
    spool,
    consoleUrl: deps.console?.publicUrl ?? null,
    ...(deps.reservationTtlMs ? { reservationTtlMs: deps.reservationTtlMs } : {}),
    ...(deps.requestCooldownAfterDenialMs !== undefined ? { requestCooldownAfterDenialMs: deps.requestCooldownAfterDenialMs } : {}),
  }), { prefix: GATEWAY_PREFIX });

  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.url,
      ...(route.preParsing ? { preParsing: route.preParsing } : {}),
      handler: async (request, reply) => {
        // Who is calling comes first: a stranger learns nothing about valid shapes.
        const auth = await authenticate(people, deps.operatorToken, route.auth, request);
        const parsed: Record<string, unknown> = {};
        for (const [key, schema] of [['params', route.params], ['query', route.query], ['body', route.body]] as const) {
          if (!schema) continue;
          // No body at all is an empty object (for bodies whose fields are all optional); a JSON null is not.
          const raw = key === 'body' ? (request.body === undefined ? {} : request.body) : request[key];
          const result = schema.safeParse(raw);
          if (!result.success) {
            const { status, body } = zodToHttp(result.error, key === 'body' ? '' : key);
            return reply.status(status).send(body);
          }
          parsed[key] = result.data;
        }
        if (route.status) reply.status(route.status);
        return route.handler({ body: parsed.body, params: parsed.params, query: parsed.query, auth, request, reply });
      },
    });
  }
  return app;
}
