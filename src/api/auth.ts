// Authentication: the operator token for provisioning, org API keys for gateways,
// and people: a session from a sign-in link, a token from the org's own OpenID
// Provider, or a key issued to act for members (src/identity/people.ts). The acting
// member's stored role then decides what they may do.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/client.js';
import { resolvePerson, type PeopleAuth } from '../identity/people.js';
import { authenticateApiKey } from '../ledger/settings/api-keys.js';
import { orgSnapshot } from '../ledger/limits-state.js';
import type { AuthContext, AuthKind } from './route.js';
import { HttpError } from './errors.js';

function bearer(request: FastifyRequest): string | null {
  const h = request.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m ? m[1]! : null;
}

const unauthorized = (message: string) => new HttpError(401, 'unauthorized', message, 'authorization');

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const header = (request: FastifyRequest, name: string) => {
  const v = request.headers[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
};

/** Present at all, even empty: an empty X-Actor beside a person's token is still a 400. */
const presentHeader = (request: FastifyRequest, name: string) => {
  const v = request.headers[name];
  return typeof v === 'string' ? v : undefined;
};

export async function authenticate(people: PeopleAuth, operatorToken: string, kind: AuthKind, request: FastifyRequest): Promise<AuthContext> {
  if (kind === 'none') return {};
  const token = bearer(request);
  if (!token) throw unauthorized('missing "Authorization: Bearer <token>" header');
  if (kind === 'operator') {
    if (!sameSecret(token, operatorToken)) throw unauthorized('invalid operator token');
    return {};
  }
  if (kind === 'usage') {
    const apiKey = await authenticateApiKey(people.db, token);
    if (!apiKey) throw unauthorized('invalid or revoked API key');
    if (!apiKey.scopes.includes('usage')) throw new HttpError(403, 'forbidden', "this API key lacks the 'usage' scope");
    return { apiKey, org: await orgSnapshot(people.db, apiKey.orgId) };
  }
  const acting = await resolvePerson(people, { token, actorRef: presentHeader(request, 'x-actor'), orgSlug: header(request, 'x-org') });
  return { apiKey: acting.apiKey, org: acting.org, actor: acting.actor };
}
