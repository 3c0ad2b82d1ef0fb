// What every activity may use, passed in (never imported globally) so tests can
// give each worker its own database, notifier and payment provider.
import type { Db } from '../db/client.js';
import type { Notifier } from '../notify/port.js';
import type { PaymentProvider } from '../payments/port.js';
import type { OperatorChannel } from '../notify/operators.js';

export interface ActivityDeps {
  db: Db;
  notifier: Notifier;
  payments: PaymentProvider;
  now: () => Date;
  /** The operators' channel (log, OPERATOR_EMAIL); unset: operator alerts are not sent. */
  operators?: Pick<OperatorChannel, 'emails' | 'notifier'>;
  /** Where people reach the console (PUBLIC_URL, else the address the service listens on), for links in notices. */
  publicUrl?: string;
}
