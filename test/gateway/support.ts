// A gateway under test: the real API server (its /anthropic routes) listening on
// 127.0.0.1, the Messages API stand-in as its upstream, an org with an upstream key and
// its members' personal gateway keys made through the API as they would make them.
import { randomBytes, randomUUID } from 'node:crypto';
import { vi } from 'vitest';
import type { Db } from '../../src/db/client.js';
import { spoolLogOf, UsageSpool } from '../../src/gateway/usage-spool.js';
import { secretBox } from '../../src/secrets/secret-box.js';
import { enterpriseDoc, harness, OPERATOR_TOKEN, type Harness } from '../support/fixtures.js';
import { startMessagesApi, type MessagesApiStandIn } from '../support/messages-api.js';

export const UPSTREAM_KEY = 'sk-ant-api03-upstream-test-key-0123456789';
export const CONSOLE_URL = 'http://console.test';

export interface GatewayUnderTest {
  h: Harness;
  db: Db;
  /** The gateway's base URL: ANTHROPIC_BASE_URL. */
  gatewayUrl: string;
  standIn: MessagesApiStandIn;
  /** Records written (ok) or given up, as the gateway reports them. */
  records: { requestId: string; ok: boolean }[];
  /** Resolves once `n` records have been reported. */
  recorded(n: number): Promise<void>;
  close(): Promise<void>;
}

/** `spoolDir`: the usage spool on disk there (as the service keeps it in DATA_DIR/gateway-spool); default in memory. */
export async function startGateway(db: Db, opts: { spoolDir?: string } = {}): Promise<GatewayUnderTest> {
  const standIn = await startMessagesApi();
  const records: { requestId: string; ok: boolean }[] = [];
  const spool = opts.spoolDir ? await UsageSpool.open(opts.spoolDir, spoolLogOf(() => undefined)) : undefined;
  const h = await harness(db, undefined, {
    anthropic: { box: secretBox(randomBytes(32)), baseUrl: 'http://127.0.0.1:9' },
    gateway: { upstreamUrl: standIn.url, onRecord: (r) => records.push({ requestId: r.requestId, ok: r.ok }), ...(spool ? { spool } : {}) },
    console: { publicUrl: CONSOLE_URL },
  });
  const base = await h.app.listen({ host: '127.0.0.1', port: 0 });
  return {
    h, db, standIn, records,
    gatewayUrl: `${base}/anthropic`,
    recorded: (n) => vi.waitFor(() => { if (records.length < n) throw new Error(`${records.length} of ${n} records so far`); }, { timeout: 30_000, interval: 20 }),
    async close() {
      await standIn.close();
      await h.close();
      await spool?.close();
    },
  };
}

let orgs = 0;
/** An org (enterprise, Europe/Paris) with its upstream key set by the operator, and a way to make members' keys. */
export async function gatewayOrg(g: GatewayUnderTest, doc: unknown = enterpriseDoc()) {
  const slug = `gw-${++orgs}-${randomUUID().slice(0, 6)}`;
  const { orgId } = await g.h.provision(slug, doc);
  const set = await g.h.call('PUT', `/v1/operator/orgs/${slug}/gateway/upstream-key`, { token: OPERATOR_TOKEN, body: { apiKey: UPSTREAM_KEY } });
  if (set.status !== 200) throw new Error(`upstream key: ${set.status} ${JSON.stringify(set.body)}`);
  const apiKey = await g.h.issueKey(slug);
  return {
    slug, orgId, apiKey,
    /** The member makes their own key (POST /v1/me/gateway-keys, acting as themself). */
    async keyFor(member: string, body: Record<string, unknown> = {}): Promise<{ id: string; key: string; prefix: string }> {
      const res = await g.h.call('POST', '/v1/me/gateway-keys', { token: apiKey, actor: member, body });
      if (res.status !== 201) throw new Error(`gateway key: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    as: (member: string, method: string, url: string, body?: unknown) => g.h.call(method, url, { token: apiKey, actor: member, body }),
    events: (memberExternalId?: string) => g.db.usageEvent.findMany({ where: { orgId, ...(memberExternalId ? { member: { externalId: memberExternalId } } : {}) }, orderBy: { createdAt: 'asc' } }),
    /** Usage recorded straight through the metering API (as another gateway would), e.g. to bring a member to a cap. */
    recordDirect: (member: string, usage: unknown, model = 'claude-haiku-4-5') => g.h.call('POST', '/v1/usage/record', { token: apiKey, body: { requestId: randomUUID(), member, model, usage } }),
  };
}
