// Buying prepaid balance, for the API and the chat apps alike. The ledger provider
// credits at once (development: nobody is charged); the Stripe provider hands the
// owner a Checkout link and credits nothing until the verified webhook says paid.
import type { Db } from '../db/client.js';
import type { BalanceEntry, Member, Organization } from '../generated/prisma/client.js';
import { formatUsd, MAX_BALANCE_NANOS } from '../domain/money.js';
import { actorLabel, requireOwner } from '../ledger/actors.js';
import { writeAudit } from '../ledger/audit.js';
import { creditBalance } from '../ledger/settings/balance.js';
import { conflict, invalid } from '../ledger/errors.js';
import { inTransaction, isUniqueViolation } from '../ledger/transactions.js';
import { centsOf, centsProblem } from './cents.js';
import type { StripeClient } from './stripe-client.js';
import { customerOf, keepCustomer } from './stripe-store.js';

export interface PurchaseRequest {
  amountNanos: bigint;
  /** The buyer's key: a retry with it is the same purchase, counted once. */
  idempotencyKey: string;
}

export type PurchaseOutcome =
  | { kind: 'credited'; entry: BalanceEntry; replayed: boolean }
  | { kind: 'checkout'; checkoutUrl: string; sessionId: string; amountNanos: bigint; replayed: boolean };

export interface Purchases {
  readonly provider: 'ledger' | 'stripe';
  /** Owners only (the stored role decides); audited. */
  buy(org: Organization, actor: Member & { via?: string }, req: PurchaseRequest): Promise<PurchaseOutcome>;
  /**
   * A payment link made for a notice that asks owners to pay (balance low, reload
   * failed), in the name of `label`; whoever opens it pays. Stripe only.
   */
  paymentLink?(org: Organization, req: PurchaseRequest, label: string): Promise<PurchaseOutcome>;
  /** The card auto-reload charges, as Stripe describes it (null: none saved yet). Stripe only. */
  paymentMethod?(org: Organization): Promise<SavedCard | null>;
}

/** A saved card as people recognise it: "Visa ending in 4242". */
export interface SavedCard {
  brand: string;
  last4: string;
  expMonth: number | null;
  expYear: number | null;
}

/** Development default: the purchase is credited at once and nobody is charged. */
export function ledgerPurchases(db: Db): Purchases {
  return {
    provider: 'ledger',
    async buy(org, actor, req) {
      requireOwner(actor);
      const { entry, replayed } = await creditBalance(db, org, { kind: 'purchase', amountNanos: req.amountNanos, idempotencyKey: req.idempotencyKey, actor: actorLabel(actor) });
      return { kind: 'credited', entry, replayed };
    },
  };
}

export const RETURN_PATH = '/v1/payments/stripe/return';
/** Stripe's idempotency keys for our calls; ours are at most 200 characters, Stripe's 255. */
export const customerKey = (orgId: string) => `customer/${orgId}`;
export const checkoutKey = (orgId: string, purchaseKey: string) => `checkout/${orgId}/${purchaseKey}`;

