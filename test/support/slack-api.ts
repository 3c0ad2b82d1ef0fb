// A local stand-in for Slack's Web API (Slack's servers are unreachable here). The
// app's real WebClient is pointed at it with the `slackApiUrl` client option. It
// records every call (method, token, arguments), answers with plausible ok:true
// payloads, and refuses like Slack would any message or view beyond Block Kit's
// limits (ok:false, invalid_blocks), keeping the problems for the test to assert.
// It also serves response_url endpoints (recorded as 'response_url' calls).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { blockKitProblems, surfaceOf } from './slack-block-kit-limits.js';

export interface SlackCall {
  method: string;
  token: string | null;
  args: Record<string, any>;
  /** The answer given (ok true or false). */
  response: Record<string, any>;
  seq: number;
}

export interface StandInOptions {
  teamId?: string;
  teamName?: string;
  botUserId?: string;
  botId?: string;
  /** What oauth.v2.access answers (the workspace being installed). */
  oauthTeam?: { id: string; name: string };
  /** Listen on this port (e.g. one the service was given while nothing answered there); default any free one. */
  port?: number;
}

export interface SlackApiStandIn {
  /** Base URL for the WebClient's slackApiUrl (ends with /api/). */
  apiUrl: string;
  /** A fresh response_url recorded as method 'response_url'. */
  responseUrl(): string;
  calls: SlackCall[];
  /** Block Kit problems of every refused call. */
  problems: string[];
  of(method: string): SlackCall[];
  /** Waits until `count` calls of `method` match `where`; returns the matches. */
  waitFor(method: string, where?: (c: SlackCall) => boolean, count?: number, timeoutMs?: number): Promise<SlackCall[]>;
  /** The next call to `method` answers ok:false with this error. */
  failNext(method: string, error: string): void;
  team: { id: string; name: string };
  bot: { userId: string; botId: string };
  /** What apps.connections.open answers (Socket Mode): a ws:// URL of a test socket server. */
  socketUrl: string | null;
  /** users.info answers for a user id, merged over the default (e.g. { profile: { email } }). */
  users: Map<string, Record<string, any>>;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseArgs(contentType: string, body: string): Record<string, any> {
  if (contentType.includes('application/json')) return body ? JSON.parse(body) : {};
  const out: Record<string, any> = {};
  for (const [k, v] of new URLSearchParams(body)) {
    // The WebClient JSON-encodes objects and arrays (blocks, view, ...) in form fields.
    out[k] = /^[[{]/.test(v) ? (() => { try { return JSON.parse(v); } catch { return v; } })() : v;
  }
  return out;
}

export async function startSlackApi(opts: StandInOptions = {}): Promise<SlackApiStandIn> {
  const team = { id: opts.teamId ?? 'T_ACME', name: opts.teamName ?? 'Acme' };
  const bot = { userId: opts.botUserId ?? 'U_BOT', botId: opts.botId ?? 'B_BOT' };
  const calls: SlackCall[] = [];
  const problems: string[] = [];
  const failures = new Map<string, string[]>();
  let seq = 0;
  let ts = 1_760_000_000;
  let viewSeq = 0;
  let responseSeq = 0;
  const nextTs = () => `${++ts}.000100`;
  const socket = { url: null as string | null };
  const users = new Map<string, Record<string, any>>();

  function answer(method: string, args: Record<string, any>): Record<string, any> {
    const failing = failures.get(method);
    if (failing?.length) return { ok: false, error: failing.shift() };
    const surface = surfaceOf(method, args);
    if (surface) {
      const found = blockKitProblems(surface.surface, surface.payload);
      if (found.length) {
        problems.push(...found.map((f) => `${method}: ${f}`));
        return { ok: false, error: 'invalid_blocks', errors: found };
      }
    }
    switch (method) {
      case 'auth.test':
        return { ok: true, url: `https://${team.name.toLowerCase()}.slack.com/`, team: team.name, user: 'extra-usage', team_id: team.id, user_id: bot.userId, bot_id: bot.botId, is_enterprise_install: false };
      case 'oauth.v2.access': {
        const t = opts.oauthTeam ?? team;
        return {
          ok: true, app_id: 'A_APP', authed_user: { id: 'U_INSTALLER' }, scope: 'chat:write,commands,im:write,channels:join,users:read',
          token_type: 'bot', access_token: `xoxb-installed-${t.id}`, bot_user_id: bot.userId, team: t, enterprise: null, is_enterprise_install: false,
        };
      }
      case 'conversations.open':
        return { ok: true, channel: { id: `D_${String(args.users).split(',')[0]}` } };
      case 'conversations.join':
        return { ok: true, channel: { id: args.channel, name: 'alerts' } };
      case 'chat.postMessage': {
        const channel = /^U/.test(String(args.channel)) ? `D_${args.channel}` : String(args.channel);
        const t = nextTs();
        return { ok: true, channel, ts: t, message: { type: 'message', text: args.text, blocks: args.blocks, ts: t, bot_id: bot.botId } };
      }
      case 'chat.update':
        return { ok: true, channel: args.channel, ts: args.ts, text: args.text, message: { text: args.text, blocks: args.blocks } };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: nextTs() };
      case 'views.open':
      case 'views.push':
      case 'views.update':
      case 'views.publish': {
        const id = args.view_id ?? `V${String(++viewSeq).padStart(6, '0')}`;
        return { ok: true, view: { ...args.view, id, hash: `${Date.now()}.${viewSeq}`, team_id: team.id, app_id: 'A_APP' } };
      }
      case 'apps.connections.open':
        return socket.url ? { ok: true, url: socket.url } : { ok: false, error: 'invalid_auth' };
      case 'users.info':
        return { ok: true, user: { id: args.user, team_id: team.id, name: String(args.user).toLowerCase(), real_name: String(args.user), tz: 'Europe/Paris', ...users.get(String(args.user)) } };
      default:
        return { ok: true };
    }
  }

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = await readBody(req);
    const contentType = String(req.headers['content-type'] ?? '');
    if (url.pathname.startsWith('/response/')) {
      const args = parseArgs(contentType, body);
      const found = blockKitProblems('message', args);
      problems.push(...found.map((f) => `response_url: ${f}`));
      calls.push({ method: 'response_url', token: null, args: { ...args, url: url.pathname }, response: { ok: found.length === 0 }, seq: ++seq });
      res.writeHead(found.length ? 400 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: found.length === 0 }));
      return;
    }
    const method = url.pathname.replace(/^\/api\//, '');
    const args = parseArgs(contentType, body);
    const auth = String(req.headers.authorization ?? '');
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : (args.token ?? null);
    delete args.token;
    const response = answer(method, args);
    calls.push({ method, token, args, response, seq: ++seq });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(response));
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const of = (method: string) => calls.filter((c) => c.method === method);

  return {
    apiUrl: `${base}/api/`,
    responseUrl: () => `${base}/response/${++responseSeq}`,
    calls,
    problems,
    of,
    async waitFor(method, where = () => true, count = 1, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const found = of(method).filter(where);
        if (found.length >= count) return found;
        if (Date.now() > until) {
          throw new Error(`waited ${timeoutMs} ms for ${count} ${method} call(s), saw ${found.length}; all calls: ${calls.map((c) => `${c.method}${c.response.ok ? '' : `(${c.response.error})`}`).join(', ')}${problems.length ? `; problems: ${problems.join(' | ')}` : ''}`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    failNext(method, error) {
      failures.set(method, [...(failures.get(method) ?? []), error]);
    },
    team,
    bot,
    users,
    get socketUrl() {
      return socket.url;
    },
    set socketUrl(url: string | null) {
      socket.url = url;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
