// What every activity may use, passed in (never imported globally) so tests can
// give each worker its own database, notifier and payment provider.
import type { Db } from '../db/client.js';
import type { Notifier } from '../notify/port.js';
import type { PaymentProvider } from '../payments/port.js';
import type { OperatorChannel } from '../notify/operators.js';
import type { AnthropicDeps } from '../anthropic/connection.js';

export interface ActivityDeps {
  db: Db;
  notifier: Notifier;
  payments: PaymentProvider;
  now: () => Date;
  /** The operators' channel (log, OPERATOR_EMAIL); unset: operator alerts are not sent. */
  operators?: Pick<OperatorChannel, 'emails' | 'notifier'>;
  /** Where people reach the console (PUBLIC_URL, else the address the service listens on), for links in notices. */
  publicUrl?: string;
  /** Connected orgs (docs/claude.md): SECRETS_KEY's box and the Admin API's address; unset: nothing is polled or decided there. */
  anthropic?: AnthropicDeps;
  /** REQUEST_COOLDOWN_AFTER_DENIAL_MINUTES, for the "you may ask again from" of a denial; unset: the default day. */
  cooldownAfterDenialMs?: number;
}
