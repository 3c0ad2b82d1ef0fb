// The built-in Claude gateway (docs/gateway.md): the Messages API under /anthropic, so
// ANTHROPIC_BASE_URL=http://<host>:3000/anthropic puts a member's Claude Code (or any
// SDK) through the caps. Each model request: the member's personal key identifies them,
// authorize decides before anything is forwarded, the body and anthropic-* headers go
// upstream unchanged over a keep-alive pool, and the answer's bytes come back as they
// arrive while its usage is read on the way; the usage is recorded once, when the
// answer ends, however it ends. Usage the ledger cannot take now (a request forwarded
// unchecked, or the database away when recording) is kept on disk in the usage spool
// until it is recorded (src/gateway/usage-spool.ts, spool-drain.ts).
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Pool } from 'undici';
import { z } from 'zod';
import type { Db } from '../db/client.js';
import { DEFAULT_COOLDOWN_AFTER_DENIAL_MS } from '../domain/requests.js';
import { errorBody, GatewayRefusal, NO_RETRY } from '../gateway/anthropic-error.js';
import { authenticateGatewayKey, lastKnownCaller, type GatewayCaller } from '../gateway/keys.js';
import { refusalAnswer } from '../gateway/refusal.js';
import { refusalMessage } from '../ledger/metering/refusal-message.js';
import { lastOpenedUpstreamKey, openUpstreamKey } from '../gateway/upstream-key.js';
import { jsonTap, streamTap, type TappedUsage, type UsageTap } from '../gateway/usage-tap.js';
import { authorizeUsage } from '../ledger/metering/authorize.js';
import { recordBatcherOf } from '../ledger/metering/record-batch.js';
import { releaseReservation, reserveUsage } from '../ledger/metering/reservations.js';
import { LedgerError } from '../ledger/errors.js';
import { startSpoolDrain, type SpoolDrain } from '../gateway/spool-drain.js';
import type { SpooledRecord, UsageSpool } from '../gateway/usage-spool.js';
import { withRequestRule } from '../ledger/requests/request-eligibility.js';
import { SecretBoxError, type SecretBox } from '../secrets/secret-box.js';
import { usageObject } from './routes/usage.js';

export const GATEWAY_PREFIX = '/anthropic';

export interface GatewayOptions {
  db: Db;
  now: () => Date;
  /** SECRETS_KEY's box: opens the orgs' upstream keys. */
  box?: SecretBox;
  /** Where the Messages API is (GATEWAY_UPSTREAM_URL). */
  upstreamUrl: string;
  /** One upstream key for the whole deployment, used for orgs without their own (GATEWAY_UPSTREAM_API_KEY). */
  deploymentKey?: string;
  /** The console's address, for the next step in a refusal. */
  consoleUrl: string | null;
  /** The checks before forwarding answer within this (default 2 s), else 503. */
  checkBudgetMs?: number;
  reservationTtlMs?: number;
  requestCooldownAfterDenialMs?: number;
  /** Where usage waits for the ledger (DATA_DIR/gateway-spool; memory only without a data folder). */
  spool: UsageSpool;
  /** Told of each record written or refused by the ledger (tests, logs). */
  onRecord?: (outcome: { requestId: string; ok: boolean; error?: unknown }) => void;
}

const MAX_BODY = 32 * 1024 * 1024;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'upgrade']);

class Unavailable extends Error {}

/** A caller let through with the ledger unreachable, their org having chosen to fail open. */
type Caller = GatewayCaller & { unchecked?: boolean };

/** A Messages API body we would forward: the fields it needs, everything else as it is. */
const messagesBody = z.object({
  model: z.string().min(1).max(200),
  max_tokens: z.number().int().positive(),
  messages: z.array(z.unknown()).min(1),
  stream: z.boolean().optional(),
}).passthrough();

