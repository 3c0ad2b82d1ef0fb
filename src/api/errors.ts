// Turns every failure into one JSON error shape: a code, a message a person can act
// on, and the field at fault where there is one. Statuses: 400 the request does not
// match the published schema; 401/403 credentials and roles; 404 a thing named does
// not exist; 409 a conflict with stored state; 413/414/415 body size, path length,
// media type; 422 well-formed but refused by a rule that depends on stored state.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError, type core } from 'zod';
import { LedgerError } from '../ledger/errors.js';
import { isNetworkFailure } from '../observability/network-failure.js';

export interface ErrorBody {
  error: { code: string; message: string; field?: string; issues?: { field: string; message: string }[] };
}

export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly field?: string) {
    super(message);
  }
}

const fieldOf = (path: PropertyKey[], prefix: string) => [prefix, ...path.map(String)].filter(Boolean).join('.');

// An unknown key is named itself, so a client sees which key to drop.
function issuesOf(issue: core.$ZodIssue, prefix: string): { field: string; message: string }[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => ({ field: fieldOf([...issue.path, k], prefix), message: 'unknown field (see /openapi.json for the fields this call takes)' }));
  }
  return [{ field: fieldOf(issue.path, prefix) || prefix || 'body', message: issue.message }];
}

export function zodToHttp(err: ZodError, prefix: string): { status: number; body: ErrorBody } {
  const issues = err.issues.flatMap((i) => issuesOf(i, prefix));
  return {
    status: 400,
    body: {
      error: {
        code: 'invalid_request',
        message: issues.map((i) => `${i.field}: ${i.message}`).join('; '),
        field: issues[0]?.field,
        issues,
      },
    },
  };
}

// Fastify's own refusals (body parsing, routing) in our shape.
function frameworkError(fe: FastifyError, request: FastifyRequest): { code: string; message: string; field?: string } {
  switch (fe.statusCode) {
    case 413: return { code: 'payload_too_large', message: 'the body is larger than this API accepts (4 MiB)', field: 'body' };
    case 414: return { code: 'uri_too_long', message: 'a path parameter is far longer than any valid value', field: 'params' };
    case 415: return { code: 'unsupported_media_type', message: `send the body as application/json (got ${request.headers['content-type'] ?? 'no content-type'})`, field: 'content-type' };
    default: return { code: 'invalid_request', message: fe.message, ...(/body|JSON/i.test(fe.message) ? { field: 'body' } : {}) };
  }
}

export function errorHandler(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  if (err instanceof LedgerError || err instanceof HttpError) {
    return reply.status(err.status).send({ error: { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) } });
  }
  if (err instanceof ZodError) {
    const { status, body } = zodToHttp(err, '');
    return reply.status(status).send(body);
  }
  const fe = err as FastifyError;
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    return reply.status(fe.statusCode).send({ error: frameworkError(fe, request) });
  }
  // Something this request needs (Temporal, the database, a provider) did not answer:
  // not our bug, and worth trying again (GET /health names the part).
  if (isNetworkFailure(err)) {
    request.log.warn({ err }, 'request failed: a service it needs could not be reached');
    return reply.status(503).header('retry-after', '30').send({ error: { code: 'unavailable', message: 'a service this request needs could not be reached (network failure; see GET /health); try again later' } });
  }
  request.log.error({ err }, 'request failed');
  return reply.status(500).send({ error: { code: 'internal', message: 'internal error; see the service log' } });
}
