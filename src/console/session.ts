// Who is looking at a console page: the session (from a sign-in link or the org's
// OpenID Provider) lives in an HttpOnly, SameSite=Lax cookie; the member it names is
// read from the database on every request, so a removed member or a changed role
// takes effect at once, exactly as for the API.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Member } from '../generated/prisma/client.js';
import { isIdentityError } from '../identity/errors.js';
import type { Session } from '../identity/sessions.js';
import { loadOrg, type OrgWithTiers } from '../ledger/limits-state.js';
import { unreadCount } from '../ledger/notices/inbox.js';
import type { ConsoleDeps } from './deps.js';

export const SESSION_COOKIE = 'eu_session';

export interface Viewer {
  member: Member & { via: string };
  org: OrgWithTiers;
  sessionId: string;
  /** Inbox entries not yet seen, for the header's "Inbox (n new)" (src/ledger/notices/inbox.ts). */
  unread?: number;
}

/** Secure when the service is reached over https (PUBLIC_URL says so, or this request came over TLS). */
export const secureCookies = (deps: Pick<ConsoleDeps, 'publicUrl'>, request: FastifyRequest) =>
  deps.publicUrl?.startsWith('https:') === true || request.protocol === 'https';

export function setSessionCookie(deps: ConsoleDeps, request: FastifyRequest, reply: FastifyReply, session: Session): void {
  reply.setCookie(SESSION_COOKIE, session.token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: secureCookies(deps, request),
    expires: session.expiresAt,
  });
}

export function clearSessionCookie(deps: ConsoleDeps, request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: secureCookies(deps, request) });
}

/** The signed-in member, or null (no cookie, an expired or forged one, a member since removed). */
export async function viewerOf(deps: ConsoleDeps, request: FastifyRequest): Promise<Viewer | null> {
  const token = request.cookies[SESSION_COOKIE];
  if (!token) return null;
  try {
    const claims = await deps.sessions.verify(token);
    const member = await deps.db.member.findFirst({ where: { id: claims.memberId, orgId: claims.orgId, removedAt: null } });
    if (!member || member.sessionEpoch !== claims.epoch) return null;
    return { member: { ...member, via: 'console' }, org: await loadOrg(deps.db, claims.orgId), sessionId: claims.sessionId, unread: await unreadCount(deps.db, claims.orgId, member.id) };
  } catch (err) {
    if (isIdentityError(err)) return null;
    throw err;
  }
}

/** What the CSRF token is bound to: the session cookie as sent (a stranger's token does not fit another session). */
export const csrfUserInfo = (request: FastifyRequest) => request.cookies[SESSION_COOKIE] ?? 'signed-out';

/** `next` only ever names a page of this service: a path, never another origin. */
export function safeNext(next: unknown, fallback = '/'): string {
  if (typeof next !== 'string' || next.length > 500) return fallback;
  if (!/^\/(?![/\\])[^\s\\]*$/.test(next)) return fallback;
  // Checked again once resolved as a browser would (`/usage/..//evil.example` is `//evil.example`),
  // and percent-encoded: a Location header carries no character above U+00FF.
  let url: URL;
  try {
    url = new URL(next, 'http://console.invalid');
  } catch {
    return fallback;
  }
  const path = `${url.pathname}${url.search}${url.hash}`;
  if (url.origin !== 'http://console.invalid' || !/^\/(?![/\\])/.test(path) || path.length > 1500) return fallback;
  return path;
}
