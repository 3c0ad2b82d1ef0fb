// A local stand-in for just the Stripe API endpoints we call (customers, Checkout
// Sessions, PaymentIntents), so the real `stripe` SDK can be tested without Stripe's
// servers. It honours Idempotency-Key the way Stripe does (same key + same body: the
// first answer again; same key + another body: 400), answers card declines as Stripe
// does (402 card_error), and hands out events signed the way Stripe signs them.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

type Obj = Record<string, any>;

export interface StripeEvent {
  id: string;
  object: 'event';
  type: string;
  created: number;
  livemode: false;
  api_version: string;
  data: { object: Obj };
}

export interface StandInCall {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  params: Obj;
}

/** Decodes Stripe's form bodies (a[b][0][c]=v) into nested objects. */
function decodeForm(body: string): Obj {
  const out: Obj = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const path = [...key.matchAll(/^([^[\]]+)|\[([^\]]*)\]/g)].map((m) => m[1] ?? m[2]!);
    let at = out;
    path.forEach((part, i) => {
      if (i === path.length - 1) at[part] = value;
      else at = at[part] ??= {};
    });
  }
  return out;
}

/** Stripe's test payment methods by id: brand and last four digits. */
const TEST_CARDS: Record<string, [string, string]> = {
  pm_card_visa: ['visa', '4242'],
  pm_card_mastercard: ['mastercard', '4444'],
  pm_card_amex: ['amex', '8431'],
  pm_card_visa_chargeDeclinedInsufficientFunds: ['visa', '9995'],
};

const id = (prefix: string) => `${prefix}_${randomBytes(8).toString('hex')}`;
const now = () => Math.floor(Date.now() / 1000);

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export interface StripeStandIn {
  /** protocol://host:port, for STRIPE_API_BASE. */
  base: string;
  secretKey: string;
  webhookSecret: string;
  calls: StandInCall[];
  customers: Map<string, Obj>;
  sessions: Map<string, Obj>;
  intents: Map<string, Obj>;
  /** Payment methods that decline off-session charges, with the decline code. */
  declining: Map<string, string>;
  /** Off-session charges: send their webhook events (default) or keep them for the test. */
  deliverIntentEvents: boolean;
  /** Events made and not yet delivered by the stand-in itself. */
  undelivered: StripeEvent[];
  /** Where the stand-in posts events it sends (the service's webhook); set by the test. */
  deliver?: (payload: string, signature: string) => Promise<number>;
  /** The buyer pays a Checkout Session with `paymentMethod`: returns the events Stripe would send (not delivered). */
  payCheckout(sessionId: string, paymentMethod?: string): { completed: StripeEvent; intentSucceeded: StripeEvent };
  event(type: string, object: Obj): StripeEvent;
  /** The payload and its Stripe-Signature header, signed with `secret` (default: the right one). */
  sign(event: StripeEvent, secret?: string): { payload: string; signature: string };
  close(): Promise<void>;
}

