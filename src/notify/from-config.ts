// The notifier the service runs with: the log always, email when SMTP_URL is set,
// plus the chat channels started beside it.
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import { emailNotifierFromConfig } from './email.js';
import { fanout } from './fanout.js';
import { logNotifier } from './log.js';
import type { Notifier } from './port.js';

export interface ConfiguredNotifier {
  notifier: Notifier;
  close(): void;
}

export function buildNotifier(config: Config, db: Db, log: (line: string) => void, chat: Notifier[] = []): ConfiguredNotifier {
  const email = emailNotifierFromConfig(config, {
    // Dates in emails read in the org's own timezone.
    timeZoneOf: async (orgId) => (await db.organization.findUnique({ where: { id: orgId }, select: { timezone: true } }))?.timezone,
  });
  return {
    notifier: fanout([logNotifier(log), ...(email ? [email] : []), ...chat]),
    close: () => email?.close(),
  };
}
