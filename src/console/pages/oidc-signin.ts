// Signing in to the console with the org's own OpenID Provider: the authorization code
// flow with PKCE (S256), as a public client whose client id is the org's configured
// audience. The state, nonce and code verifier wait in a short-lived HttpOnly cookie
// signed with a key of ours; the ID token is verified by src/identity/oidc.ts (issuer,
// audience, signature, lifetimes) and its nonce compared before it names a member,
// who then gets the same session cookie as after a sign-in link.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decodeJwt } from 'jose';
import { z } from 'zod';
import { isAcceptableProviderUrl } from '../../domain/provider-url.js';
import { isIdentityError } from '../../identity/errors.js';
import { memberOfClaims } from '../../identity/member-of-claims.js';
import { discoveryUrl } from '../../identity/oidc.js';
import { actorLabel, isAdmin } from '../../ledger/actors.js';
import { writeAudit } from '../../ledger/audit.js';
import { inTransaction } from '../../ledger/transactions.js';
import type { ConsoleDeps } from '../deps.js';
import { messagePage } from '../guard.js';
import { html } from '../html.js';
import { sendPage } from '../layout.js';
import { safeNext, secureCookies, setSessionCookie } from '../session.js';
import { isNetworkFailure } from '../../observability/network-failure.js';

const FLOW_COOKIE = 'eu_oidc';
const FLOW_TTL_MS = 10 * 60_000;
export const OIDC_CALLBACK_PATH = '/signin/oidc/callback';

const flowSchema = z.object({ org: z.string(), state: z.string(), nonce: z.string(), verifier: z.string(), next: z.string(), exp: z.number() });
type Flow = z.infer<typeof flowSchema>;

const endpointsSchema = z.looseObject({ issuer: z.string(), authorization_endpoint: z.string(), token_endpoint: z.string() });

const sign = (key: string, data: string) => createHmac('sha256', key).update(data).digest('base64url');
const sameText = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

function sealFlow(key: string, flow: Flow): string {
  const data = Buffer.from(JSON.stringify(flow)).toString('base64url');
  return `${data}.${sign(key, data)}`;
}

function openFlow(key: string, value: string | undefined, now: Date): Flow | null {
  if (!value) return null;
  const [data, mac] = value.split('.');
  if (!data || !mac || !sameText(mac, sign(key, data))) return null;
  try {
    const flow = flowSchema.parse(JSON.parse(Buffer.from(data, 'base64url').toString('utf8')));
    return flow.exp > now.getTime() ? flow : null;
  } catch {
    return null;
  }
}

/** Where the provider sends the browser back: PUBLIC_URL when set (what the provider has registered), else this request's origin. */
const callbackUrl = (deps: ConsoleDeps, request: FastifyRequest) => `${deps.publicUrl ? deps.publicUrl.replace(/\/+$/, '') : `${request.protocol}://${request.host}`}${OIDC_CALLBACK_PATH}`;

async function providerEndpoints(issuer: string) {
  const res = await fetch(discoveryUrl(issuer), { headers: { accept: 'application/json' }, redirect: 'manual', signal: AbortSignal.timeout(5_000) });
  if (res.status !== 200) throw new Error(`discovery answered HTTP ${res.status}`);
  const doc = endpointsSchema.parse(await res.json());
  if (doc.issuer !== issuer) throw new Error(`discovery names issuer ${doc.issuer}`);
  for (const url of [doc.authorization_endpoint, doc.token_endpoint]) if (!isAcceptableProviderUrl(url)) throw new Error(`${url} is not an https URL`);
  return doc;
}

function refused(reply: FastifyReply, message: string, status = 401) {
  return sendPage(reply, messagePage('Sign-in not completed', html`<p class="alert" role="alert">${message}</p><p>Nothing was changed. <a href="/signin">Back to sign-in</a></p>`), status);
}

