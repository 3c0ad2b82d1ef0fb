// A stand-in for the Bot Connector service (what an activity's serviceUrl points
// at), as the Bot Framework Emulator provides one: a small HTTP server that
// records what the bot sends and answers like the real service.
//   POST /v3/conversations                                  create a conversation (proactive personal chat)
//   POST /v3/conversations/:id/activities[/:replyToId]      send a message
//   PUT  /v3/conversations/:id/activities/:activityId       update a message
//   GET  /v3/conversations/:id/members/:userId              one member of the roster (TeamsInfo.getMember)
//   GET  /v3/conversations/:id/pagedmembers                  the roster, pageSize at a time (TeamsInfo.getPagedMembers)
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ConnectorCall {
  kind: 'create' | 'send' | 'update' | 'member' | 'other';
  method: string;
  path: string;
  conversationId: string | null;
  /** update: the activity replaced; send: the activity replied to, if any. */
  activityId: string | null;
  authorization: string | null;
  body: any;
  /** The id answered (new activity or conversation). */
  id: string | null;
}

export interface ConnectorStandIn {
  url: string;
  calls: ConnectorCall[];
  of(kind: ConnectorCall['kind'], where?: (c: ConnectorCall) => boolean): ConnectorCall[];
  waitFor(kind: ConnectorCall['kind'], where?: (c: ConnectorCall) => boolean, count?: number, timeoutMs?: number): Promise<ConnectorCall[]>;
  /** The Adaptive Card of a recorded send or update. */
  cardOf(call: ConnectorCall): any;
  /** Puts a user on the tenant's roster (as Teams answers GET …/members/:id: id, name, aadObjectId, email, userPrincipalName). */
  setMember(userId: string, account: Record<string, unknown>): void;
  /**
   * These Entra object ids have no app in their personal scope (a team-only install):
   * creating a chat that names them by object id is refused, as Microsoft documents;
   * by the Teams user id ("29:…") the roster gives, it works.
   */
  withoutPersonalApp(aadObjectIds: string[]): void;
  /** The app installed for them after all: chats by their object id work again. */
  allowPersonalApp(aadObjectIds: string[]): void;
  /** Make the next `n` sends fail (403: the user blocked the bot; 503: an outage, which the SDK retries). */
  failNext(n: number, status?: number): void;
  close(): Promise<void>;
}

/** The conversation id the stand-in gives a personal chat: the same for the same user, as Teams does. */
export const personalConversationId = (userId: string) => `a:dm-${userId}`;

function readBody(req: IncomingMessage): Promise<any> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text ? JSON.parse(text) : null);
      } catch (err) {
        reject(err);
      }
    });
    req.on('error', reject);
  });
}

export async function startConnector(): Promise<ConnectorStandIn> {
  const calls: ConnectorCall[] = [];
  let next = 0;
  let failures = 0;
  let failStatus = 503;
  const roster = new Map<string, Record<string, unknown>>();
  const noPersonalApp = new Set<string>();
  const answer = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = await readBody(req).catch(() => null);
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const call: ConnectorCall = { kind: 'other', method: req.method ?? '', path: url.pathname, conversationId: null, activityId: null, authorization: req.headers.authorization ?? null, body, id: null };
    calls.push(call);
    if (parts[0] !== 'v3' || parts[1] !== 'conversations') return answer(res, 404, { error: { code: 'NotFound', message: url.pathname } });
    if (req.method === 'POST' && parts.length === 2) {
      call.kind = 'create';
      const member = body?.members?.[0]?.id ?? `unknown-${++next}`;
      if (noPersonalApp.has(member)) {
        call.id = null;
        return answer(res, 403, { error: { code: 'Forbidden', message: 'The bot is not installed for this user: address them by their Teams user id from the roster, or install the app for them' } });
      }
      call.id = personalConversationId(member);
      return answer(res, 201, { id: call.id, serviceUrl: null });
    }
    if (req.method === 'GET' && parts[3] === 'members' && parts.length === 5) {
      call.kind = 'member';
      call.conversationId = parts[2] ?? null;
      const account = roster.get(parts[4]!);
      if (!account) return answer(res, 404, { error: { code: 'MemberNotFoundInConversation', message: 'The member is not in the roster' } });
      call.id = parts[4]!;
      return answer(res, 200, account);
    }
    if (req.method === 'GET' && parts[3] === 'pagedmembers' && parts.length === 4) {
      call.kind = 'member';
      call.conversationId = parts[2] ?? null;
      call.id = 'roster';
      const all = [...roster.values()];
      const size = Math.max(1, Number(url.searchParams.get('pageSize') ?? 100));
      const from = Number(url.searchParams.get('continuationToken') ?? 0);
      const next = from + size < all.length ? String(from + size) : undefined;
      return answer(res, 200, { members: all.slice(from, from + size), ...(next ? { continuationToken: next } : {}) });
    }
    if (parts[3] !== 'activities') return answer(res, 404, { error: { code: 'NotFound', message: url.pathname } });
    call.conversationId = parts[2] ?? null;
    call.activityId = parts[4] ?? null;
    if (req.method === 'POST' && (parts.length === 4 || parts.length === 5)) {
      call.kind = 'send';
      if (failures > 0) {
        failures--;
        return answer(res, failStatus, { error: { code: failStatus === 403 ? 'BotNotInConversationRoster' : 'ServiceUnavailable', message: 'stand-in failure' } });
      }
      call.id = `msg-${++next}`;
      return answer(res, 201, { id: call.id });
    }
    if (req.method === 'PUT' && parts.length === 5) {
      call.kind = 'update';
      call.id = call.activityId;
      return answer(res, 200, { id: call.id });
    }
    return answer(res, 404, { error: { code: 'NotFound', message: url.pathname } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const of: ConnectorStandIn['of'] = (kind, where = () => true) => calls.filter((c) => c.kind === kind && c.id !== null && where(c));
  return {
    url: `http://127.0.0.1:${port}/`,
    calls,
    of,
    async waitFor(kind, where = () => true, count = 1, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      while (of(kind, where).length < count) {
        if (Date.now() > until) throw new Error(`waited ${timeoutMs} ms for ${count} '${kind}' call(s) to the connector, saw ${of(kind, where).length}: ${calls.map((c) => `${c.method} ${c.path}`).join(', ')}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      return of(kind, where);
    },
    cardOf(call) {
      return call.body?.attachments?.find((a: any) => a.contentType === 'application/vnd.microsoft.card.adaptive')?.content ?? null;
    },
    setMember(userId, account) {
      roster.set(userId, account);
    },
    withoutPersonalApp(ids) {
      for (const id of ids) noPersonalApp.add(id);
    },
    allowPersonalApp(ids) {
      for (const id of ids) noPersonalApp.delete(id);
    },
    failNext(n, status = 503) {
      failures = n;
      failStatus = status;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
