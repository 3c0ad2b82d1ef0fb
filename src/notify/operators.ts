// The operators' channel: the service log always, and email to OPERATOR_EMAIL when
// SMTP is set up. Never the chat apps: an operator alert is not for an org's people.
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import { channelSendsIn } from '../ledger/notices/channel-sends.js';
import { emailNotifierFromConfig } from './email.js';
import { fanout } from './fanout.js';
import { logNotifier } from './log.js';
import type { AlertView, Notifier, Person } from './port.js';

export interface OperatorChannel {
  /** Who is told (may be empty: then the log only). */
  emails: string[];
  notifier: Notifier;
  /** The email channel alone (null: OPERATOR_EMAIL or SMTP_URL unset), for notices whose log line is written elsewhere. */
  email: Notifier | null;
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
    email,
    notifier: fanout([{ name: 'log', notifier: operatorLog(log) }, ...(email ? [{ name: 'email', notifier: email }] : [])], channelSendsIn(db)),
    close: () => email?.close(),
  };
}

/** A notice channel of an org that keeps failing, or delivers again (src/ledger/notices/channel-health.ts). */
export interface ChannelHealthReport {
  state: 'failing' | 'recovered';
  orgId: string;
  /** The org's slug (its id when the org is gone). */
  org: string;
  orgName: string;
  channel: string;
  /** When the run of failures began (ISO). */
  since: string;
  /** Failed attempts in a row (when reported failing, or in all when it recovered). */
  failures: number;
  /** The last error (failing only). */
  lastError?: string;
}

/** The operators as recipients of an email: one per OPERATOR_EMAIL address. */
const operatorRecipients = (emails: readonly string[]): Person[] => emails.map((email, i) => ({
  memberId: `operator-${i}`, externalId: 'operator', name: 'Operators', role: 'owner', seatTier: 'standard', email, slackUserId: null, teamsUserId: null,
}));

/** The email operators get about a failing (or recovered) notice channel. */
export function channelHealthAlert(r: ChannelHealthReport): AlertView {
  const where = `the ${r.channel} channel of org ${r.org}`;
  if (r.state === 'failing') {
    return {
      kind: 'notice_channel_failing', orgId: r.orgId, orgName: r.orgName,
      title: `Notices are not getting through: ${where} keeps failing`,
      text: `Notices to ${r.orgName} through ${r.channel} have failed ${r.failures} times in a row since ${r.since}. They wait for the channel and are retried (within their bounds, docs/notices.md); fix the channel and they go out. You are told again once it delivers.`,
      facts: { Organisation: `${r.orgName} (${r.org})`, Channel: r.channel, 'Failing since': r.since, 'Failed attempts in a row': String(r.failures), 'Last error': r.lastError ?? '' },
    };
  }
  return {
    kind: 'notice_channel_recovered', orgId: r.orgId, orgName: r.orgName,
    title: `Notices get through again: ${where} delivers again`,
    text: `The ${r.channel} channel of ${r.orgName} delivered a notice again after ${r.failures} failed attempts (failing since ${r.since}).`,
    facts: { Organisation: `${r.orgName} (${r.org})`, Channel: r.channel, 'Failing since': r.since, 'Failed attempts': String(r.failures) },
  };
}

/**
 * Emails OPERATOR_EMAIL about a notice channel reported failing or recovered (once per
 * run, as channel-health reports it; its own log line is written there). Nothing when
 * OPERATOR_EMAIL (or SMTP) is unset. Never throws and never retries: when the failing
 * channel is email itself this email may fail too; that is logged and left there.
 */
export function channelHealthEmails(channel: Pick<OperatorChannel, 'emails' | 'email'>, log: (line: string) => void): (report: ChannelHealthReport) => Promise<void> {
  return async (report) => {
    if (!channel.email || channel.emails.length === 0) return;
    try {
      await channel.email.alert(channelHealthAlert(report), operatorRecipients(channel.emails));
    } catch (err) {
      log(`[operators] could not email ${channel.emails.join(', ')} that the ${report.channel} channel of org ${report.org} ${report.state === 'failing' ? 'keeps failing' : 'delivers again'} (not retried): ${String((err as Error)?.message ?? err).slice(0, 500)}`);
    }
  };
}
