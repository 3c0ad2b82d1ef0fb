// Authentication: the operator token for provisioning, org API keys for metering
// and settings. Settings calls also name the acting member (X-Actor), whose stored
// role then decides what they may do.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/client.js';
import { authenticateApiKey } from '../ledger/api-keys.js';
import { loadOrg, orgSnapshot } from '../ledger/limits-state.js';
import { requireActiveMember } from '../ledger/members.js';
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

export async function authenticate(db: Db, operatorToken: string, kind: AuthKind, request: FastifyRequest): Promise<AuthContext> {
  if (kind === 'none') return {};
  const token = bearer(request);
  if (!token) throw unauthorized('missing "Authorization: Bearer <token>" header');
  if (kind === 'operator') {
    if (!sameSecret(token, operatorToken)) throw unauthorized('invalid operator token');
    return {};
  }
  const apiKey = await authenticateApiKey(db, token);
  if (!apiKey) throw unauthorized('invalid or revoked API key');
  if (!apiKey.scopes.includes(kind)) throw new HttpError(403, 'forbidden', `this API key lacks the '${kind}' scope`);
  if (kind === 'usage') return { apiKey, org: await orgSnapshot(db, apiKey.orgId) };
  const org = await loadOrg(db, apiKey.orgId);
  const actorRef = request.headers['x-actor'];
  if (typeof actorRef !== 'string' || !actorRef) {
    throw new HttpError(400, 'invalid_request', 'missing X-Actor header: the id or external id of the member acting', 'x-actor');
  }
  const actor = await requireActiveMember(db, org.id, actorRef, 'x-actor');
  return { apiKey, org, actor };
}
