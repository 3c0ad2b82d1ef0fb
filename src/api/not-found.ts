// Unknown paths answer a JSON 404; a known path asked with a method it does not
// take answers 405 with the Allow header naming the methods it does. A browser's page
// load gets the console's page instead of JSON.
import type { FastifyReply, FastifyRequest } from 'fastify';

export function notFoundHandler(routes: { method: string; url: string }[], opts: { page?: { wants(req: FastifyRequest): boolean; send(req: FastifyRequest, reply: FastifyReply): FastifyReply } } = {}) {
  const patterns = routes.map((r) => ({ method: r.method, path: new RegExp(`^${r.url.replace(/:\w+/g, '[^/]+')}$`) }));
  return (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split('?')[0]!;
    const methods = new Set(patterns.filter((p) => p.path.test(path)).map((p) => p.method));
    if (methods.has('GET')) methods.add('HEAD');
    if (methods.size > 0 && !methods.has(req.method)) {
      const allow = [...methods].join(', ');
      return reply.status(405).header('allow', allow).send({ error: { code: 'method_not_allowed', message: `${path} takes ${allow}, not ${req.method}` } });
    }
    // A person's browser gets a page with the way back; programs get JSON.
    if (opts.page?.wants(req)) return opts.page.send(req, reply);
    return reply.status(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url}` } });
  };
}
