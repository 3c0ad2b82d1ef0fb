// A notice channel that keeps failing (here the real SMTP server refusing mail) is
// reported once to operators (a log line, GET /health's notices.failing) and in the
// org's audit log, after 5 failed attempts in a row or a run of failures 15 minutes
// long, and cleared (told once more) when it delivers again. On PGlite and PostgreSQL.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertActivities } from '../../src/activities/alerts.js';
import { loadConfig } from '../../src/config.js';
import { channelHealthIn, failingChannels, FAILING_AFTER_ATTEMPTS } from '../../src/ledger/notices/channel-health.js';
import { channelSendsIn } from '../../src/ledger/notices/channel-sends.js';
import { emailNotifierFromConfig } from '../../src/notify/email.js';
import { fanout } from '../../src/notify/fanout.js';
import { ledgerOnlyPayments } from '../../src/payments/port.js';
import { BACKENDS, migrated, type Scratch } from '../support/databases.js';
import { enterpriseDoc } from '../support/fixtures.js';
import { provision } from '../support/ledger.js';
import { recordingNotifier } from '../support/recording-notifier.js';

let smtp: SMTPServer;
let smtpUrl: string;
let smtpDown = true;

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(_address, _session, callback) {
      callback(smtpDown ? Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }) : undefined);
    },
    onData(stream, _session, callback) {
      stream.on('data', () => {});
      stream.on('end', () => callback());
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  smtpUrl = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => smtp?.close(() => resolve()));
});

describe.each(BACKENDS)('a notice channel that keeps failing, on $kind', ({ open }) => {
  let scratch: Scratch;
  beforeAll(async () => {
    scratch = await migrated(open);
  });
  afterAll(async () => {
    await scratch?.dispose();
  });

  async function setup(slug: string, clock: { now: Date }) {
    const db = scratch.db.prisma;
    const doc = enterpriseDoc();
    doc.members = doc.members.map((m) => (m.externalId === 'owner-1' ? { ...m, email: 'olivia@acme.example' } : m));
    const { orgId } = await provision(db, slug, doc);
    const lines: string[] = [];
    const email = emailNotifierFromConfig(loadConfig({ SMTP_URL: smtpUrl }))!;
    const slack = recordingNotifier();
    const notifier = fanout([{ name: 'slack', notifier: slack }, { name: 'email', notifier: email }], channelSendsIn(db), channelHealthIn(db, { log: (l) => lines.push(l), now: () => clock.now }));
    const { deliverAlert } = alertActivities({ db, notifier, payments: ledgerOnlyPayments(db), now: () => clock.now });
    let k = 0;
    // A new alert each time (another threshold), so every attempt reaches the email channel.
    const alert = () => deliverAlert({ orgId, eventId: String(++k), event: { type: 'org_cap_threshold', percent: k, period: '2026-12', capNanos: String(1000n * 10n ** 9n), spendNanos: String(BigInt(k) * 10n ** 10n) } });
    const audit = async () => (await db.auditEntry.findMany({ where: { orgId, action: { startsWith: 'notice_channel.' } }, orderBy: { id: 'asc' } })).map((e) => [e.action, e.subject, e.actor]);
    return { db, orgId, lines, email, slack, alert, audit };
  }

  it(`reports email once after ${FAILING_AFTER_ATTEMPTS} failed attempts in a row, and once more when it delivers again`, async () => {
    const clock = { now: new Date('2026-12-10T10:00:00Z') };
    const s = await setup('flaky-mail', clock);
    try {
      smtpDown = true;
      for (let i = 1; i < FAILING_AFTER_ATTEMPTS; i++) await expect(s.alert()).rejects.toThrow(/\(email\)/);
      expect(s.lines).toEqual([]);
      expect((await failingChannels(s.db)).filter((f) => f.orgId === s.orgId)).toEqual([]);
      for (let i = 0; i < 3; i++) await expect(s.alert()).rejects.toThrow(/\(email\)/);
      expect(s.lines).toHaveLength(1);
      expect(s.lines[0]).toMatch(/^\[notices\] the email channel of org flaky-mail keeps failing \(5 attempts in a row since 2026-12-10T10:00:00.000Z\).*550/);
      const failing = (await failingChannels(s.db)).filter((f) => f.orgId === s.orgId);
      expect(failing).toMatchObject([{ org: 'flaky-mail', channel: 'email', failures: 7, since: '2026-12-10T10:00:00.000Z' }]);
      expect(failing[0]!.lastError).toContain('550');
      expect(await s.audit()).toEqual([['notice_channel.failing', 'channel:email', 'system']]);
      // Slack, working all along, is not reported.
      expect(s.slack.of('alert').length).toBeGreaterThan(0);

      smtpDown = false;
      expect(await s.alert()).toBe('sent');
      expect(s.lines[1]).toBe('[notices] the email channel of org flaky-mail delivers again (after 7 failed attempts)');
      expect((await failingChannels(s.db)).filter((f) => f.orgId === s.orgId)).toEqual([]);
      expect(await s.audit()).toEqual([['notice_channel.failing', 'channel:email', 'system'], ['notice_channel.recovered', 'channel:email', 'system']]);
      expect(await s.alert()).toBe('sent');
      expect(s.lines).toHaveLength(2);
    } finally {
      s.email.close();
    }
  });

  it('reports a channel failing for over 15 minutes even with few attempts; a failure that recovers early is never reported', async () => {
    const clock = { now: new Date('2026-12-10T10:00:00Z') };
    const s = await setup('slow-mail', clock);
    try {
      smtpDown = true;
      await expect(s.alert()).rejects.toThrow(/\(email\)/);
      smtpDown = false;
      expect(await s.alert()).toBe('sent'); // works again before anyone needed telling
      smtpDown = true;
      clock.now = new Date('2026-12-10T11:00:00Z');
      await expect(s.alert()).rejects.toThrow(/\(email\)/);
      clock.now = new Date('2026-12-10T11:14:00Z');
      await expect(s.alert()).rejects.toThrow(/\(email\)/);
      expect(s.lines).toEqual([]);
      clock.now = new Date('2026-12-10T11:16:00Z');
      await expect(s.alert()).rejects.toThrow(/\(email\)/);
      expect(s.lines).toHaveLength(1);
      expect(s.lines[0]).toContain('(3 attempts in a row since 2026-12-10T11:00:00.000Z)');
      expect(await s.audit()).toEqual([['notice_channel.failing', 'channel:email', 'system']]);
    } finally {
      smtpDown = false;
      s.email.close();
    }
  });
});
