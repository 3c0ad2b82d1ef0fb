// A local stand-in of exactly the Anthropic Admin API endpoints the connector uses, its
// answers typed with the SDK's own interfaces (a shape we invented would not compile),
// driven by the real @anthropic-ai/sdk on our side. Tests change it as claude.ai would
// (a request decided there, users added or removed) and read every write it received.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OrganizationInfo } from '@anthropic-ai/sdk/resources/organization/organization';
import type { BetaOrganizationUser } from '@anthropic-ai/sdk/resources/beta/organization/users';
import type { IncreaseRequestApproveParams, IncreaseRequestApproveResponse, SpendLimitIncreaseRequest } from '@anthropic-ai/sdk/resources/organization/spend-limits/increase-requests';
import type { SpendLimit, SpendLimitPeriod, SpendSummary } from '@anthropic-ai/sdk/resources/organization/spend-limits/spend-limits';
import type { PageCursorResponse, PageResponse } from '@anthropic-ai/sdk/core/pagination';
import type { BetaSpendLimit, SpendLimitSetParams } from '@anthropic-ai/sdk/resources/beta/organization/spend-limits/spend-limits';

export interface AdminApiCall {
  method: string;
  path: string;
  body: unknown;
}

export interface AdminApiStandIn {
  url: string;
  org: OrganizationInfo;
  /** Keys it accepts (Authorization: Bearer, or x-api-key). */
  keys: Set<string>;
  users: BetaOrganizationUser[];
  requests: Map<string, SpendLimitIncreaseRequest>;
  calls: AdminApiCall[];
  /** The effective-limits report it answers (one row per member and period). */
  effective: SpendSummary[];
  /** False: spend limit writes answer 403 spend_limits_admin_api_writes_not_enabled. */
  writesEnabled: boolean;
  /** False (a Claude Team organization): the effective report answers 400 organization_type_not_supported. */
  effectiveSupported: boolean;
  /** The spend limit `set` calls it received. */
  sets(): SpendLimitSetParams[];
  /** The writes it received: approve and deny, by request id. */
  approves(): { id: string; body: IncreaseRequestApproveParams }[];
  denies(): { id: string }[];
  /** Answers the next `count` calls with this status (403, 429, 500, 503) before serving again. */
  failNext(count: number, status: number, message?: string): void;
  /** The next approve / deny is received (and counted) but answered only once released. */
  holdNextWrite(): () => void;
  addUser(u: Partial<BetaOrganizationUser> & Pick<BetaOrganizationUser, 'id' | 'email'>): BetaOrganizationUser;
  /** A member clicks "Request extra usage" in claude.ai. */
  addRequest(userId: string, opts?: { period?: SpendLimitPeriod; limitCents?: string | null; spentCents?: string; source?: SpendSummary['source'] }): SpendLimitIncreaseRequest;
  /** An admin decides it in claude.ai. */
  decideInClaude(id: string, status: 'approved' | 'denied', byUserId: string): void;
  close(): Promise<void>;
}

let seq = 0;
const nextId = (prefix: string) => `${prefix}_${(++seq).toString().padStart(6, '0')}${Math.random().toString(36).slice(2, 8)}`;