/** `again`: a stand-in started again where a stopped one was (its port and secrets), as Stripe coming back. */
export async function startStripeStandIn(again?: { port: number; secretKey: string; webhookSecret: string }): Promise<StripeStandIn> {
  const secretKey = again?.secretKey ?? `sk_test_${randomBytes(12).toString('hex')}`;
  const webhookSecret = again?.webhookSecret ?? `whsec_${randomBytes(16).toString('hex')}`;
  const signer = new Stripe(secretKey);
  const remembered = new Map<string, { body: string; status: number; answer: Obj }>();

  const state: StripeStandIn = {
    base: '',
    secretKey,
    webhookSecret,
    calls: [],
    customers: new Map(),
    sessions: new Map(),
    intents: new Map(),
    declining: new Map(),
    deliverIntentEvents: true,
    undelivered: [],
    payCheckout(sessionId, paymentMethod = 'pm_card_visa') {
      const session = state.sessions.get(sessionId);
      if (!session) throw new Error(`no session ${sessionId}`);
      const intent: Obj = {
        id: id('pi'), object: 'payment_intent', amount: session.amount_total, currency: 'usd', status: 'succeeded',
        customer: session.customer, payment_method: paymentMethod, setup_future_usage: session.payment_intent_data?.setup_future_usage ?? null,
        metadata: session.payment_intent_data?.metadata ?? {}, last_payment_error: null, created: now(),
      };
      state.intents.set(intent.id, intent);
      Object.assign(session, { status: 'complete', payment_status: 'paid', payment_intent: intent.id });
      return { completed: state.event('checkout.session.completed', session), intentSucceeded: state.event('payment_intent.succeeded', intent) };
    },
    event(type, object) {
      return { id: id('evt'), object: 'event', type, created: now(), livemode: false, api_version: '2025-01-01', data: { object: structuredClone(object) } };
    },
    sign(event, secret = webhookSecret) {
      const payload = JSON.stringify(event, null, 2);
      return { payload, signature: signer.webhooks.generateTestHeaderString({ payload, secret }) };
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  const send = (event: StripeEvent) => {
    if (!state.deliverIntentEvents || !state.deliver) {
      state.undelivered.push(event);
      return;
    }
    const { payload, signature } = state.sign(event);
    // As Stripe does: after the API answered, not within it.
    setImmediate(() => void state.deliver!(payload, signature).catch(() => state.undelivered.push(event)));
  };

  function route(method: string, path: string, p: Obj): { status: number; answer: Obj; after?: () => void } {
    const notFound = { status: 404, answer: { error: { type: 'invalid_request_error', message: `No such resource: ${path}` } } };
    // What the service reads at start to check STRIPE_SECRET_KEY (nothing changes).
    if (method === 'GET' && path === '/v1/balance') {
      return { status: 200, answer: { object: 'balance', available: [{ amount: 0, currency: 'usd', source_types: { card: 0 } }], pending: [{ amount: 0, currency: 'usd', source_types: { card: 0 } }], livemode: false } };
    }
    if (method === 'POST' && path === '/v1/customers') {
      const customer = { id: id('cus'), object: 'customer', name: p.name ?? null, metadata: p.metadata ?? {}, created: now() };
      state.customers.set(customer.id, customer);
      return { status: 200, answer: customer };
    }
    if (method === 'POST' && path === '/v1/checkout/sessions') {
      if (!p.customer || !state.customers.has(p.customer)) return { status: 400, answer: { error: { type: 'invalid_request_error', message: `No such customer: '${p.customer}'`, param: 'customer' } } };
      const item = p.line_items?.['0'];
      const amount = Number(item?.price_data?.unit_amount) * Number(item?.quantity ?? 1);
      const sid = id('cs_test');
      const session = {
        id: sid, object: 'checkout.session', mode: p.mode, status: 'open', payment_status: 'unpaid', customer: p.customer,
        client_reference_id: p.client_reference_id ?? null, amount_total: amount, currency: item?.price_data?.currency,
        metadata: p.metadata ?? {}, payment_intent: null, payment_intent_data: p.payment_intent_data,
        success_url: p.success_url, cancel_url: p.cancel_url, url: `${state.base}/c/pay/${sid}`, line_items: p.line_items,
      };
      state.sessions.set(sid, session);
      const { payment_intent_data: _internal, line_items: _items, ...visible } = session;
      return { status: 200, answer: visible };
    }
    const sessionGet = /^\/v1\/checkout\/sessions\/([^/]+)$/.exec(path);
    if (method === 'GET' && sessionGet) {
      const s = state.sessions.get(sessionGet[1]!);
      return s ? { status: 200, answer: s } : notFound;
    }
    if (method === 'POST' && path === '/v1/payment_intents') {
      const intent: Obj = {
        id: id('pi'), object: 'payment_intent', amount: Number(p.amount), currency: p.currency, customer: p.customer ?? null,
        payment_method: p.payment_method ?? null, description: p.description ?? null, metadata: p.metadata ?? {},
        off_session: p.off_session === 'true', status: 'succeeded', last_payment_error: null, created: now(),
      };
      const declined = state.declining.get(intent.payment_method);
      if (p.confirm === 'true' && declined) {
        const error = { type: 'card_error', code: 'card_declined', decline_code: declined, message: declined === 'insufficient_funds' ? 'Your card has insufficient funds.' : 'Your card was declined.', payment_method: { id: intent.payment_method } };
        Object.assign(intent, { status: 'requires_payment_method', last_payment_error: error });
        state.intents.set(intent.id, intent);
        return { status: 402, answer: { error: { ...error, payment_intent: intent } }, after: () => send(state.event('payment_intent.payment_failed', intent)) };
      }
      state.intents.set(intent.id, intent);
      return { status: 200, answer: intent, after: () => send(state.event('payment_intent.succeeded', intent)) };
    }
    // A saved card, as Stripe's test payment methods describe themselves.
    const methodGet = /^\/v1\/payment_methods\/([^/]+)$/.exec(path);
    if (method === 'GET' && methodGet) {
      const pm = methodGet[1]!;
      const [brand, last4] = TEST_CARDS[pm] ?? ['visa', '4242'];
      return { status: 200, answer: { id: pm, object: 'payment_method', type: 'card', customer: null, card: { brand, last4, exp_month: 12, exp_year: 2034, funding: 'credit', country: 'US' }, created: now(), livemode: false, metadata: {} } };
    }
    const intentGet = /^\/v1\/payment_intents\/([^/]+)$/.exec(path);
    if (method === 'GET' && intentGet) {
      const i = state.intents.get(intentGet[1]!);
      return i ? { status: 200, answer: i } : notFound;
    }
    return notFound;
  }

  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const reply = (status: number, answer: Obj) => {
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': id('req') });
      res.end(JSON.stringify(answer));
    };
    if (req.headers.authorization !== `Bearer ${secretKey}`) return reply(401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } });
    const key = req.headers['idempotency-key'] as string | undefined;
    const params = decodeForm(req.method === 'GET' ? url.searchParams.toString() : body);
    state.calls.push({ method: req.method!, path: url.pathname, idempotencyKey: key, params });
    if (key && req.method === 'POST') {
      const scoped = `${url.pathname} ${key}`;
      const earlier = remembered.get(scoped);
      if (earlier) {
        if (earlier.body !== body) {
          return reply(400, { error: { type: 'idempotency_error', message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.` } });
        }
        res.setHeader('idempotent-replayed', 'true');
        return reply(earlier.status, earlier.answer);
      }
      const answer = route(req.method, url.pathname, params);
      remembered.set(scoped, { body, status: answer.status, answer: answer.answer });
      reply(answer.status, answer.answer);
      answer.after?.();
      return;
    }
    const answer = route(req.method!, url.pathname, params);
    reply(answer.status, answer.answer);
    answer.after?.();
  });
  await new Promise<void>((resolve) => server.listen(again?.port ?? 0, '127.0.0.1', resolve));
  state.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}
