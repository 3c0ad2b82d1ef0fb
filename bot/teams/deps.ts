// What the Teams handlers and notifier share, passed in (never imported globally).
import type { Db } from '../../src/db/client.js';
import type { RequestService } from '../../src/services/requests.js';
import type { BotTransport } from './activity.js';
import type { ConversationStore } from './conversations.js';
import type { TeamsSettings } from './settings.js';

export interface TeamsDeps {
  db: Db;
  requests: RequestService;
  settings: TeamsSettings;
  transport: BotTransport;
  conversations: ConversationStore;
  now: () => Date;
  log: (line: string) => void;
}
