// A cap alert while the SMTP server is down: Slack and Teams get it once, the alert
// activity fails and is retried, and the retry sends only the email, once the real
// SMTP server takes mail again. Per recipient too: an owner whose Slack DM failed is
// sent it on the retry, the owner who had it is not sent it again (the real Slack
// app against the Web API stand-in). On PGlite and the PostgreSQL server.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertActivities } from '../../src/activities/alerts.js';
import { loadConfig } from '../../src/config.js';
import { channelSendsIn } from '../../src/ledger/notices/channel-sends.js';
import { emailNotifierFromConfig } from '../../src/notify/email.js';
import { fanout } from '../../src/notify/fanout.js';
import { ledgerOnlyPayments } from '../../src/payments/port.js';
import { BACKENDS, migrated, type Scratch } from '../support/databases.js';
import { enterpriseDoc } from '../support/fixtures.js';
import { provision } from '../support/ledger.js';
import { recordingNotifier } from '../support/recording-notifier.js';
import { noRequests, slackEnterpriseDoc, startSlackHarness, USERS } from '../support/slack-harness.js';

let smtp: SMTPServer;
let smtpUrl: string;
let smtpDown = true;
/** An address the server refuses (a full mailbox), while set. */
let refused: string | null = null;
const mails: string[][] = [];

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    // While "down", the server refuses every recipient the way a broken relay does.
    onRcptTo(address, _session, callback) {
      if (address.address === refused) return callback(Object.assign(new Error('mailbox full'), { responseCode: 552 }));
      callback(smtpDown ? Object.assign(new Error('service not available'), { responseCode: 421 }) : undefined);
    },
    onData(stream, session, callback) {
      stream.on('data', () => {});
      stream.on('end', () => {
        mails.push(session.envelope.rcptTo.map((r) => r.address));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  smtpUrl = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => smtp?.close(() => resolve()));
});