/** Claude Code says who it is in its User-Agent (claude-cli/<version>). */
export const productOf = (userAgent: string | undefined) => (userAgent && /^claude-cli\//i.test(userAgent) ? 'claude_code' : 'api');

function presentedKey(headers: IncomingHttpHeaders): string | null {
  const x = headers['x-api-key'];
  if (typeof x === 'string' && x.trim()) return x.trim();
  const m = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '');
  return m ? m[1]! : null;
}

/** What goes upstream: the anthropic-* headers, content type and User-Agent as sent, our key. */
function upstreamHeaders(headers: IncomingHttpHeaders, key: string): Record<string, string> {
  const out: Record<string, string> = { 'x-api-key': key, 'accept-encoding': 'identity' };
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (name.startsWith('anthropic-') || name === 'content-type' || name === 'accept' || name === 'user-agent' || name.startsWith('x-stainless-')) {
      out[name] = Array.isArray(value) ? value.join(', ') : value;
    }
  }
  return out;
}

export function gatewayPlugin(opts: GatewayOptions) {
  const upstream = new URL(opts.upstreamUrl);
  const basePath = upstream.pathname.replace(/\/$/, '');
  // One keep-alive pool to the upstream for the process.
  const pool = new Pool(upstream.origin, { connections: 256, keepAliveTimeout: 30_000, headersTimeout: 600_000, bodyTimeout: 600_000 });
  const budget = opts.checkBudgetMs ?? 2_000;
  const cooldown = opts.requestCooldownAfterDenialMs ?? DEFAULT_COOLDOWN_AFTER_DENIAL_MS;

  /** Everything before forwarding shares one deadline: the database unreachable is a fast 503. */
  function within<T>(deadline: number, work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Unavailable('timed out')), Math.max(0, deadline - Date.now()));
    });
    return Promise.race([work, late]).finally(() => clearTimeout(timer));
  }

  async function identify(request: FastifyRequest, deadline: number): Promise<Caller> {
    const key = presentedKey(request.headers);
    if (!key) throw new GatewayRefusal(401, 'authentication_error', 'x-api-key header is required: set ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN) to your personal gateway key from the console ("Use Claude Code" on your page)', { ...NO_RETRY });
    let caller: Awaited<ReturnType<typeof authenticateGatewayKey>>;
    try {
      caller = await within(deadline, authenticateGatewayKey(opts.db, key, opts.now()));
    } catch (err) {
      // The ledger unreachable: a key this process knew, of an org that fails open, goes on unchecked.
      const known = lastKnownCaller(opts.db, key, opts.now());
      if (known?.failOpen) return { ...known, unchecked: true };
      throw err;
    }
    if (caller === null || caller === 'revoked') throw new GatewayRefusal(401, 'authentication_error', 'invalid x-api-key: this gateway key is unknown, revoked or expired. Make a new one in the console ("Use Claude Code" on your page)', { ...NO_RETRY });
    return caller;
  }

  async function upstreamKeyOf(caller: Caller, deadline: number): Promise<string> {
    const own = opts.box ? await within(deadline, openUpstreamKey(opts.db, opts.box, caller.orgId)).catch((err: unknown) => {
      // SECRETS_KEY rotated without setting the key again: the operator's to fix, not a retry's.
      if (err instanceof SecretBoxError) throw new GatewayRefusal(503, 'api_error', `the gateway's Anthropic API key for organisation '${caller.orgSlug}' does not decrypt with SECRETS_KEY (was it rotated?): the operator sets it again (docs/gateway.md)`, { ...NO_RETRY });
      // The ledger unreachable and the org failing open: the key as this process last opened it.
      const last = caller.failOpen ? lastOpenedUpstreamKey(opts.db, caller.orgId) : undefined;
      if (last !== undefined) return last;
      throw err;
    }) : null;
    const key = own ?? opts.deploymentKey;
    if (!key) throw new GatewayRefusal(503, 'api_error', `the gateway has no Anthropic API key for organisation '${caller.orgSlug}': the operator sets one (PUT /v1/operator/orgs/${caller.orgSlug}/gateway/upstream-key, docs/gateway.md)`, { ...NO_RETRY });
    return key;
  }

  let drain: SpoolDrain | null = null;

  /**
   * Records what a model request used, once. A request forwarded unchecked goes to the
   * spool first (fsynced), recorded from there; any other whose record meets the
   * database away goes there then. The spool's drain records and audits it once the
   * ledger answers (the same requestId counts once however often it is sent).
   */
  async function record(caller: Caller, requestId: string, model: string, product: string, at: Date, tapped: TappedUsage | null, log: FastifyRequest['log']) {
    const usage = tapped?.usage ? usageObject.safeParse({ input_tokens: 0, output_tokens: 0, ...tapped.usage }) : null;
    if (!usage?.success) {
      // Nothing used (an upstream error): a reservation's hold is given back now, not at its expiry.
      if (caller.enforcementMode === 'reserve' && !caller.unchecked) await releaseReservation(opts.db, caller.orgId, caller.memberId, requestId, opts.now()).catch((err: unknown) => log.warn({ err, requestId }, 'gateway: hold not released (the sweeper releases it at expiry)'));
      return;
    }
    const kept: SpooledRecord = {
      orgId: caller.orgId, requestId, member: caller.memberId, model, usage: usage.data, at: at.toISOString(), product,
      keyId: caller.keyId, unchecked: caller.unchecked === true, spooledAt: opts.now().toISOString(),
    };
    if (caller.unchecked) {
      await opts.spool.add(kept);
      drain?.kick();
      return;
    }
    try {
      await recordBatcherOf(opts.db).submit({ orgId: caller.orgId, requestId, member: caller.memberId, model, usage: usage.data, at, product }, opts.now());
      opts.onRecord?.({ requestId, ok: true });
    } catch (err) {
      if (err instanceof LedgerError) {
        // Refused (4xx): will not change on a retry; kept for the operator, not dropped.
        await opts.spool.setAside(kept, err.message);
        log.error({ err, record: kept }, 'gateway: usage refused by the ledger, kept in the spool folder\'s refused.jsonl (replay it with POST /v1/usage/record once the cause is fixed)');
        opts.onRecord?.({ requestId, ok: false, error: err });
        return;
      }
      // The database away after the checks: on disk until it is back.
      log.warn({ err, requestId }, 'gateway: usage not recorded now (the ledger is unreachable): kept in the usage spool, recorded when it is back');
      await opts.spool.add(kept);
      drain?.kick();
    }
  }

  /**
   * Sends the answer's head and bytes on as they come, feeding the tap; resolves when it
   * ends, however. `holdEnd`: given the usage read, runs before the answer's last chunk goes out (the
   * answer is then sent chunked, without content-length, so the client sees its end
   * only after it): the usage of a request forwarded unchecked is on disk first.
   */
  async function relay(request: FastifyRequest, reply: FastifyReply, path: string, body: Buffer | undefined, key: string, method: 'GET' | 'POST', tapOf?: (contentType: string) => UsageTap, holdEnd?: (tapped: TappedUsage | null) => Promise<void>): Promise<TappedUsage | null> {
    const abort = new AbortController();
    const res = reply.raw;
    const hangUp = () => {
      if (!res.writableFinished) abort.abort();
    };
    res.on('close', hangUp);
    // A client gone while the checks ran: its 'close' came before we listened.
    if (res.destroyed) abort.abort();
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    let answer;
    try {
      answer = await pool.request({ method, path: `${basePath}${path}${query}`, headers: upstreamHeaders(request.headers, key), body, signal: abort.signal });
    } catch (err) {
      res.off('close', hangUp);
      if (abort.signal.aborted) return null;
      request.log.warn({ err }, 'gateway: upstream unreachable');
      throw new GatewayRefusal(502, 'api_error', 'the gateway could not reach the Anthropic API; try again', {});
    }
    reply.hijack();
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !HOP_BY_HOP.has(name) && !(holdEnd && name === 'content-length')) headers[name] = value;
    res.writeHead(answer.statusCode, headers);
    const tap = tapOf?.(String(answer.headers['content-type'] ?? ''));
    let tapped: TappedUsage | null | undefined;
    try {
      for await (const chunk of answer.body as AsyncIterable<Buffer>) {
        tap?.push(chunk);
        // (Gone already, 'close' will not come again: nothing to wait for.)
        if (!res.write(chunk) && !res.destroyed) await new Promise<void>((resolve) => {
          const done = () => { res.off('drain', done); res.off('close', done); resolve(); };
          res.on('drain', done);
          res.on('close', done);
        });
        if (res.destroyed) break;
      }
      if (holdEnd) {
        tapped = tap ? tap.end() : null;
        await holdEnd(tapped);
      }
      res.end();
    } catch (err) {
      // The upstream broke the stream, or the client hung up: what arrived is recorded.
      if (!abort.signal.aborted) request.log.warn({ err }, 'gateway: upstream answer broken');
      res.destroy();
      answer.body.destroy();
    } finally {
      res.off('close', hangUp);
    }
    if (tapped !== undefined) return tapped;
    return tap ? tap.end() : null;
  }

  const toError = (request: FastifyRequest, reply: FastifyReply, err: unknown) => {
    if (err instanceof GatewayRefusal) return reply.status(err.status).headers(err.headers).type('application/json').send(errorBody(err));
    if (err instanceof LedgerError) {
      const type = err.status === 404 ? 'not_found_error' : err.status === 403 ? 'permission_error' : err.status === 401 ? 'authentication_error' : 'invalid_request_error';
      return reply.status(err.status).headers(NO_RETRY).type('application/json').send(errorBody({ type, message: err.message }));
    }
    const fe = err as { statusCode?: number; message?: string };
    if (fe.statusCode === 413) return reply.status(413).type('application/json').send(errorBody({ type: 'request_too_large', message: 'the request body is larger than 32 MB' }));
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) return reply.status(400).type('application/json').send(errorBody({ type: 'invalid_request_error', message: fe.message ?? 'invalid request' }));
    // The control plane itself failing (its database unreachable): stop now, say why.
    request.log.error({ err }, 'gateway: extra-usage checks unavailable');
    return reply.status(503).headers(NO_RETRY).type('application/json').send(errorBody({ type: 'api_error', message: 'Extra-usage checks are unavailable right now (the control plane cannot reach its database), so this request was not sent. Try again in a few minutes; tell your admin if it persists.' }));
  };

  return async function gateway(app: FastifyInstance) {
    // Records what the spool keeps: at start (what a process stopped before recording left), and on.
    drain = startSpoolDrain({ db: opts.db, spool: opts.spool, now: opts.now, log: app.log, ...(opts.onRecord ? { onRecord: opts.onRecord } : {}) });
    app.addHook('onClose', async () => {
      await drain?.stop();
      await pool.close();
    });
    // Bodies are forwarded as the bytes that came: never parsed into something else.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_BODY }, (_req, body, done) => done(null, body));
    app.setErrorHandler((err, request, reply) => toError(request, reply, err));
    app.setNotFoundHandler((request, reply) => reply.status(404).type('application/json').send(errorBody({ type: 'not_found_error', message: `${request.method} ${request.url.split('?')[0]} is not served by this gateway (it serves POST /v1/messages, POST /v1/messages/count_tokens and GET /v1/models)` })));

    app.post('/v1/messages', { bodyLimit: MAX_BODY }, async (request, reply) => {
      const deadline = Date.now() + budget;
      let caller = await identify(request, deadline);
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      let json: unknown;
      try {
        json = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new GatewayRefusal(400, 'invalid_request_error', 'the body is not valid JSON');
      }
      const parsed = messagesBody.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new GatewayRefusal(400, 'invalid_request_error', `${issue.path.join('.') || 'body'}: ${issue.message}`);
      }
      const { model, max_tokens: maxTokens } = parsed.data;
      const product = caller.product ?? productOf(request.headers['user-agent']);
      const at = opts.now();
      const requestId = `gw_${randomUUID()}`;
      let decision;
      if (!caller.unchecked) try {
        decision = await within(deadline, caller.enforcementMode === 'reserve'
          // Reservation: max_tokens, and the body's bytes as a bound on its prompt tokens.
          ? reserveUsage(opts.db, { orgId: caller.orgId, requestId, member: caller.memberId, model, at, estimate: { input_tokens: raw.length, max_tokens: maxTokens }, ttlMs: opts.reservationTtlMs, product }, at)
          : authorizeUsage(opts.db, { orgId: caller.orgId, member: caller.memberId, model, at, timezone: caller.timezone, product }));
        decision = await within(deadline, withRequestRule(opts.db, decision, at, cooldown));
      } catch (err) {
        if (err instanceof LedgerError || err instanceof GatewayRefusal) throw err;
        if (!caller.failOpen) throw new Unavailable(String(err));
        // The org chose to fail open: forwarded unchecked, recorded once the ledger is back.
        caller = { ...caller, unchecked: true };
      }
      if (caller.unchecked) request.log.warn({ requestId, orgId: caller.orgId, member: caller.memberId }, 'gateway: the ledger is unreachable; forwarded unchecked (the org fails open), recorded when it is back');
      if (decision && !decision.allowed) {
        // The one wording of refusals, as the authorize API answers it (src/domain/refusal-words.ts).
        const message = await refusalMessage(opts.db, decision, { timezone: caller.timezone, consoleUrl: opts.consoleUrl, model, product }).catch(() => undefined);
        throw refusalAnswer({ ...decision, ...(message ? { message } : {}) }, { timezone: caller.timezone, consoleUrl: opts.consoleUrl, now: at });
      }
      const key = await upstreamKeyOf(caller, deadline).catch((err: unknown) => {
        if (err instanceof GatewayRefusal) throw err;
        throw new Unavailable(String(err));
      });
      let tapped: TappedUsage | null = null;
      let recorded = false;
      // Forwarded unchecked: its usage is on disk before the answer's end goes out.
      const holdEnd = caller.unchecked ? async (t: TappedUsage | null) => {
        recorded = true;
        await record(caller, requestId, model, product, at, t, request.log);
      } : undefined;
      try {
        tapped = await relay(request, reply, '/v1/messages', raw, key, 'POST', (type) => (type.startsWith('text/event-stream') ? streamTap() : jsonTap()), holdEnd);
      } finally {
        // An answer broken or abandoned: what arrived is recorded now.
        if (!recorded) await record(caller, requestId, model, product, at, tapped, request.log);
      }
      return reply;
    });

    app.post('/v1/messages/count_tokens', { bodyLimit: MAX_BODY }, async (request, reply) => {
      const deadline = Date.now() + budget;
      const caller = await identify(request, deadline);
      const key = await upstreamKeyOf(caller, deadline);
      await relay(request, reply, '/v1/messages/count_tokens', Buffer.isBuffer(request.body) ? request.body : undefined, key, 'POST');
      return reply;
    });

    for (const path of ['/v1/models', '/v1/models/:id']) {
      app.get(path, async (request, reply) => {
        const deadline = Date.now() + budget;
        const caller = await identify(request, deadline);
        const key = await upstreamKeyOf(caller, deadline);
        await relay(request, reply, request.url.slice(GATEWAY_PREFIX.length).split('?')[0]!, undefined, key, 'GET');
        return reply;
      });
    }
  };
}
