// One service with payments through Stripe: the real API (Fastify, injected), the
// real `stripe` SDK pointed at the local stand-in, and the stand-in delivering its
// events to our webhook the way Stripe does (signed).
import { randomBytes } from 'node:crypto';
import type { Db } from '../../src/db/client.js';
import { stripePurchases } from '../../src/payments/purchases.js';
import { createStripeClient, type StripeClient } from '../../src/payments/stripe-client.js';
import { stripeWebhook } from '../../src/payments/stripe-webhook.js';
import { harness, teamDoc, type Harness } from '../support/fixtures.js';
import { startStripeStandIn, type StripeEvent, type StripeStandIn } from '../support/stripe-api.js';

export const PUBLIC_URL = 'https://usage.example.com';

export interface StripeWorld {
  h: Harness;
  standIn: StripeStandIn;
  stripe: StripeClient;
  logged: { level: string; msg: string }[];
  /** A fresh team org (its own slug) with a key acting for its members. */
  team(): Promise<{ slug: string; orgId: string; as(actor: string): { get(url: string): ReturnType<Harness['call']>; post(url: string, body: unknown): ReturnType<Harness['call']> } }>;
  /** Posts a payload to our webhook as Stripe would. */
  postWebhook(payload: string, signature?: string): Promise<{ status: number; body: any }>;
  /** Signs (with the right secret unless told) and posts an event. */
  deliver(event: StripeEvent, secret?: string): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export async function stripeWorld(db: Db): Promise<StripeWorld> {
  const standIn = await startStripeStandIn();
  const stripe = createStripeClient({ secretKey: standIn.secretKey, apiBase: standIn.base });
  const logged: StripeWorld['logged'] = [];
  const log = { warn: (_: object, msg: string) => void logged.push({ level: 'warn', msg }), error: (_: object, msg: string) => void logged.push({ level: 'error', msg }) };
  const h = await harness(db, new Date(), {
    payments: { purchases: stripePurchases(db, stripe, { publicUrl: PUBLIC_URL }), stripeWebhook: stripeWebhook({ db, stripe, webhookSecret: standIn.webhookSecret, log }) },
  });
  const postWebhook: StripeWorld['postWebhook'] = async (payload, signature) => {
    const res = await h.app.inject({
      method: 'POST', url: '/v1/payments/stripe/webhook', payload,
      headers: { 'content-type': 'application/json; charset=utf-8', ...(signature ? { 'stripe-signature': signature } : {}) },
    });
    return { status: res.statusCode, body: res.json() };
  };
  standIn.deliver = async (payload, signature) => (await postWebhook(payload, signature)).status;
  return {
    h, standIn, stripe, logged, postWebhook,
    async team() {
      const slug = `team-${randomBytes(4).toString('hex')}`;
      const { orgId } = await h.provision(slug, teamDoc({ autoReload: { enabled: false } }));
      const key = await h.issueKey(slug);
      return {
        slug, orgId,
        as: (actor: string) => ({
          get: (url: string) => h.call('GET', url, { token: key, actor }),
          post: (url: string, body: unknown) => h.call('POST', url, { token: key, actor, body }),
        }),
      };
    },
    deliver(event, secret) {
      const { payload, signature } = standIn.sign(event, secret);
      return postWebhook(payload, signature);
    },
    async close() {
      await h.close();
      await standIn.close();
    },
  };
}

/** Waits (bounded) for a condition the service reaches asynchronously. */
export async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last ${JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? String(x) : x))}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
