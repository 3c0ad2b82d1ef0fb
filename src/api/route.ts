// One declaration per endpoint: its schemas validate the request and also produce
// the OpenAPI document, so the docs cannot drift from what is enforced.
import type { FastifyReply, FastifyRequest, preParsingHookHandler } from 'fastify';
import type { ZodType } from 'zod';
import type { ApiKey } from '../generated/prisma/client.js';
import type { Actor } from '../identity/people.js';
import type { OrgWithTiers } from '../ledger/limits-state.js';

/** operator: the operator token; usage: a gateway's API key; person: someone signed in (or a key acting for them). */
export type AuthKind = 'none' | 'operator' | 'usage' | 'person';

export interface AuthContext {
  apiKey?: ApiKey;
  org?: OrgWithTiers;
  /** The member acting (person routes), from verified credentials; their stored role decides. */
  actor?: Actor;
}

export interface HandlerContext<B, P, Q> {
  body: B;
  params: P;
  query: Q;
  auth: AuthContext;
  request: FastifyRequest;
  reply: FastifyReply;
}

export interface RouteSpec<B = unknown, P = unknown, Q = unknown> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  summary: string;
  tag: string;
  auth: AuthKind;
  body?: ZodType<B>;
  params?: ZodType<P>;
  query?: ZodType<Q>;
  /** Example or schema of a successful answer, for the docs. */
  response?: ZodType;
  status?: number;
  /** Successful answers other than `status`, with when they happen (e.g. 200 on a replay). */
  otherSuccess?: Record<number, string>;
  /**
   * Refusals particular to this route (404, 409, 422, 503), with when. The OpenAPI
   * builder adds those every route of its kind shares (400, 401, 403, 413-415).
   */
  refusals?: Record<number, string>;
  /**
   * Media types the body may come in besides application/json, with what each carries
   * (for the docs). The route installs their parsers, which must produce the shape
   * `body` validates.
   */
  bodyMediaTypes?: Record<string, string>;
  /** Media types a successful answer may come in besides application/json (for the docs). */
  responseMediaTypes?: Record<string, string>;
  /** A hook on this route's raw body before it is parsed (a webhook's signed bytes, gzip): only its requests pay for it. */
  preParsing?: preParsingHookHandler;
  handler(ctx: HandlerContext<B, P, Q>): Promise<unknown>;
}

export function defineRoute<B = undefined, P = undefined, Q = undefined>(spec: RouteSpec<B, P, Q>): RouteSpec<B, P, Q> {
  return spec;
}

export type AnyRoute = RouteSpec<any, any, any>;
