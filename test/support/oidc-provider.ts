// A real OpenID Provider (node-oidc-provider, a certified implementation) on a local
// port, and a person signing in at it: the authorization code flow with PKCE, driven
// over HTTP with a cookie jar through its login and consent pages. Tokens come out of
// its token endpoint, signed by its own keys, so the verifier meets what it will meet.
//
// One HTTP server keeps the issuer URL fixed while the Provider behind it can be
// swapped: a provider with rotated keys, or an impostor claiming the same issuer.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider from 'oidc-provider';

export interface TestAccount {
  email?: string;
  email_verified?: boolean;
}

export const CLIENT_ID = 'extra-usage-console';
export const CLIENT_SECRET = 'a-client-secret-of-at-least-32-characters!';
const REDIRECT_URI = 'https://console.extra-usage.test/callback';
/** The resource indicator our API would register: JWT access tokens carry it as `aud`. */
export const API_RESOURCE = 'https://api.extra-usage.test';

export interface SigningKeys {
  keys: JWK[];
}

/** A fresh RSA key (ID tokens, RS256) and EC key (access tokens, ES256) with new key ids. */
export async function newSigningKeys(kidPrefix = randomBytes(4).toString('hex')): Promise<SigningKeys> {
  const rsa = await generateKeyPair('RS256', { extractable: true });
  const ec = await generateKeyPair('ES256', { extractable: true });
  return {
    keys: [
      { ...(await exportJWK(rsa.privateKey)), kid: `${kidPrefix}-rsa`, use: 'sig', alg: 'RS256' },
      { ...(await exportJWK(ec.privateKey)), kid: `${kidPrefix}-ec`, use: 'sig', alg: 'ES256' },
    ],
  };
}

export interface ProviderOptions {
  accounts: Record<string, TestAccount>;
  keys?: SigningKeys;
  /** Serve a provider that believes its issuer is this one (discovery mismatch tests). */
  claimedIssuer?: string;
  /** Also register the web console as a public client (PKCE, no secret) redirecting here. */
  consoleClient?: { clientId: string; redirectUri: string };
  /** Listen on this port (the same issuer again, after a close); default any free one. */
  port?: number;
}

export interface TestProvider {
  issuer: string;
  /** Requests for the key set (jwks_uri) served so far. */
  jwksRequests: number;
  keys: SigningKeys;
  /** Signs the account in through the provider's pages; its ID token and JWT access token. */
  signIn(accountId: string): Promise<{ idToken: string; accessToken: string }>;
  /** Serves a provider with these keys (first ones sign) under the same issuer from now on. */
  serve(keys: SigningKeys, opts?: { claimedIssuer?: string }): void;
  close(): Promise<void>;
}

// The provider warns on every construction that its development login pages are on;
// in tests that is the point, so those lines are dropped (nothing else is).
function quietly<T>(build: () => T): T {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).startsWith('oidc-provider WARNING')) warn(...args);
  };
  try {
    return build();
  } finally {
    console.warn = warn;
  }
}

function buildProvider(issuer: string, accounts: Record<string, TestAccount>, keys: SigningKeys, consoleClient?: ProviderOptions['consoleClient']): Provider {
  return quietly(() => new Provider(issuer, {
    clients: [...(consoleClient ? [{
      client_id: consoleClient.clientId,
      redirect_uris: [consoleClient.redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code' as const],
      token_endpoint_auth_method: 'none' as const,
    }] : []), {
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    }],
    jwks: keys as never,
    cookies: { keys: ['cookie-signing-key-for-tests-only'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    // Put the email in the ID token itself (the default keeps it for userinfo).
    conformIdTokenClaims: false,
    scopes: ['openid', 'email', 'api'],
    // Explicit lifetimes (the defaults print a notice each); tokens live an hour.
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 3600, IdToken: 3600, AuthorizationCode: 60 },
    async findAccount(_ctx, id) {
      const account = accounts[id];
      if (!account) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...account }) };
    },
    features: {
      devInteractions: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: 'api', audience: API_RESOURCE, accessTokenFormat: 'jwt', accessTokenTTL: 3600, jwt: { sign: { alg: 'ES256' } } }),
      },
    },
  }));
}

export async function startProvider(opts: ProviderOptions): Promise<TestProvider> {
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  const state = { jwksRequests: 0 };
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith('/jwks')) state.jwksRequests++;
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let keys = opts.keys ?? (await newSigningKeys());

  const serve: TestProvider['serve'] = (next, o = {}) => {
    keys = next;
    handler = buildProvider(o.claimedIssuer ?? issuer, opts.accounts, next, opts.consoleClient).callback() as typeof handler;
  };
  serve(keys, { claimedIssuer: opts.claimedIssuer });

  return {
    issuer,
    get jwksRequests() {
      return state.jwksRequests;
    },
    get keys() {
      return keys;
    },
    serve,
    signIn: (accountId) => signIn(issuer, accountId),
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

/** The authorization code flow with PKCE, as a browser would run it. */
async function signIn(issuer: string, accountId: string): Promise<{ idToken: string; accessToken: string }> {
  const jar = new Map<string, string>();
  const send = async (url: string | URL, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const cookie of res.headers.getSetCookie()) {
      const pair = cookie.split(';', 1)[0]!;
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (!value || /expires=Thu, 01 Jan 1970/i.test(cookie)) jar.delete(name);
      else jar.set(name, value);
    }
    return res;
  };
  const verifier = randomBytes(32).toString('base64url');
  const auth = new URL('/auth', issuer);
  auth.search = new URLSearchParams({
    client_id: CLIENT_ID,
    response_type: 'code',
    scope: 'openid email api',
    redirect_uri: REDIRECT_URI,
    state: randomBytes(8).toString('hex'),
    nonce: randomBytes(8).toString('hex'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    resource: API_RESOURCE,
  }).toString();

  let res = await send(auth);
  let code: string | null = null;
  for (let step = 0; step < 12 && !code; step++) {
    const location = res.headers.get('location');
    if (!location) throw new Error(`sign-in stopped at HTTP ${res.status}: ${(await res.text()).slice(0, 500)}`);
    const next = new URL(location, issuer);
    if (next.href.startsWith(REDIRECT_URI)) {
      code = next.searchParams.get('code');
      if (!code) throw new Error(`the provider refused: ${next.searchParams.get('error')} ${next.searchParams.get('error_description')}`);
      break;
    }
    if (next.pathname.startsWith('/interaction/')) {
      // The provider's own login or consent page: read which, then submit its form.
      const page = await (await send(next)).text();
      const prompt = /name="prompt" value="(\w+)"/.exec(page)?.[1];
      if (!prompt) throw new Error(`unexpected interaction page: ${page.slice(0, 500)}`);
      const form: Record<string, string> = prompt === 'login' ? { prompt, login: accountId, password: 'any' } : { prompt };
      res = await send(next, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
    } else {
      res = await send(next);
    }
  }
  if (!code) throw new Error('sign-in did not reach the redirect URI');

  const tokenRes = await fetch(new URL('/token', issuer), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      resource: API_RESOURCE,
    }).toString(),
  });
  const body = (await tokenRes.json()) as { id_token?: string; access_token?: string; error?: string; error_description?: string };
  if (!tokenRes.ok || !body.id_token || !body.access_token) throw new Error(`token endpoint: ${tokenRes.status} ${body.error} ${body.error_description}`);
  return { idToken: body.id_token, accessToken: body.access_token };
}
