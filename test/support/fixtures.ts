// Organisation documents and an API harness driving the real Fastify app
// (in-process injection: the same routing, validation and handlers as over HTTP).
import type { FastifyInstance } from 'fastify';
import { buildServer, type ApiDeps } from '../../src/api/server.js';
import { recordBatcherOf } from '../../src/ledger/metering/record-batch.js';
import type { Db } from '../../src/db/client.js';
import type { OrgDocument } from '../../src/ledger/settings/org-document.js';

export const OPERATOR_TOKEN = 'test-operator-token-0123456789';

type DocInput = Omit<OrgDocument, 'extraUsage' | 'autoReload'> & {
  extraUsage?: Partial<NonNullable<OrgDocument['extraUsage']>> & { enabled: boolean };
  autoReload?: Partial<NonNullable<OrgDocument['autoReload']>> & { enabled: boolean };
};

/** An enterprise org: $1.00 of included usage per 5-hour window on a standard seat, $3.00 on premium. */
export function enterpriseDoc(over: Partial<DocInput> = {}): DocInput {
  return {
    name: 'Acme',
    plan: 'enterprise',
    timezone: 'Europe/Paris',
    seatTiers: {
      standard: { includedAllowance: '1.00', windowMinutes: 300 },
      premium: { includedAllowance: '3.00', windowMinutes: 300 },
    },
    extraUsage: { enabled: true, scope: 'all_members', orgMonthlyCap: '1000.00', tierCaps: { standard: '500.00', premium: null } },
    members: [
      { externalId: 'owner-1', name: 'Olivia Owner', role: 'primary_owner', seatTier: 'premium', slackUserId: 'U_OWNER' },
      { externalId: 'admin-1', name: 'Adam Admin', role: 'admin', seatTier: 'standard' },
      { externalId: 'alice', name: 'Alice', role: 'member', seatTier: 'standard', extraUsageCap: '50.00' },
      { externalId: 'bob', name: 'Bob', role: 'member', seatTier: 'premium' },
    ],
    ...over,
  };
}

export function teamDoc(over: Partial<DocInput> = {}): DocInput {
  return {
    name: 'Small Team',
    plan: 'team',
    timezone: 'UTC',
    seatTiers: {
      standard: { includedAllowance: '1.00', windowMinutes: 300 },
      premium: { includedAllowance: '3.00', windowMinutes: 300 },
    },
    extraUsage: { enabled: true, scope: 'all_members', orgMonthlyCap: null },
    autoReload: { enabled: true, threshold: '10.00', amount: '50.00' },
    members: [
      { externalId: 'owner-1', name: 'Olivia Owner', role: 'primary_owner', seatTier: 'standard' },
      { externalId: 'alice', name: 'Alice', role: 'member', seatTier: 'standard' },
    ],
    ...over,
  };
}

export interface Harness {
  app: FastifyInstance;
  clock: { now: Date };
  call(method: string, url: string, opts?: { body?: unknown; token?: string; actor?: string; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  provision(slug: string, doc: unknown): Promise<{ orgId: string; created: boolean; changed: boolean }>;
  issueKey(slug: string, scopes?: string[]): Promise<string>;
  close(): Promise<void>;
}

export async function harness(db: Db, now = new Date('2026-11-15T12:00:00Z'), extra: Partial<ApiDeps> = {}): Promise<Harness> {
  const clock = { now };
  const app = buildServer({ db, operatorToken: OPERATOR_TOKEN, now: () => clock.now, logLevel: process.env.TEST_LOG_LEVEL ?? 'silent', ...extra });
  await app.ready();
  const call: Harness['call'] = async (method, url, opts = {}) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.actor) headers['x-actor'] = opts.actor;
    const res = await app.inject({ method: method as 'GET', url, headers, ...(opts.body !== undefined ? { payload: opts.body as object } : {}) });
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null, headers: res.headers };
  };
  return {
    app,
    clock,
    call,
    async provision(slug, doc) {
      const res = await call('PUT', `/v1/operator/orgs/${slug}`, { body: doc, token: OPERATOR_TOKEN });
      if (res.status >= 300) throw new Error(`provision failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async issueKey(slug, scopes = ['usage', 'act_for_members']) {
      const res = await call('POST', `/v1/operator/orgs/${slug}/api-keys`, { body: { name: 'test', scopes }, token: OPERATOR_TOKEN });
      if (res.status !== 201) throw new Error(`issue key failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.key;
    },
    async close() {
      await app.close();
      // Every record in API tests goes through group commit; a batch that fell back to
      // one-at-a-time would hide a bug in it.
      const { fallbacks, lastFallbackError } = recordBatcherOf(db).stats;
      if (fallbacks > 0) throw new Error(`record batches fell back ${fallbacks} time(s): ${String(lastFallbackError)}`);
    },
  };
}

export const HAIKU = 'claude-haiku-4-5';

/** Usage costing exactly `cents` cents on claude-haiku-4-5 (2,000 output tokens per cent). */
export const usageOfCents = (cents: number) => ({ input_tokens: 0, output_tokens: cents * 2_000 });