export function oidcSignIn(app: FastifyInstance, deps: ConsoleDeps) {
  const slugQuery = z.object({ org: z.string().trim().toLowerCase().regex(/^[a-z0-9][a-z0-9-]{1,62}$/), next: z.string().optional() });

  app.get('/signin/oidc', async (request, reply) => {
    const q = slugQuery.safeParse(request.query ?? {});
    if (!q.success) return refused(reply, 'Enter your organisation\'s short name (its slug, e.g. acme).', 400);
    const org = await deps.db.organization.findUnique({ where: { slug: q.data.org }, select: { id: true, name: true, oidcIssuer: true, oidcAudience: true } });
    if (!org?.oidcIssuer || !org.oidcAudience) return refused(reply, `No organisation "${q.data.org}" signs in with an identity provider here: use a sign-in link from chat or email.`, 404);
    let endpoints;
    const part = `oidc:${q.data.org}`;
    try {
      endpoints = await providerEndpoints(org.oidcIssuer);
      deps.dependencies?.ok(part);
    } catch (err) {
      // Unreachable: named on GET /health, and its discovery retried with back-off until
      // it answers; sign-in links keep working meanwhile.
      const issuer = org.oidcIssuer;
      if (deps.dependencies && isNetworkFailure(err) && deps.dependencies.failed(part, err)) {
        void deps.dependencies.keepTrying(part, () => providerEndpoints(issuer), { firstDelayMs: 2_000, retryOn: () => true });
      }
      return refused(reply, `${org.name}'s identity provider could not be reached (${(err as Error).message}). Try again, or use a sign-in link.`, 502);
    }
    const flow: Flow = {
      org: org.id,
      state: randomBytes(16).toString('base64url'),
      nonce: randomBytes(16).toString('base64url'),
      verifier: randomBytes(32).toString('base64url'),
      next: safeNext(q.data.next),
      exp: deps.now().getTime() + FLOW_TTL_MS,
    };
    // Lax: the provider's redirect back is a top-level GET, which carries it.
    reply.setCookie(FLOW_COOKIE, sealFlow(deps.csrfKey, flow), { path: '/signin/oidc', httpOnly: true, sameSite: 'lax', secure: secureCookies(deps, request), maxAge: FLOW_TTL_MS / 1000 });
    const auth = new URL(endpoints.authorization_endpoint);
    auth.search = new URLSearchParams({
      client_id: org.oidcAudience,
      response_type: 'code',
      scope: 'openid email',
      redirect_uri: callbackUrl(deps, request),
      state: flow.state,
      nonce: flow.nonce,
      code_challenge: createHash('sha256').update(flow.verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    return reply.redirect(auth.toString(), 303);
  });

  app.get(OIDC_CALLBACK_PATH, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const flow = openFlow(deps.csrfKey, request.cookies[FLOW_COOKIE], deps.now());
    reply.clearCookie(FLOW_COOKIE, { path: '/signin/oidc' });
    if (!flow || typeof query.state !== 'string' || !sameText(query.state, flow.state)) return refused(reply, 'This sign-in did not start here or took too long. Start again.', 400);
    if (typeof query.error === 'string') return refused(reply, `Your identity provider refused: ${query.error}${typeof query.error_description === 'string' ? ` (${query.error_description})` : ''}.`);
    if (typeof query.code !== 'string' || query.code.length > 2048) return refused(reply, 'Your identity provider sent no authorization code.', 400);
    const org = await deps.db.organization.findUnique({ where: { id: flow.org } });
    if (!org?.oidcIssuer || !org.oidcAudience) return refused(reply, 'Your organisation no longer signs in with an identity provider.', 404);
    try {
      const endpoints = await providerEndpoints(org.oidcIssuer);
      const res = await fetch(endpoints.token_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: query.code, redirect_uri: callbackUrl(deps, request), client_id: org.oidcAudience, code_verifier: flow.verifier }).toString(),
        redirect: 'manual',
        signal: AbortSignal.timeout(5_000),
      });
      const body = (await res.json().catch(() => ({}))) as { id_token?: unknown; error?: unknown };
      if (!res.ok || typeof body.id_token !== 'string') return refused(reply, `Your identity provider did not issue an ID token (${String(body.error ?? `HTTP ${res.status}`)}).`);
      const identity = await deps.oidc.verify(body.id_token, { issuer: org.oidcIssuer, audience: org.oidcAudience });
      // Read only once the signature and claims have been verified above.
      if (identity.kind !== 'id_token' || decodeJwt(body.id_token).nonce !== flow.nonce) return refused(reply, 'The ID token does not belong to this sign-in (nonce). Start again.');
      const member = await memberOfClaims(deps.db, org.id, identity);
      const session = await deps.sessions.issue({ memberId: member.id, orgId: org.id, epoch: member.sessionEpoch });
      await inTransaction(deps.db, (tx) => writeAudit(tx, org.id, [{ actor: actorLabel({ ...member, via: 'oidc' }), action: 'console.sign_in', subject: `member:${member.id}`, before: null, after: { via: 'oidc', issuer: org.oidcIssuer } }]));
      setSessionCookie(deps, request, reply, session);
      return reply.redirect(flow.next === '/' ? (isAdmin(member) ? '/usage' : '/me') : flow.next, 303);
    } catch (err) {
      if (isIdentityError(err)) return refused(reply, `${err.message}.`);
      if (err instanceof Error && (err.name === 'TimeoutError' || err instanceof TypeError || err instanceof z.ZodError)) return refused(reply, `Your identity provider could not be reached (${err.message}).`, 502);
      throw err;
    }
  });
}
