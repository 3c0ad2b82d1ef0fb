// A stand-in for Microsoft Entra's login endpoint (login.microsoftonline.com) as the Teams
// bot's MSAL client uses it for the bot's token (client credentials):
//   GET  /<tenant>/v2.0/.well-known/openid-configuration   where the token endpoint is
//   POST /<tenant>/oauth2/v2.0/token                        client_id, client_secret, scope, grant_type
// It answers as Entra does: a token for the app's id and secret; 401 invalid_client
// (AADSTS7000215) for a wrong secret; 400 unauthorized_client (AADSTS700016) for an app it
// does not know. HTTPS only, as MSAL only asks https authorities: the certificate is made
// here (openssl) and a service process trusts it through NODE_EXTRA_CA_CERTS.
// Tokens expire in 5 minutes: the Bot Framework SDK keeps a token until 5 minutes before it
// expires, so every send asks for a new one, as every send does once an hour-old one runs out.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface Certificate {
  /** PEM file of the certificate (what NODE_EXTRA_CA_CERTS names). */
  certPath: string;
  cert: string;
  key: string;
}

/** A self-signed certificate for 127.0.0.1, made in `dir`. */
export function selfSignedCertificate(dir: string): Certificate {
  const certPath = join(dir, 'entra-cert.pem');
  const keyPath = join(dir, 'entra-key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ], { stdio: 'ignore' });
  return { certPath, cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
}

export interface EntraApp {
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

export interface EntraStandIn {
  /** https://127.0.0.1:<port>: what MICROSOFT_LOGIN_URL is set to. */
  url: string;
  port: number;
  /** Access tokens issued, in order. */
  issued: string[];
  /** Token requests refused (wrong secret or unknown app). */
  refused: number;
  /** Stops for good: the port refuses connections, open ones are cut. */
  close(): Promise<void>;
}

const aadError = (error: string, number: number, description: string) => ({
  error,
  error_description: `AADSTS${number}: ${description}\r\nTrace ID: ${randomUUID()}\r\nCorrelation ID: ${randomUUID()}\r\nTimestamp: ${new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z')}`,
  error_codes: [number],
  timestamp: new Date().toISOString(),
  trace_id: randomUUID(),
  correlation_id: randomUUID(),
});

export async function startEntraStandIn(certificate: Certificate, app: EntraApp, opts: { port?: number } = {}): Promise<EntraStandIn> {
  const issued: string[] = [];
  const state = { refused: 0 };
  let base = '';
  const server: Server = createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(body));
      };
      const url = new URL(req.url ?? '/', base);
      const [tenant, ...rest] = url.pathname.split('/').filter(Boolean);
      const path = rest.join('/');
      if (req.method === 'GET' && path === 'v2.0/.well-known/openid-configuration') {
        if (tenant !== app.tenantId) return answer(400, aadError('invalid_tenant', 90002, `Tenant '${tenant}' not found.`));
        const at = `${base}/${tenant}`;
        return answer(200, {
          token_endpoint: `${at}/oauth2/v2.0/token`,
          token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
          jwks_uri: `${base}/${tenant}/discovery/v2.0/keys`,
          response_modes_supported: ['query', 'fragment', 'form_post'],
          subject_types_supported: ['pairwise'],
          id_token_signing_alg_values_supported: ['RS256'],
          response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
          scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
          issuer: `${base}/${tenant}/v2.0`,
          authorization_endpoint: `${at}/oauth2/v2.0/authorize`,
          end_session_endpoint: `${at}/oauth2/v2.0/logout`,
          tenant_region_scope: 'EU',
        });
      }
      if (req.method === 'POST' && path === 'oauth2/v2.0/token') {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        if (tenant !== app.tenantId) return answer(400, aadError('invalid_request', 90002, `Tenant '${tenant}' not found.`));
        if (form.get('grant_type') !== 'client_credentials') return answer(400, aadError('unsupported_grant_type', 70003, 'The app requested an unsupported grant type.'));
        if (form.get('client_id') !== app.clientId) {
          state.refused++;
          return answer(400, aadError('unauthorized_client', 700016, `Application with identifier '${form.get('client_id')}' was not found in the directory '${tenant}'.`));
        }
        if (form.get('client_secret') !== app.clientSecret) {
          state.refused++;
          return answer(401, aadError('invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`));
        }
        const token = `entra-${issued.length + 1}-${randomUUID()}`;
        issued.push(token);
        return answer(200, { token_type: 'Bearer', expires_in: 300, ext_expires_in: 300, access_token: token });
      }
      return answer(404, { error: 'not_found', error_description: `${req.method} ${url.pathname}` });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  base = `https://127.0.0.1:${port}`;
  return {
    url: base,
    port,
    issued,
    get refused() {
      return state.refused;
    },
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
