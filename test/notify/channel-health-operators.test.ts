// Operators hear about a notice channel that keeps failing by email (OPERATOR_EMAIL),
// through the notifier the service runs with (buildNotifier) and a real SMTP server on
// 127.0.0.1: a Slack stand-in failing run after run gives exactly one operator email
// naming the org, the channel, since when, the failures and the last error; delivering
// again gives exactly one recovery email; without OPERATOR_EMAIL nothing is mailed to
// operators. When the failing channel is email itself, the operators' email fails too:
// it is tried once, logged, and never retried.
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertActivities } from '../../src/activities/alerts.js';
import { loadConfig } from '../../src/config.js';
import { failingChannels, FAILING_AFTER_ATTEMPTS } from '../../src/ledger/notices/channel-health.js';
import { buildNotifier } from '../../src/notify/from-config.js';
import type { Notifier } from '../../src/notify/port.js';
import { ledgerOnlyPayments } from '../../src/payments/port.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc } from '../support/fixtures.js';
import { provision } from '../support/ledger.js';
import { formatWhen } from '../../src/domain/display.js';

const OPS = 'ops@example.com';
let smtp: SMTPServer;
let smtpUrl: string;
/** Addresses the server refuses (550) at RCPT TO. */
const refusing = new Set<string>();
const rcptAttempts: string[] = [];
const received: { to: string[]; mail: ParsedMail }[] = [];
let scratch: Scratch;

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      rcptAttempts.push(address.address);
      callback(refusing.has(address.address) || refusing.has('*') ? Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }) : undefined);
    },
    onData(stream, session, callback) {
      simpleParser(stream).then((mail) => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), mail });
        callback();
      }).catch(callback);
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  smtpUrl = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;
  scratch = await migrated(scratchPglite);
});
afterAll(async () => {
  await scratch?.dispose();
  await new Promise<void>((resolve) => smtp?.close(() => resolve()));
});

/** A Slack stand-in: fails every send while `down`. */
function slackStandIn() {
  const state = { down: true, calls: 0 };
  const fail = async () => {
    state.calls++;
    if (state.down) throw new Error('slack: channel_not_found (stand-in)');
  };
  const notifier: Notifier = { requestOpened: fail, requestReminder: fail, requestClosed: fail, alert: fail, digest: fail };
  return { state, notifier };
}

async function setup(slug: string, env: Record<string, string>) {
  const db = scratch.db.prisma;
  const doc = enterpriseDoc();
  doc.name = `${slug} Inc`;
  doc.members = doc.members.map((m) => (m.externalId === 'owner-1' ? { ...m, email: `olivia@${slug}.example` } : m));
  const { orgId } = await provision(db, slug, doc);
  const lines: string[] = [];
  const slack = slackStandIn();
  const built = buildNotifier(loadConfig({ SMTP_URL: smtpUrl, ...env }), db, (l) => lines.push(l), [{ name: 'slack', notifier: slack.notifier }]);
  const { deliverAlert } = alertActivities({ db, notifier: built.notifier, payments: ledgerOnlyPayments(db), now: () => new Date() });
  let k = 0;
  // A new alert each time (another threshold), so every attempt reaches every channel.
  const alert = () => deliverAlert({ orgId, eventId: String(++k), event: { type: 'org_cap_threshold', percent: k, period: '2026-12', capNanos: String(1000n * 10n ** 9n), spendNanos: String(BigInt(k) * 10n ** 10n) } });
  const toOps = () => received.filter((r) => r.to.includes(OPS) && r.mail.subject?.includes(`org ${slug} `));
  return { db, orgId, lines, slack, alert, toOps, close: () => built.close() };
}