describe.each(BACKENDS)('notices on every channel, once, on $kind', ({ open }) => {
  let scratch: Scratch;
  beforeAll(async () => {
    scratch = await migrated(open);
  });
  afterAll(async () => {
    await scratch?.dispose();
  });

  it('sends a cap alert once per channel across an SMTP outage', async () => {
    const db = scratch.db.prisma;
    const doc = enterpriseDoc();
    doc.members = doc.members.map((m) => (m.externalId === 'owner-1' ? { ...m, email: 'olivia@acme.example' } : m));
    const { orgId } = await provision(db, 'acme', doc);
    const slack = recordingNotifier();
    const teams = recordingNotifier();
    const email = emailNotifierFromConfig(loadConfig({ SMTP_URL: smtpUrl }))!;
    try {
      const notifier = fanout([{ name: 'slack', notifier: slack }, { name: 'teams', notifier: teams }, { name: 'email', notifier: email }], channelSendsIn(db));
      const { deliverAlert } = alertActivities({ db, notifier, payments: ledgerOnlyPayments(db), now: () => new Date() });
      const input = { orgId, eventId: '42', event: { type: 'org_cap_threshold' as const, percent: 80, period: '2026-12', capNanos: String(1000n * 10n ** 9n), spendNanos: String(800n * 10n ** 9n) } };
      smtpDown = true;
      mails.length = 0;
      await expect(deliverAlert(input)).rejects.toThrow(/email/);
      await expect(deliverAlert(input)).rejects.toThrow(/1 of 3 notification channel\(s\) failed \(email\)/);
      smtpDown = false;
      expect(await deliverAlert(input)).toBe('sent');
      expect(await deliverAlert(input)).toBe('already_sent');
      expect(slack.of('alert')).toHaveLength(1);
      expect(teams.of('alert')).toHaveLength(1);
      expect(mails).toEqual([['olivia@acme.example']]);
    } finally {
      email.close();
    }
  });

  it('retries an owner whose Slack DM failed without sending it again to the owner who had it', async () => {
    const db = scratch.db.prisma;
    // Two owners on Slack and by email: owner-1 and admin-1 made an owner.
    const doc = slackEnterpriseDoc();
    doc.members = doc.members.map((m) => (m.externalId === 'owner-1' ? { ...m, email: 'olivia@beta.example' } : m.externalId === 'admin-1' ? { ...m, role: 'owner' as const, email: 'adam@beta.example' } : m));
    const { orgId } = await provision(db, 'beta', doc);
    const h = await startSlackHarness(db, noRequests(), { orgSlug: 'beta' });
    const email = emailNotifierFromConfig(loadConfig({ SMTP_URL: smtpUrl }))!;
    try {
      const notifier = fanout([{ name: 'slack', notifier: h.slack.notifier }, { name: 'email', notifier: email }], channelSendsIn(db));
      const { deliverAlert } = alertActivities({ db, notifier, payments: ledgerOnlyPayments(db), now: () => new Date() });
      const input = { orgId, eventId: '43', event: { type: 'org_cap_threshold' as const, percent: 50, period: '2026-12', capNanos: String(1000n * 10n ** 9n), spendNanos: String(500n * 10n ** 9n) } };
      const dms = () => h.api.of('chat.postMessage').filter((c) => String(c.args.text).includes('50%')).map((c) => String(c.response.channel)).sort();
      smtpDown = true;
      mails.length = 0;
      // One of the two DMs fails (Slack answers the next postMessage with an error), and email is down.
      h.api.failNext('chat.postMessage', 'fatal_error');
      await expect(deliverAlert(input)).rejects.toThrow(/2 of 2 notification channel\(s\) failed \(slack, email\)/);
      const first = h.api.of('chat.postMessage').filter((c) => c.response.ok && String(c.args.text).includes('50%')).map((c) => String(c.response.channel));
      expect(first).toHaveLength(1);
      // The retry: Slack only to the owner still missing; email still down.
      await expect(deliverAlert(input)).rejects.toThrow(/1 of 2 notification channel\(s\) failed \(email\)/);
      smtpDown = false;
      expect(await deliverAlert(input)).toBe('sent');
      expect(await deliverAlert(input)).toBe('already_sent');
      const delivered = h.api.of('chat.postMessage').filter((c) => c.response.ok && String(c.args.text).includes('50%')).map((c) => String(c.response.channel)).sort();
      expect(delivered).toEqual([`D_${USERS.admin}`, `D_${USERS.owner}`]);
      expect(dms()).toHaveLength(3); // the failed attempt, then one each
      expect(mails.map((m) => [...m].sort())).toEqual([['adam@beta.example', 'olivia@beta.example']]);
      const rows = await db.channelSend.findMany({ where: { deliveryKey: { startsWith: 'alert:' } }, orderBy: [{ channel: 'asc' }, { recipient: 'asc' }] });
      const owners = await db.member.findMany({ where: { orgId, externalId: { in: ['owner-1', 'admin-1'] } } });
      const mine = rows.filter((r) => owners.some((o) => o.id === r.recipient));
      expect(mine.map((r) => r.channel)).toEqual(['email', 'email', 'slack', 'slack']);
    } finally {
      email.close();
      await h.close();
    }
  });

  it('mails again only the owner whose address the server refused, not the one it took', async () => {
    const db = scratch.db.prisma;
    const doc = enterpriseDoc();
    doc.members = doc.members.map((m) => (m.externalId === 'owner-1' ? { ...m, email: 'olivia@gamma.example' } : m.externalId === 'admin-1' ? { ...m, role: 'owner' as const, email: 'adam@gamma.example' } : m));
    const { orgId } = await provision(db, 'gamma', doc);
    const email = emailNotifierFromConfig(loadConfig({ SMTP_URL: smtpUrl }))!;
    try {
      const notifier = fanout([{ name: 'email', notifier: email }], channelSendsIn(db));
      const { deliverAlert } = alertActivities({ db, notifier, payments: ledgerOnlyPayments(db), now: () => new Date() });
      const input = { orgId, eventId: '44', event: { type: 'org_cap_threshold' as const, percent: 80, period: '2026-12', capNanos: String(1000n * 10n ** 9n), spendNanos: String(800n * 10n ** 9n) } };
      smtpDown = false;
      mails.length = 0;
      refused = 'adam@gamma.example';
      await expect(deliverAlert(input)).rejects.toThrow(/\(email\)/);
      refused = null;
      expect(await deliverAlert(input)).toBe('sent');
      expect(mails).toEqual([['olivia@gamma.example'], ['adam@gamma.example']]);
    } finally {
      refused = null;
      email.close();
    }
  });
});
