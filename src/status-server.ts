// The HTTP face of a process that serves no API (ROLE=worker or chat): GET /health,
// so an orchestrator can check it like an API process. Nothing else is served.
import Fastify from 'fastify';
import type { Role } from './config.js';

export interface StatusServer {
  url: string;
  close(): Promise<void>;
}

export async function startStatusServer(opts: { port: number; host: string; role: Role; health: () => Promise<Record<string, unknown>> }): Promise<StatusServer> {
  const app = Fastify({ logger: false });
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