export async function startAdminApi(opts: { key: string; orgName?: string; orgId?: string }): Promise<AdminApiStandIn> {
  const org: OrganizationInfo = { id: opts.orgId ?? 'org_standin', name: opts.orgName ?? 'Acme on Claude', type: 'organization' };
  const keys = new Set([opts.key]);
  const users: BetaOrganizationUser[] = [];
  const requests = new Map<string, SpendLimitIncreaseRequest>();
  const calls: AdminApiCall[] = [];
  const effective: SpendSummary[] = [];
  const limits: BetaSpendLimit[] = [];
  const state = { writesEnabled: true, effectiveSupported: true };
  let failing = { count: 0, status: 500, message: 'stand-in fault' };
  let held: Promise<void> | null = null;

  const userActor = (id: string) => {
    const u = users.find((x) => x.id === id);
    return { type: 'user_actor' as const, user_id: id, name: u?.name ?? null, email_address: u?.email ?? null, deleted: false };
  };

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'request-id': nextId('req') });
    res.end(JSON.stringify(body));
  };
  const error = (res: ServerResponse, status: number, type: string, message: string) => send(res, status, { type: 'error', error: { type, message } });

  async function readBody(req: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    return text ? JSON.parse(text) : null;
  }

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = req.method === 'POST' ? await readBody(req) : null;
    calls.push({ method: req.method ?? '', path: url.pathname, body });
    // The SDK sends the key as a bearer token; x-api-key is the API's other spelling.
    const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    if (!keys.has(bearer ?? String(req.headers['x-api-key'] ?? ''))) return error(res, 401, 'authentication_error', 'invalid x-api-key');
    if (failing.count > 0) {
      failing.count--;
      const type = failing.status === 429 ? 'rate_limit_error' : failing.status === 403 ? 'permission_error' : 'api_error';
      return error(res, failing.status, type, failing.message);
    }
    const path = url.pathname;
    const q = url.searchParams;
    const list = (name: string) => [...q.getAll(name), ...q.getAll(`${name}[]`)].flatMap((v) => v.split(',')).filter(Boolean);

    if (req.method === 'GET' && path === '/v1/organizations/me') return send(res, 200, org);

    if (req.method === 'GET' && path === '/v1/organizations/users') {
      const limit = Number(q.get('limit') ?? 20);
      const after = q.get('after_id');
      const start = after ? users.findIndex((u) => u.id === after) + 1 : 0;
      const data = users.slice(start, start + limit);
      const page: PageResponse<BetaOrganizationUser> = { data, has_more: start + limit < users.length, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
      return send(res, 200, page);
    }

    if (req.method === 'GET' && path === '/v1/organizations/spend_limit_increase_requests') {
      const statuses = list('status');
      const limit = Number(q.get('limit') ?? 20);
      const offset = Number(q.get('page') ?? 0);
      // Most recent first; requesters no longer members are left out.
      const all = [...requests.values()].filter((r) => (statuses.length === 0 || statuses.includes(r.status)) && (r.actor.type !== 'user_actor' || users.some((u) => u.id === (r.actor as { user_id: string }).user_id))).reverse();
      const data = all.slice(offset, offset + limit);
      const page: PageCursorResponse<SpendLimitIncreaseRequest> = { data, next_page: offset + limit < all.length ? String(offset + limit) : null };
      return send(res, 200, page);
    }

    if (req.method === 'GET' && path === '/v1/organizations/spend_limits/effective') {
      if (!state.effectiveSupported) {
        res.writeHead(400, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: 'Supported for Claude Enterprise organizations only.', details: { error_code: 'organization_type_not_supported' } } }));
      }
      const limit = Number(q.get('limit') ?? 20);
      const offset = Number(q.get('page') ?? 0);
      const page: PageCursorResponse<SpendSummary> = { data: effective.slice(offset, offset + limit), next_page: offset + limit < effective.length ? String(offset + limit) : null };
      return send(res, 200, page);
    }

    if (req.method === 'POST' && path === '/v1/organizations/spend_limits') {
      if (!state.writesEnabled) {
        res.writeHead(403, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ type: 'error', error: { type: 'permission_error', message: 'Spend limit writes through the Admin API are not enabled for this organization.', details: { error_code: 'spend_limits_admin_api_writes_not_enabled' } } }));
      }
      const b = body as SpendLimitSetParams;
      if (b.scope.type !== 'user') return error(res, 400, 'invalid_request_error', 'a Claude Enterprise organization sets user limits');
      if (b.amount !== null && !/^\d+$/.test(b.amount)) return error(res, 400, 'invalid_request_error', 'amount must be a non-negative integer decimal string');
      const period = b.period ?? 'monthly';
      const now = new Date().toISOString();
      const userId = b.scope.user_id;
      const existing = limits.find((l) => l.scope.type === 'user' && (l.scope as { user_id: string }).user_id === userId && l.period === period);
      const limit: BetaSpendLimit = existing
        ? Object.assign(existing, { amount: b.amount, updated_at: now })
        : { id: nextId('spl'), amount: b.amount, created_at: now, updated_at: now, currency: 'USD', is_enabled: true, period, scope: { type: 'user', user_id: userId }, type: 'spend_limit' };
      if (!existing) limits.push(limit);
      // The report follows: the member's own limit now applies for that period.
      for (const row of effective) {
        if (row.actor.type === 'user_actor' && row.actor.user_id === userId && row.period === period) Object.assign(row, { amount: b.amount, source: { type: 'user', user_id: userId }, spend_limit_id: limit.id });
      }
      return send(res, 200, limit);
    }

    const m = /^\/v1\/organizations\/spend_limit_increase_requests\/([^/]+)(?:\/(approve|deny))?$/.exec(path);
    if (m) {
      const r = requests.get(decodeURIComponent(m[1]!));
      if (!r) return error(res, 404, 'not_found_error', 'no such spend limit increase request');
      const now = new Date().toISOString();
      const apiKeyActor = { type: 'scoped_api_key_actor' as const, scoped_api_key_id: 'apikey_standin' };
      if (req.method === 'GET' && !m[2]) return send(res, 200, r);
      if (req.method === 'POST' && held) {
        const wait = held;
        held = null;
        await wait;
      }
      if (req.method === 'POST' && m[2] === 'approve') {
        const b = body as IncreaseRequestApproveParams;
        if (r.status !== 'pending') return error(res, 400, 'invalid_request_error', `request is already ${r.status}`);
        if (!/^\d+$/.test(b.amount)) return error(res, 400, 'invalid_request_error', 'amount must be a non-negative integer decimal string');
        const period = b.period ?? r.period;
        const limit: SpendLimit = {
          id: nextId('spl'), amount: b.amount, created_at: now, updated_at: now, currency: 'USD', is_enabled: true, period,
          scope: { type: 'user', user_id: (r.actor as { user_id: string }).user_id }, type: 'spend_limit',
        };
        Object.assign(r, { status: 'approved', resolved_at: now, resolved_by: apiKeyActor, spend_summary: null });
        const answer: IncreaseRequestApproveResponse = { ...r, spend_limit: limit };
        return send(res, 200, answer);
      }
      if (req.method === 'POST' && m[2] === 'deny') {
        if (r.status === 'approved') return error(res, 400, 'invalid_request_error', 'request is already approved');
        if (r.status === 'pending') Object.assign(r, { status: 'denied', resolved_at: now, resolved_by: apiKeyActor, spend_summary: null });
        return send(res, 200, r);
      }
    }
    return error(res, 404, 'not_found_error', `the stand-in does not serve ${req.method} ${path}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url, org, keys, users, requests, calls, effective,
    get writesEnabled() {
      return state.writesEnabled;
    },
    set writesEnabled(v: boolean) {
      state.writesEnabled = v;
    },
    get effectiveSupported() {
      return state.effectiveSupported;
    },
    set effectiveSupported(v: boolean) {
      state.effectiveSupported = v;
    },
    sets: () => calls.filter((c) => c.method === 'POST' && c.path === '/v1/organizations/spend_limits').map((c) => c.body as SpendLimitSetParams),
    approves: () => calls.filter((c) => c.method === 'POST' && c.path.endsWith('/approve')).map((c) => ({ id: c.path.split('/').at(-2)!, body: c.body as IncreaseRequestApproveParams })),
    denies: () => calls.filter((c) => c.method === 'POST' && c.path.endsWith('/deny')).map((c) => ({ id: c.path.split('/').at(-2)! })),
    holdNextWrite() {
      let release!: () => void;
      held = new Promise<void>((resolve) => (release = resolve));
      return release;
    },
    failNext(count, status, message = 'stand-in fault') {
      failing = { count, status, message };
    },
    addUser(u) {
      const user: BetaOrganizationUser = { added_at: new Date().toISOString(), name: u.email.split('@')[0]!, role: 'user', type: 'user', ...u };
      users.push(user);
      return user;
    },
    addRequest(userId, o = {}) {
      const period = o.period ?? 'monthly';
      const summary: SpendSummary = {
        actor: userActor(userId),
        amount: o.limitCents === undefined ? '5000' : o.limitCents,
        currency: 'USD',
        period,
        period_to_date_spend: o.spentCents ?? '5000',
        scope: { type: 'user', user_id: userId },
        source: o.source ?? { type: 'seat_tier', seat_tier: 'standard' },
        spend_limit_id: nextId('spl'),
      };
      const r: SpendLimitIncreaseRequest = {
        id: nextId('slir'), actor: userActor(userId), created_at: new Date().toISOString(), period,
        resolved_at: null, resolved_by: null, spend_summary: summary, status: 'pending', type: 'spend_limit_increase_request',
      };
      requests.set(r.id, r);
      return r;
    },
    decideInClaude(id, status, byUserId) {
      const r = requests.get(id)!;
      Object.assign(r, { status, resolved_at: new Date().toISOString(), resolved_by: userActor(byUserId), spend_summary: null });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
