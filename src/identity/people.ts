// Who is acting, resolved once per request from verified credentials into the member
// whose stored role then decides what they may do. Three ways in:
// - a session (from a single-use sign-in link), signed by us;
// - a token from the org's own OpenID Provider (ID token or JWT access token);
// - an API key issued with the `act_for_members` scope, naming the member in X-Actor:
//   for an org's own trusted back end, audited as "key K acting for P".
// A `settings` key no longer acts for anyone. Nothing a caller claims (a header, a
// role in a token) grants anything by itself.
import { decodeProtectedHeader } from 'jose';
import type { Db } from '../db/client.js';
import type { ApiKey, Member } from '../generated/prisma/client.js';
import { authenticateApiKey } from '../ledger/settings/api-keys.js';
import { LedgerError } from '../ledger/errors.js';
import { loadOrg, type OrgWithTiers } from '../ledger/limits-state.js';
import { requireActiveMember } from '../ledger/settings/members.js';
import { IdentityError } from './errors.js';
import { memberOfClaims } from './member-of-claims.js';
import { unverifiedIssuer, type OidcVerifier } from './oidc.js';
import { SESSION_TYPE, type Sessions } from './sessions.js';

/** The member acting, and how they proved it (shown in the audit log as "via …"). */
export type Actor = Member & { via?: string };

export interface ActingPerson {
  org: OrgWithTiers;
  actor: Actor;
  /** The key acting for the person, when a back end does. */
  apiKey?: ApiKey;
}

export interface PersonCredentials {
  /** The bearer token as presented. */
  token: string;
  /** X-Actor: only with an `act_for_members` key. */
  actorRef?: string;
  /** X-Org (a slug): only needed when several orgs trust the same OpenID Provider. */
  orgSlug?: string;
}

export interface PeopleAuth {
  db: Db;
  sessions: Sessions;
  oidc: OidcVerifier;
}

const refused = (message: string) => new LedgerError(403, 'forbidden', message);
const badRequest = (field: string, message: string) => new LedgerError(400, 'invalid_request', message, field);

function jwtType(token: string): string | null | undefined {
  if (token.split('.').length !== 3) return undefined; // not a JWT at all
  try {
    return decodeProtectedHeader(token).typ ?? null;
  } catch {
    return undefined;
  }
}

export async function resolvePerson(deps: PeopleAuth, creds: PersonCredentials): Promise<ActingPerson> {
  const typ = jwtType(creds.token);
  if (typ === undefined) return actingKey(deps.db, creds);
  if (creds.actorRef !== undefined) throw badRequest('x-actor', 'X-Actor goes only with an API key that may act for members; a signed-in person acts as themself');
  if (typ === SESSION_TYPE) {
    const session = await deps.sessions.verify(creds.token);
    return person(deps.db, session.orgId, session.memberId, 'session', session.epoch);
  }
  return oidcPerson(deps, creds);
}

async function person(db: Db, orgId: string, memberId: string, via: string, epoch?: number): Promise<ActingPerson> {
  const member = await db.member.findFirst({ where: { id: memberId, orgId, removedAt: null } });
  if (!member) throw new IdentityError('unknown_member', 'the member this session belongs to is no longer in the organisation');
  if (epoch !== undefined && epoch !== member.sessionEpoch) throw new IdentityError('session_ended', 'this session has ended (signed out, or the member was removed or changed role): sign in again');
  return { org: await loadOrg(db, orgId), actor: { ...member, via } };
}

async function actingKey(db: Db, creds: PersonCredentials): Promise<ActingPerson> {
  const apiKey = await authenticateApiKey(db, creds.token);
  if (!apiKey) throw new IdentityError('malformed', 'invalid or revoked API key, and not a token of a signed-in person');
  if (!apiKey.scopes.includes('act_for_members')) {
    throw refused(apiKey.scopes.includes('settings')
      ? 'API keys with the "settings" scope no longer act for people: sign in (OpenID Connect or a sign-in link), or have the operator issue a key with the "act_for_members" scope for a trusted back end (docs/identity.md)'
      : 'this API key may not act for people: it needs the "act_for_members" scope');
  }
  if (!creds.actorRef) throw badRequest('x-actor', 'missing X-Actor header: the id or external id of the member this key acts for');
  const org = await loadOrg(db, apiKey.orgId);
  const member = await requireActiveMember(db, org.id, creds.actorRef, 'x-actor');
  return { org, apiKey, actor: { ...member, via: `api_key:${apiKey.id}` } };
}

async function oidcPerson(deps: PeopleAuth, creds: PersonCredentials): Promise<ActingPerson> {
  const issuer = unverifiedIssuer(creds.token);
  if (!issuer) throw new IdentityError('malformed', 'the bearer token names no issuer');
  // The unverified issuer only picks which org's trust to verify against.
  const orgs = await deps.db.organization.findMany({
    where: { oidcIssuer: issuer, ...(creds.orgSlug ? { slug: creds.orgSlug } : {}) },
    select: { id: true, oidcIssuer: true, oidcAudience: true },
    take: 2,
  });
  if (orgs.length === 0) throw new IdentityError('wrong_issuer', 'no organisation trusts the issuer of this token');
  if (orgs.length > 1) throw badRequest('x-org', 'several organisations trust this issuer: name yours in X-Org (its slug)');
  const org = orgs[0]!;
  const identity = await deps.oidc.verify(creds.token, { issuer: org.oidcIssuer!, audience: org.oidcAudience! });
  const member = await memberOfClaims(deps.db, org.id, identity);
  return { org: await loadOrg(deps.db, org.id), actor: { ...member, via: 'oidc' } };
}
