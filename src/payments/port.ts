// The payment port for Team auto-reloads. The idempotency key is derived from the
// org and the threshold crossing, so a retried charge is charged once.
import type { Db } from '../db/client.js';

export interface ChargeRequest {
  orgId: string;
  amountNanos: bigint;
  idempotencyKey: string;
  description: string;
}

export interface PaymentProvider {
  /** Charges once per idempotency key; a repeat returns the first charge. */
  charge(req: ChargeRequest): Promise<{ chargeId: string }>;
}

/** The default provider: records the charge in our own ledger (no card processor). */
export function ledgerOnlyPayments(db: Db): PaymentProvider {
  return {
    async charge(req) {
      const row = await db.paymentCharge.upsert({
        where: { idempotencyKey: req.idempotencyKey },
        create: { orgId: req.orgId, idempotencyKey: req.idempotencyKey, amountNanos: req.amountNanos },
        update: {},
      });
      return { chargeId: row.id };
    },
  };
}

/**
 * A charge refused for good (a card decline, no saved card): `reason` is what owners
 * are told. The same idempotency key will be refused the same way.
 */
export class PaymentDeclined extends Error {
  override readonly name = 'PaymentDeclined';
  constructor(readonly reason: string) {
    super(`payment declined: ${reason}`);
  }
}

/** The charge was sent but its success is not confirmed yet: retry later with the same key (charged once). */
export class PaymentPending extends Error {
  override readonly name = 'PaymentPending';
}
