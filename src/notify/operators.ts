// The operators' channel: the service log always, and email to OPERATOR_EMAIL when
// SMTP is set up. Never the chat apps: an operator alert is not for an org's people.
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import { channelSendsIn } from '../ledger/channel-sends.js';
import { emailNotifierFromConfig } from './email.js';
import { fanout } from './fanout.js';
import { logNotifier } from './log.js';
import type { Notifier } from './port.js';

export interface OperatorChannel {
  /** Who is told (may be empty: then the log only). */
  emails: string[];
  notifier: Notifier;
  close(): void;
}

/** OPERATOR_EMAIL as a list of addresses. */
export const operatorEmailsOf = (value: string | undefined) => (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/** The log line says everything the email says: what, how many, where, and the call that fixes it. */
function operatorLog(log: (line: string) => void): Notifier {
  return {
    ...logNotifier(log),
    async alert(a) {
      log(`[operators] ${a.title}: ${Object.entries(a.facts).map(([k, v]) => `${k}: ${v}`).join('; ')}`);
    },
  };
}

export function operatorChannel(config: Pick<Config, 'OPERATOR_EMAIL' | 'SMTP_URL' | 'EMAIL_FROM' | 'PUBLIC_URL'>, db: Db, log: (line: string) => void): OperatorChannel {
  const emails = operatorEmailsOf(config.OPERATOR_EMAIL);
  const email = emails.length ? emailNotifierFromConfig(config) : null;
  return {
    emails,
    notifier: fanout([{ name: 'log', notifier: operatorLog(log) }, ...(email ? [{ name: 'email', notifier: email }] : [])], channelSendsIn(db)),
    close: () => email?.close(),
  };
}