describe('operators emailed about a failing notice channel', () => {
  it(`a Slack channel failing ${FAILING_AFTER_ATTEMPTS}+ times in a row: one email naming org, channel, since, failures and the last error; one when it delivers again`, async () => {
    const s = await setup('slack-down', { OPERATOR_EMAIL: OPS });
    try {
      for (let i = 1; i < FAILING_AFTER_ATTEMPTS; i++) await expect(s.alert()).rejects.toThrow(/\(slack\)/);
      expect(s.toOps()).toEqual([]);
      for (let i = 0; i < 4; i++) await expect(s.alert()).rejects.toThrow(/\(slack\)/);
      // The owners' email went out every time: the email channel works, only Slack fails.
      expect(received.filter((r) => r.to.includes('olivia@slack-down.example')).length).toBe(FAILING_AFTER_ATTEMPTS + 3);

      const failing = s.toOps();
      expect(failing).toHaveLength(1);
      const [row] = (await failingChannels(s.db)).filter((f) => f.orgId === s.orgId);
      expect(row).toMatchObject({ channel: 'slack', failures: FAILING_AFTER_ATTEMPTS + 3 });
      const mail = failing[0]!.mail;
      expect(mail.subject).toBe('Notices are not getting through: the slack channel of org slack-down keeps failing — slack-down Inc');
      expect(mail.text).toContain('Organisation: slack-down Inc (slack-down)');
      expect(mail.text).toContain('Channel: slack');
      expect(mail.text).toContain(`Failing since: ${formatWhen(row!.since)}`);
      expect(mail.text).toContain(`Failed attempts in a row: ${FAILING_AFTER_ATTEMPTS}`);
      expect(mail.text).toContain('Last error: slack: channel_not_found (stand-in)');
      // The log line is channel-health's own, once.
      expect(s.lines.filter((l) => l.includes('keeps failing'))).toHaveLength(1);

      s.slack.state.down = false;
      expect(await s.alert()).toBe('sent');
      expect(await s.alert()).toBe('sent');
      const all = s.toOps();
      expect(all).toHaveLength(2);
      expect(all[1]!.mail.subject).toBe('Notices get through again: the slack channel of org slack-down delivers again — slack-down Inc');
      expect(all[1]!.mail.text).toContain(`Failed attempts: ${FAILING_AFTER_ATTEMPTS + 3}`);
      expect(all[1]!.mail.text).toContain(`Failing since: ${formatWhen(row!.since)}`);

      // A new run of failures is a new report: one more email.
      s.slack.state.down = true;
      for (let i = 0; i < FAILING_AFTER_ATTEMPTS + 2; i++) await expect(s.alert()).rejects.toThrow(/\(slack\)/);
      expect(s.toOps()).toHaveLength(3);
    } finally {
      s.close();
    }
  });

  it('without OPERATOR_EMAIL nothing is mailed to operators (the log line, health and audit as before)', async () => {
    const before = received.length;
    const s = await setup('no-ops', {});
    try {
      for (let i = 0; i < FAILING_AFTER_ATTEMPTS + 2; i++) await expect(s.alert()).rejects.toThrow(/\(slack\)/);
      s.slack.state.down = false;
      expect(await s.alert()).toBe('sent');
      const mails = received.slice(before);
      // Only the owner's alerts were mailed.
      expect(mails.length).toBe(FAILING_AFTER_ATTEMPTS + 3);
      expect(mails.every((m) => m.to.length === 1 && m.to[0] === 'olivia@no-ops.example')).toBe(true);
      expect(s.lines.filter((l) => l.startsWith('[notices]'))).toEqual([
        expect.stringContaining('the slack channel of org no-ops keeps failing'),
        expect.stringContaining('the slack channel of org no-ops delivers again'),
      ]);
      expect(await scratch.db.prisma.auditEntry.count({ where: { orgId: s.orgId, action: { startsWith: 'notice_channel.' } } })).toBe(2);
    } finally {
      s.close();
    }
  });

  it('when email itself is the failing channel, the operators\' email is tried once, logged when refused, never retried; the recovery is mailed once', async () => {
    const s = await setup('mail-down', { OPERATOR_EMAIL: OPS });
    s.slack.state.down = false;
    refusing.add('*');
    const opsAttempts = () => rcptAttempts.filter((a) => a === OPS).length;
    const attemptsBefore = opsAttempts();
    try {
      for (let i = 0; i < FAILING_AFTER_ATTEMPTS + 5; i++) await expect(s.alert()).rejects.toThrow(/\(email\)/);
      expect(opsAttempts() - attemptsBefore).toBe(1);
      expect(s.toOps()).toEqual([]);
      expect(s.lines.filter((l) => l.startsWith('[operators] could not email'))).toEqual([
        expect.stringMatching(/^\[operators\] could not email ops@example\.com that the email channel of org mail-down keeps failing \(not retried\): .*550/),
      ]);
      expect((await failingChannels(scratch.db.prisma)).filter((f) => f.orgId === s.orgId)).toMatchObject([{ channel: 'email', failures: FAILING_AFTER_ATTEMPTS + 5 }]);

      refusing.clear();
      expect(await s.alert()).toBe('sent');
      expect(await s.alert()).toBe('sent');
      const mails = s.toOps();
      expect(mails).toHaveLength(1);
      expect(mails[0]!.mail.subject).toContain('the email channel of org mail-down delivers again');
      expect(opsAttempts() - attemptsBefore).toBe(2);
    } finally {
      refusing.clear();
      s.close();
    }
  });
});
