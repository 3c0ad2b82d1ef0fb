// What the Teams handlers and notifier share, passed in (never imported globally).
import type { Db } from '../../src/db/client.js';
import type { Purchases } from '../../src/payments/purchases.js';
import type { RequestService } from '../../src/services/requests.js';
import type { BotTransport } from './activity.js';
import type { ConversationStore } from './conversations.js';
import type { TeamsSettings } from './settings.js';

export interface TeamsDeps {
  /** Where people reach the service (PUBLIC_URL): sign-in answers link to its console. */
  publicUrl?: string;
  /** REQUEST_COOLDOWN_AFTER_DENIAL_MINUTES: when a denied member may ask again (the request rule's words say it). */
  requestCooldownMs?: number;
  db: Db;
  requests: RequestService;
  settings: TeamsSettings;
  transport: BotTransport;
  conversations: ConversationStore;
  now: () => Date;
  log: (line: string) => void;
  /** Owners buying balance: a Stripe Checkout link, or credited at once by the ledger-only provider. */
  purchases: Purchases;
}
