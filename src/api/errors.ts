// Turns every failure into one JSON error shape: a code, a message a person can act
// on, and the field at fault where there is one.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import { LedgerError } from '../ledger/errors.js';

export interface ErrorBody {
  error: { code: string; message: string; field?: string; issues?: { field: string; message: string }[] };
}

export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly field?: string) {
    super(message);
  }
}

const fieldOf = (path: PropertyKey[], prefix: string) => [prefix, ...path.map(String)].filter(Boolean).join('.');

export function zodToHttp(err: ZodError, prefix: string): { status: number; body: ErrorBody } {
  const issues = err.issues.map((i) => ({ field: fieldOf(i.path, prefix) || prefix, message: i.message }));
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
    return reply.status(fe.statusCode).send({ error: { code: fe.code ?? 'bad_request', message: fe.message } });
  }
  request.log.error({ err }, 'request failed');
  return reply.status(500).send({ error: { code: 'internal', message: 'internal error; see the service log' } });
}
