// Stripe's side of payments: the webhook that credits paid purchases and records
// auto-reload charges (docs/payments.md), and the page Checkout sends the buyer back to.
import { Readable } from 'node:stream';
import type { FastifyRequest, preParsingHookHandler } from 'fastify';
import { z } from 'zod';
import { WebhookRejected } from '../../payments/stripe-webhook.js';
import { RETURN_PATH } from '../../payments/purchases.js';
import { HttpError } from '../errors.js';
import { defineRoute } from '../route.js';
import type { ApiDeps } from '../server.js';

export const STRIPE_WEBHOOK_URL = '/v1/payments/stripe/webhook';

/**
 * The signature covers the exact bytes Stripe sent, so this route keeps them before
 * the JSON parser runs: a hook on this route alone (every other route is left as it was).
 */
function keepRawBodies(): { raw: WeakMap<FastifyRequest, Buffer>; hook: preParsingHookHandler } {
  const raw = new WeakMap<FastifyRequest, Buffer>();
  const hook: preParsingHookHandler = (request, _reply, payload, done) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of payload) chunks.push(Buffer.from(chunk as Buffer));
      const body = Buffer.concat(chunks);
      raw.set(request, body);
      const again = Readable.from([body]);
      (again as unknown as { receivedEncodedLength: number }).receivedEncodedLength = body.length;
      return again;
    })().then((again) => done(null, again), (err: Error) => done(err));
  };
  return { raw, hook };
}

export function paymentsRoutes(deps: ApiDeps) {
  const { raw: rawBodies, hook: keepRawBody } = keepRawBodies();
  return [
    defineRoute({
      method: 'POST', url: STRIPE_WEBHOOK_URL, tag: 'payments', auth: 'none',
      summary: 'Stripe webhook (signed with the endpoint\'s signing secret): a paid Checkout credits its purchase once; '
        + 'PaymentIntent outcomes confirm or decline auto-reload charges. Replays and out-of-order events change nothing.',
      refusals: {
        400: 'The Stripe-Signature header is missing or does not verify for this body with the signing secret (nothing changed)',
        404: 'Payments are not taken through Stripe here (PAYMENTS_PROVIDER is not stripe)',
      },
      preParsing: keepRawBody,
      async handler({ request }) {
        const webhook = deps.payments?.stripeWebhook;
        if (!webhook) throw new HttpError(404, 'not_found', 'payments are not taken through Stripe on this service (PAYMENTS_PROVIDER is not stripe)');
        const signature = request.headers['stripe-signature'];
        try {
          const result = await webhook.handle(rawBodies.get(request) ?? Buffer.alloc(0), typeof signature === 'string' ? signature : undefined);
          return { received: true, ...result };
        } catch (err) {
          if (err instanceof WebhookRejected) throw new HttpError(400, 'invalid_signature', err.message, 'stripe-signature');
          throw err;
        }
      },
    }),
    defineRoute({
      method: 'GET', url: RETURN_PATH, tag: 'payments', auth: 'none',
      summary: 'Where Stripe Checkout sends the buyer back; the balance is credited when Stripe\'s webhook confirms the payment',
      query: z.object({ outcome: z.enum(['paid', 'cancelled']), session_id: z.string().max(300).optional() }),
      otherSuccess: { 303: 'A browser (Accept: text/html) is sent on to the console\'s Usage page, which says the same' },
      async handler({ query, request, reply }) {
        // A person coming back from Checkout lands in the console, not on JSON.
        if (/\btext\/html\b/.test(request.headers.accept ?? '')) {
          return reply.redirect(`/usage?saved=${query.outcome === 'paid' ? 'purchase-paid' : 'purchase-cancelled'}`, 303);
        }
        return query.outcome === 'paid'
          ? { message: 'Thank you. Your payment was received; the balance is credited as soon as Stripe confirms it (usually within seconds).' }
          : { message: 'The purchase was cancelled; nothing was charged or credited.' };
      },
    }),
  ];
}
