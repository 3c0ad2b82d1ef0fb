// A payment port that fails the first N charges of an org, for reload retry tests.
import type { Db } from '../../src/db/client.js';
import { ledgerOnlyPayments, type PaymentProvider } from '../../src/payments/port.js';

/** Fails the first `failures.get(orgId)` charges of an org (Infinity = always), then charges for real. */
export function flakyPayments(db: Db) {
  const real = ledgerOnlyPayments(db);
  const failures = new Map<string, number>();
  const calls = new Map<string, number>();
  const provider: PaymentProvider = {
    async charge(req) {
      const n = (calls.get(req.orgId) ?? 0) + 1;
      calls.set(req.orgId, n);
      if (n <= (failures.get(req.orgId) ?? 0)) throw new Error('card declined');
      return real.charge(req);
    },
  };
  return { provider, failures, calls };
}
