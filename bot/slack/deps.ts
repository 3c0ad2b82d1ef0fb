// What the listeners and the notifier share, passed in (never imported globally).
import type { Db } from '../../src/db/client.js';
import type { Purchases } from '../../src/payments/purchases.js';
import type { RequestService } from '../../src/services/requests.js';
import type { Workspaces } from './workspaces.js';

export interface SlackDeps {
  /** Where people reach the service (PUBLIC_URL): sign-in answers link to its console. */
  publicUrl?: string;
  /** REQUEST_COOLDOWN_AFTER_DENIAL_MINUTES: when a denied member may ask again (the request rule's words say it). */
  requestCooldownMs?: number;
  /** The app's slash command (SLACK_COMMAND): the one listened to, and the one messages tell people to type. */
  command: string;
  db: Db;
  requests: RequestService;
  workspaces: Workspaces;
  now: () => Date;
  log: (line: string) => void;
  /** Owners buying balance ("Buy balance"): a Stripe Checkout link, or credited at once by the ledger-only provider. */
  purchases: Purchases;
}