export function stripePurchases(db: Db, stripe: StripeClient, opts: { publicUrl: string }): Purchases {
  async function ensureCustomer(org: Organization): Promise<string> {
    const known = await customerOf(db, org.id);
    if (known) return known.customerId;
    const customer = await stripe.customers.create(
      { name: org.name, metadata: { orgId: org.id, orgSlug: org.slug } },
      { idempotencyKey: customerKey(org.id) },
    );
    return (await keepCustomer(db, org.id, customer.id)).customerId;
  }

  const checkoutOf = (row: { url: string; sessionId: string; amountNanos: bigint }, replayed: boolean): PurchaseOutcome =>
    ({ kind: 'checkout', checkoutUrl: row.url, sessionId: row.sessionId, amountNanos: row.amountNanos, replayed });

  async function purchase(org: Organization, label: string, req: PurchaseRequest): Promise<PurchaseOutcome> {
    if (org.plan !== 'team') throw invalid('amount', `prepaid balance is only available on the team plan; this org is on ${org.plan}`);
    const problem = centsProblem(req.amountNanos);
    if (problem) throw invalid('amount', problem);
    const key = { orgId_idempotencyKey: { orgId: org.id, idempotencyKey: req.idempotencyKey } };
    const sameOrConflict = (prior: { amountNanos: bigint }, what: string) => {
      if (prior.amountNanos !== req.amountNanos) throw conflict(`idempotencyKey '${req.idempotencyKey}' was already used for ${what} of ${formatUsd(prior.amountNanos)}`, 'idempotencyKey');
    };
    // Paid already: the credit it made, as a replay.
    const credited = await db.balanceEntry.findUnique({ where: key });
    if (credited) {
      if (credited.kind !== 'purchase') throw conflict(`idempotencyKey '${req.idempotencyKey}' was already used for a ${credited.kind}`, 'idempotencyKey');
      sameOrConflict(credited, 'a purchase');
      return { kind: 'credited', entry: credited, replayed: true };
    }
    const open = await db.stripeCheckout.findUnique({ where: key });
    if (open) {
      sameOrConflict(open, 'a checkout');
      // Stripe's session is gone (unpaid for 24 hours): this key cannot be paid any more.
      if (open.status === 'expired') throw conflict(`the payment link for idempotencyKey '${req.idempotencyKey}' expired unpaid; buy again with a new idempotencyKey`, 'idempotencyKey');
      return checkoutOf(open, true);
    }
    // Nobody should pay for what could not be credited.
    if (org.balanceNanos > MAX_BALANCE_NANOS - req.amountNanos) throw invalid('amount', `this purchase would take the balance past its maximum of ${formatUsd(MAX_BALANCE_NANOS)}`);

    const customer = await ensureCustomer(org);
    const metadata = { orgId: org.id, purchaseKey: req.idempotencyKey };
    const back = (outcome: string) => `${opts.publicUrl.replace(/\/+$/, '')}${RETURN_PATH}?outcome=${outcome}&session_id={CHECKOUT_SESSION_ID}`;
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      customer,
      client_reference_id: org.id,
      line_items: [{ quantity: 1, price_data: { currency: 'usd', unit_amount: centsOf(req.amountNanos), product_data: { name: `Extra usage prepaid balance: ${org.name}` } } }],
      // The card is saved for auto-reload's off-session charges.
      payment_intent_data: { setup_future_usage: 'off_session', metadata, description: `Prepaid balance for ${org.name}` },
      metadata,
      success_url: back('paid'),
      cancel_url: back('cancelled'),
    }, { idempotencyKey: checkoutKey(org.id, req.idempotencyKey) });
    if (!session.url) throw new Error(`Stripe answered Checkout Session ${session.id} without a URL`);

    try {
      const row = await inTransaction(db, async (tx) => {
        const created = await tx.stripeCheckout.create({ data: { sessionId: session.id, orgId: org.id, idempotencyKey: req.idempotencyKey, amountNanos: req.amountNanos, url: session.url!, actor: label } });
        await writeAudit(tx, org.id, [{
          actor: label,
          action: 'balance.purchase_started',
          subject: 'org',
          before: { balance: formatUsd(org.balanceNanos) },
          after: { amount: formatUsd(req.amountNanos), checkoutSession: session.id, credited: 'when Stripe confirms the payment' },
        }]);
        return created;
      });
      return checkoutOf(row, false);
    } catch (err) {
      // The same purchase started twice at once: Stripe gave both the same session.
      if (!isUniqueViolation(err)) throw err;
      const raced = await db.stripeCheckout.findUnique({ where: key });
      if (!raced) throw err;
      sameOrConflict(raced, 'a checkout');
      return checkoutOf(raced, true);
    }
  }

  return {
    provider: 'stripe',
    async buy(org, actor, req) {
      requireOwner(actor);
      return purchase(org, actorLabel(actor), req);
    },
    paymentLink: (org, req, label) => purchase(org, label, req),
    async paymentMethod(org) {
      const saved = await customerOf(db, org.id);
      if (!saved?.paymentMethodId) return null;
      const pm = await stripe.paymentMethods.retrieve(saved.paymentMethodId);
      if (!pm.card) return { brand: pm.type, last4: '', expMonth: null, expYear: null };
      return { brand: pm.card.brand, last4: pm.card.last4, expMonth: pm.card.exp_month ?? null, expYear: pm.card.exp_year ?? null };
    },
  };
}
