// The notifier the service runs with: the log always, email when SMTP_URL is set,
// plus the chat channels started beside it.
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import { emailNotifierFromConfig } from './email.js';
import { channelHealthIn } from '../ledger/notices/channel-health.js';
import { channelSendsIn } from '../ledger/notices/channel-sends.js';
import { emailSignInTokens } from '../services/sign-in.js';
import { fanout, type Channel } from './fanout.js';
import { logNotifier } from './log.js';
import { countingFailures } from './failure-counting.js';
import { channelHealthEmails, operatorChannel } from './operators.js';
import { trackingReachability, type TrackingOptions } from './dependency-tracking.js';
import type { Dependencies } from '../observability/dependencies.js';
import type { Metrics } from '../observability/metrics.js';
import type { Notifier } from './port.js';

export interface ConfiguredNotifier {
  notifier: Notifier;
  close(): void;
}

export function buildNotifier(config: Config, db: Db, log: (line: string) => void, chat: Channel[] = [], metrics?: Metrics, dependencies?: Dependencies): ConfiguredNotifier {
  const email = emailNotifierFromConfig(config, {
    // Dates in emails read in the org's own timezone.
    timeZoneOf: async (orgId) => (await db.organization.findUnique({ where: { id: orgId }, select: { timezone: true } }))?.timezone,
    // Console links in emails sign the recipient in (a single-use link each, audited).
    ...(config.PUBLIC_URL ? { signInToken: emailSignInTokens(db) } : {}),
  });
  // A failing channel is also emailed to OPERATOR_EMAIL (once per run, and its recovery).
  const operators = operatorChannel(config, db, log);
  // SMTP unreachable at start shows on GET /health at once, not at the first notice.
  if (email && dependencies) void dependencies.keepTrying('smtp', () => email.verify(), { onRefused: (err) => log(`smtp: the server refused us (SMTP_URL): ${(err as Error).message}`) });
  return {
    notifier: fanout(
      [{ name: 'log', notifier: logNotifier(log) }, ...(email ? [{ name: 'email', notifier: email }] : []), ...chat]
        .map((c) => (dependencies && c.name !== 'log' ? trackingReachability(c, dependencies, reachabilityOf(c.name)) : c))
        .map((c) => (metrics ? countingFailures(c, metrics) : c)),
      channelSendsIn(db),
      // A channel that keeps failing is reported once: log, GET /health, the org's audit log, OPERATOR_EMAIL.
      channelHealthIn(db, { log, tellOperators: channelHealthEmails(operators, log) }),
    ),
    close: () => {
      email?.close();
      operators.close();
    },
  };
}

/**
 * When a send that returned without an error reached its server: email when someone had
 * an address; Slack and Teams when someone had an account there (a request card reports
 * no per-person delivery, and after an outage its send is what says the platform is back).
 */
function reachabilityOf(channel: string): TrackingOptions {
  if (channel === 'email') return { part: 'smtp', reachedIfSent: (people) => people.some((p) => p.email?.trim()) };
  if (channel === 'slack') return { reachedIfSent: (people) => people.some((p) => p.slackUserId) };
  if (channel === 'teams') return { reachedIfSent: (people) => people.some((p) => p.teamsUserId) };
  return {};
}
