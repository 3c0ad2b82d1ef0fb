// The HTTP face of a process that serves no API (ROLE=worker or chat): GET /health,
// so an orchestrator can check it like an API process, and GET /metrics with the
// operator token. Nothing else is served.
import Fastify from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Role } from './config.js';
import type { Metrics } from './observability/metrics.js';

const digest = (s: string) => createHash('sha256').update(s).digest();
/** Compared in constant time (digests of equal length). */
const sameSecret = (given: string, expected: string) => timingSafeEqual(digest(given), digest(expected));

export interface StatusServer {
  url: string;
  close(): Promise<void>;
}

export async function startStatusServer(opts: { port: number; host: string; role: Role; health: () => Promise<Record<string, unknown>>; metrics?: { registry: Metrics; operatorToken: string } }): Promise<StatusServer> {
  const app = Fastify({ logger: false });
  const metrics = opts.metrics;
  if (metrics) {
    // This process's own metrics (activity and notice failures of a worker), for a scraper holding the operator token.
    app.get('/metrics', async (req, reply) => {
      if (!sameSecret(req.headers.authorization ?? '', `Bearer ${metrics.operatorToken}`)) return reply.code(401).send({ error: 'unauthorized', message: 'GET /metrics needs the operator token (Authorization: Bearer …)' });
      const { contentType, body } = await metrics.registry.exposition();
      return reply.type(contentType).send(body);
    });
  }
  app.get('/health', async (_req, reply) => {
    try {
      return { status: 'ok', role: opts.role, ...(await opts.health()) };
    } catch (err) {
      // The database is unreachable: not ready.
      return reply.code(503).send({ status: 'unavailable', role: opts.role, error: (err as Error).message });
    }
  });
  const url = await app.listen({ port: opts.port, host: opts.host });
  return { url, close: () => app.close() };
}
