// The HTTP API: validates every request against its route's schemas, authenticates
// it, and hands it to the ledger.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Db } from '../db/client.js';
import type { RequestService } from '../services/requests.js';
import { authenticate } from './auth.js';
import { errorHandler, zodToHttp } from './errors.js';
import { buildOpenApi } from './openapi.js';
import { defineRoute, type AnyRoute } from './route.js';
import { invoiceRoutes } from './routes/invoices.js';
import { metricsRoutes } from './routes/metrics.js';
import { operatorRoutes } from './routes/operator.js';
import { requestRoutes } from './routes/requests.js';
import { settingsRoutes } from './routes/settings.js';
import { usageRoutes } from './routes/usage.js';

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
  logLevel?: string;
}

export const API_VERSION = '0.1.0';

export function buildServer(deps: ApiDeps): FastifyInstance {
  const app = Fastify({ logger: { level: deps.logLevel ?? 'silent' }, bodyLimit: 4 * 1024 * 1024 });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => reply.status(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url}` } }));

  const routes: AnyRoute[] = [
    defineRoute({
      method: 'GET', url: '/health', tag: 'service', auth: 'none', summary: 'Liveness and readiness',
      async handler() {
        await deps.db.$queryRaw`SELECT 1`;
        return { status: 'ok', version: API_VERSION, ...(deps.health ? await deps.health() : {}) };
      },
    }),
    ...usageRoutes(deps),
    ...operatorRoutes(deps),
    ...settingsRoutes(deps),
    ...requestRoutes(deps),
    ...invoiceRoutes(deps),
    ...metricsRoutes(deps),
  ];
  const openapi = buildOpenApi(routes, API_VERSION);
  app.get('/openapi.json', async () => openapi);

  for (const route of routes) {
    app.route({
      method: route.method,
      url: route.url,
      handler: async (request, reply) => {
        // Who is calling comes first: a stranger learns nothing about valid shapes.
        const auth = await authenticate(deps.db, deps.operatorToken, route.auth, request);
        const parsed: Record<string, unknown> = {};
        for (const [key, schema] of [['params', route.params], ['query', route.query], ['body', route.body]] as const) {
          if (!schema) continue;
          const raw = key === 'body' ? (request.body ?? {}) : request[key];
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
