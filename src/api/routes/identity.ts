// How people sign in: the operator points an org at its OpenID Provider and hands out
// single-use sign-in links; a link is exchanged for a session; anyone signed in can
// ask who the service takes them for. (docs/identity.md)
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { OPERATOR_ACTOR } from '../../ledger/actors.js';
import { invalid } from '../../ledger/errors.js';
import { requireActiveMember } from '../../ledger/settings/members.js';
import { writeAudit } from '../../ledger/audit.js';
import { inTransaction } from '../../ledger/transactions.js';
import { isAcceptableProviderUrl } from '../../identity/oidc.js';
import { DEFAULT_LINK_TTL_MS, issueSignInLink, MAX_LINK_TTL_MS, redeemSignInLink } from '../../identity/sign-in-links.js';
import type { Sessions } from '../../identity/sessions.js';
import { SignInThrottled, type SignInThrottle } from '../../identity/sign-in-throttle.js';
import { isIdentityError } from '../../identity/errors.js';
import { HttpError } from '../errors.js';
import { consoleSignInUrl } from '../../services/sign-in.js';
import { orgBySlug, slugParams } from '../org-params.js';
import { defineRoute } from '../route.js';
import { memberRef, text } from '../schemas.js';
import type { ApiDeps } from '../server.js';


const providerBody = z.object({
  issuer: text(500).describe('The issuer exactly as the provider spells it (its discovery document must say the same), e.g. https://login.example.com/tenant'),
  audience: text(500).describe('The audience its tokens carry for us: our client id (ID tokens) or the API\'s resource identifier (access tokens)'),
}).strict();

const personView = z.object({ memberId: z.string(), externalId: z.string(), name: z.string(), role: z.string(), org: z.object({ slug: z.string(), name: z.string() }), via: z.string().nullable() });

export function identityRoutes(deps: ApiDeps, sessions: Sessions, throttle: SignInThrottle) {
  return [
    defineRoute({
      method: 'PUT', url: '/v1/operator/orgs/:slug/identity-provider', tag: 'identity', auth: 'operator',
      summary: 'Trust the org\'s OpenID Provider: its ID tokens / JWT access tokens sign people in (matched to members by subject or verified email)',
      params: slugParams, body: providerBody,
      refusals: { 404: 'No organisation has this slug', 422: 'The issuer is not an https URL (http only on the loopback interface)' },
      async handler({ params, body }) {
        if (!isAcceptableProviderUrl(body.issuer)) throw invalid('issuer', 'issuer must be an https URL without credentials or fragment (http only for a provider on this machine)');
        const org = await orgBySlug(deps.db, params.slug);
        await inTransaction(deps.db, async (tx) => {
          await tx.organization.update({ where: { id: org.id }, data: { oidcIssuer: body.issuer, oidcAudience: body.audience } });
          await writeAudit(tx, org.id, [{ actor: OPERATOR_ACTOR, action: 'identity_provider.set', subject: 'org', before: { issuer: org.oidcIssuer, audience: org.oidcAudience }, after: body }]);
        });
        return { issuer: body.issuer, audience: body.audience };
      },
    }),
    defineRoute({
      method: 'DELETE', url: '/v1/operator/orgs/:slug/identity-provider', tag: 'identity', auth: 'operator',
      summary: 'Stop trusting the org\'s OpenID Provider (sign-in links still work)',
      params: slugParams,
      refusals: { 404: 'No organisation has this slug' },
      async handler({ params }) {
        const org = await orgBySlug(deps.db, params.slug);
        await inTransaction(deps.db, async (tx) => {
          await tx.organization.update({ where: { id: org.id }, data: { oidcIssuer: null, oidcAudience: null } });
          await writeAudit(tx, org.id, [{ actor: OPERATOR_ACTOR, action: 'identity_provider.set', subject: 'org', before: { issuer: org.oidcIssuer, audience: org.oidcAudience }, after: { issuer: null, audience: null } }]);
        });
        return { issuer: null, audience: null };
      },
    }),
    defineRoute({
      method: 'POST', url: '/v1/operator/orgs/:slug/sign-in-links', tag: 'identity', auth: 'operator', status: 201,
      summary: 'A single-use sign-in link for one member (shown once; 15 minutes by default, at most an hour): `url` opens the web console signed in as them (relative when PUBLIC_URL is unset)',
      params: slugParams,
      body: z.object({
        member: memberRef,
        purpose: text(64).default('operator'),
        ttlMinutes: z.number().int().min(1).max(MAX_LINK_TTL_MS / 60_000).optional().describe(`Default ${DEFAULT_LINK_TTL_MS / 60_000}`),
      }).strict(),
      refusals: { 404: 'No organisation has this slug, or member names no active member' },
      async handler({ params, body }) {
        const org = await orgBySlug(deps.db, params.slug);
        const member = await requireActiveMember(deps.db, org.id, body.member);
        const link = await issueSignInLink(deps.db, { orgId: org.id, memberId: member.id, purpose: body.purpose, issuedBy: OPERATOR_ACTOR, ...(body.ttlMinutes ? { ttlMs: body.ttlMinutes * 60_000 } : {}) }, deps.now());
        return { linkId: link.id, token: link.token, expiresAt: link.expiresAt.toISOString(), redeem: 'POST /v1/sign-in {"token": "…"}', url: consoleSignInUrl(link.token, deps.console?.publicUrl) };
      },
    }),
    defineRoute({
      method: 'POST', url: '/v1/sign-in', tag: 'identity', auth: 'none',
      summary: 'Use a sign-in link once: answers a session (a bearer token for the person routes, 12 hours)',
      body: z.object({ token: text(100) }).strict(),
      refusals: { 401: 'The link is unknown, used or expired, or its member has left', 429: 'Too many refused sign-ins from this address or of this link: try again after Retry-After seconds' },
      async handler({ body, request, reply }) {
        const redeemed = await throttledRedeem(throttle, request.ip, body.token, reply, () => redeemSignInLink(deps.db, sessions, body.token, deps.now()));
        const org = await deps.db.organization.findUniqueOrThrow({ where: { id: redeemed.orgId } });
        const m = redeemed.member;
        return {
          session: redeemed.session.token,
          expiresAt: redeemed.session.expiresAt.toISOString(),
          person: { memberId: m.id, externalId: m.externalId, name: m.name, role: m.role, org: { slug: org.slug, name: org.name }, via: 'session' },
        };
      },
    }),
    defineRoute({
      method: 'GET', url: '/v1/me', tag: 'identity', auth: 'person',
      summary: 'Who the service takes you for: the member, their stored role, and how you proved it',
      response: personView,
      async handler({ auth }) {
        const a = auth.actor!;
        return { memberId: a.id, externalId: a.externalId, name: a.name, role: a.role, org: { slug: auth.org!.slug, name: auth.org!.name }, via: a.via ?? null };
      },
    }),
  ];
}

/** Redeems a link unless this address or token is throttled; a refusal counts towards both. */
async function throttledRedeem<T>(throttle: SignInThrottle, address: string, token: string, reply: FastifyReply, redeem: () => Promise<T>): Promise<T> {
  try {
    await throttle.check(address, token);
  } catch (err) {
    if (!(err instanceof SignInThrottled)) throw err;
    reply.header('retry-after', String(err.retryAfterSeconds));
    throw new HttpError(429, 'too_many_sign_ins', err.message);
  }
  try {
    return await redeem();
  } catch (err) {
    if (isIdentityError(err)) await throttle.refused(address, token);
    throw err;
  }
}
