// The email channel against a real SMTP server on 127.0.0.1 (the smtp-server
// package), messages parsed back with mailparser: what an admin's or member's mail
// client would show.
import type { AddressInfo } from 'node:net';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { EmailNotifier, emailNotifierFromConfig } from '../../src/notify/email.js';
import { alertEmail, digestEmail, waitingText, whenText } from '../../src/notify/email-format.js';
import { alertFor } from '../../src/domain/alerts.js';
import type { AlertView, DigestView, Person, RequestView } from '../../src/notify/port.js';

interface Received {
  envelopeTo: string[];
  mail: ParsedMail;
}

let server: SMTPServer;
let smtpUrl: string;
let received: Received[] = [];
let rejectRcpt: string | null = null;

beforeAll(async () => {
  server = new SMTPServer({
    authOptional: true,
    // Plain SMTP on loopback: no self-signed STARTTLS for nodemailer to trip on.
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (rejectRcpt && address.address === rejectRcpt) return callback(new Error('mailbox unavailable'));
      callback();
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          received.push({ envelopeTo: session.envelope.rcptTo.map((r) => r.address), mail });
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  smtpUrl = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});
beforeEach(() => {
  received = [];
  rejectRcpt = null;
});

const person = (over: Partial<Person> & Pick<Person, 'externalId' | 'name'>): Person => ({
  memberId: `m-${over.externalId}`,
  role: 'member',
  seatTier: 'standard',
  email: null,
  slackUserId: null,
  teamsUserId: null,
  ...over,
});

const olivia = person({ externalId: 'owner-1', name: 'Olivia Owner', role: 'primary_owner', seatTier: 'premium', email: 'olivia@acme.test' });
const adam = person({ externalId: 'admin-1', name: 'Adam Admin', role: 'admin', email: null });
const carol = person({ externalId: 'admin-2', name: 'Carol Admin', role: 'admin', email: 'carol@acme.test' });
const alice = person({ externalId: 'alice', name: 'Alice', email: 'alice@acme.test' });
const bob = person({ externalId: 'bob', name: 'Bob <Builder>', seatTier: 'premium', email: null });

const AT = '2026-11-16T08:00:00.000Z';

function request(over: Partial<RequestView> & Pick<RequestView, 'requestId' | 'requester' | 'requestedAt'>): RequestView {
  return {
    workflowId: `wf-${over.requestId}`,
    previousDenial: null,
    orgId: 'org-1',
    orgName: 'Acme',
    seatTier: over.requester.seatTier,
    note: null,
    status: 'pending',
    decision: null,
    decisionCap: null,
    reason: null,
    decidedBy: null,
    decidedAt: null,
    ...over,
  };
}

const digest: DigestView = {
  orgId: 'org-1',
  orgName: 'Acme',
  at: AT,
  requests: [
    request({ requestId: 'req-a', requester: alice, requestedAt: '2026-11-14T05:00:00.000Z', note: 'release week' }),
    request({ requestId: 'req-b', requester: bob, requestedAt: '2026-11-16T07:15:00.000Z' }),
  ],
};

const addresses = (a: AddressObject | AddressObject[] | undefined) => (Array.isArray(a) ? a : a ? [a] : []).flatMap((x) => x.value.map((v) => v.address));

function notifier(over: Partial<ConstructorParameters<typeof EmailNotifier>[0]> = {}) {
  return new EmailNotifier({ transport: smtpUrl, from: 'Extra usage <extra-usage@acme.test>', publicUrl: 'https://usage.acme.test/', timeZoneOf: async () => 'Europe/Paris', ...over });
}

describe('email notifier over SMTP', () => {
  it('sends the daily digest to the admins who have an email address, listing who, seat, asked when and how long waiting', async () => {
    const email = notifier();
    try {
      await email.digest(digest, [olivia, adam, carol]);
    } finally {
      email.close();
    }
    expect(received).toHaveLength(1);
    const { envelopeTo, mail } = received[0]!;
    expect(envelopeTo.sort()).toEqual(['carol@acme.test', 'olivia@acme.test']);
    expect(addresses(mail.to).sort()).toEqual(['carol@acme.test', 'olivia@acme.test']);
    expect(addresses(mail.from)).toEqual(['extra-usage@acme.test']);
    expect(mail.subject).toBe('2 extra usage requests waiting — Acme');

    const text = mail.text ?? '';
    expect(text).toContain('Alice (standard seat)');
    expect(text).toContain('asked 14 Nov 2026, 06:00 (Europe/Paris), waiting 2 days 3 hours');
    expect(text).toContain('note: "release week"');
    expect(text).toContain('Bob <Builder> (premium seat)');
    expect(text).toContain('waiting 45 minutes');
    expect(text).toContain('decide: https://usage.acme.test/requests/req-a');

    const html = mail.html || '';
    expect(html).toContain('<strong>Alice</strong>');
    expect(html).toContain('Bob &lt;Builder&gt;'); // names are escaped, never markup
    expect(html).not.toContain('<Builder>');
    expect(html).toContain('premium seat');
    expect(html).toContain('waiting 2 days 3 hours');
    expect(html).toContain('href="https://usage.acme.test/requests/req-b"');
  });

  it('sends an alert to the recipients with an email address and skips the others', async () => {
    const alert: AlertView = {
      kind: 'org_cap_threshold',
      orgId: 'org-1',
      orgName: 'Acme',
      title: 'Extra usage at 80% of the monthly cap',
      text: 'Acme has spent $800.00 of its $1,000.00 extra usage cap this month.',
      facts: { Spent: '$800.00', Cap: '$1,000.00', Month: '2026-11' },
    };
    const email = notifier();
    try {
      await email.alert(alert, [olivia, adam]);
    } finally {
      email.close();
    }
    expect(received).toHaveLength(1);
    const { envelopeTo, mail } = received[0]!;
    expect(envelopeTo).toEqual(['olivia@acme.test']);
    expect(mail.subject).toBe('Extra usage at 80% of the monthly cap — Acme');
    expect(mail.text).toContain('Spent: $800.00');
    expect(mail.html || '').toContain('<strong>$1,000.00</strong>');
  });

  it('mails a member stopped at the seat limit the refusal in the one wording, its step and link said once', async () => {
    const rule = alertFor({ type: 'seat_limit_reached', memberId: 'm1', resetsAt: '2026-12-07T17:00:00.000Z' }, {
      eventId: '1', org: { name: 'Acme', plan: 'enterprise', timezone: 'Europe/Paris', extraUsageEnabled: true },
      member: { name: 'Alice', extraUsageAvailable: false }, consoleUrl: 'https://usage.acme.test',
    })!;
    const email = notifier();
    try {
      await email.alert({ kind: rule.kind, orgId: 'org-1', orgName: 'Acme', title: rule.title, text: rule.text, facts: rule.facts, member: alice, canRequestExtraUsage: rule.canRequestExtraUsage }, [alice]);
    } finally {
      email.close();
    }
    const { mail } = received[received.length - 1]!;
    expect(mail.text).toContain('You have used the usage included in your seat, and extra usage is not on for you; it lifts 7 Dec 2026, 18:00 (Europe/Paris). To go on sooner, request extra usage from your admins: https://usage.acme.test/me');
    expect((mail.text ?? '').match(/request extra usage/gi)).toHaveLength(1);
    // The HTML keeps its button.
    expect(mail.html || '').toContain('>Request extra usage</a>');
  });

  it('tells a member they can request extra usage when the alert offers it', async () => {
    const email = notifier();
    try {
      await email.alert({ kind: 'seat_limit_reached', orgId: 'org-1', orgName: 'Acme', title: 'You reached your seat limit', text: 'Your included usage resets at 14:00.', facts: {}, member: alice, canRequestExtraUsage: true }, [alice]);
    } finally {
      email.close();
    }
    expect(received[0]!.envelopeTo).toEqual(['alice@acme.test']);
    expect(received[0]!.mail.text).toContain('"Request extra usage" at https://usage.acme.test/requests/new');
  });

  it('sends nothing when nobody has an email address, and nothing for an empty digest', async () => {
    const email = notifier();
    try {
      await email.digest(digest, [adam]);
      await email.alert({ kind: 'balance_low', orgId: 'org-1', orgName: 'Acme', title: 'Balance low', text: '', facts: {} }, [adam, bob]);
      await email.digest({ ...digest, requests: [] }, [olivia]);
    } finally {
      email.close();
    }
    expect(received).toHaveLength(0);
  });

  it('sends a new request to the admins and the outcome to the requester', async () => {
    const email = notifier({ now: () => new Date('2026-11-14T05:20:00.000Z') });
    const pending = digest.requests[0]!;
    try {
      await email.requestOpened(pending, [olivia, carol, olivia]);
      await email.requestClosed({ ...pending, status: 'approved', decision: 'enable_extra_usage', decisionCap: '25.00', decidedBy: carol, decidedAt: AT });
    } finally {
      email.close();
    }
    expect(received).toHaveLength(2);
    expect(received[0]!.envelopeTo.sort()).toEqual(['carol@acme.test', 'olivia@acme.test']);
    expect(received[0]!.mail.subject).toBe('Alice asks for extra usage — Acme');
    expect(received[0]!.mail.text).toContain('waiting 20 minutes');
    expect(received[1]!.envelopeTo).toEqual(['alice@acme.test']);
    expect(received[1]!.mail.subject).toBe('Your extra usage request was approved — Acme');
    expect(received[1]!.mail.text).toContain('approved by Carol Admin: extra usage is on for you, up to $25.00 a month');
  });

  it('fails when the SMTP server refuses the message, so the activity retries', async () => {
    rejectRcpt = 'olivia@acme.test';
    const email = notifier();
    try {
      await expect(email.digest(digest, [olivia])).rejects.toThrow();
    } finally {
      email.close();
    }
    expect(received).toHaveLength(0);
  });
});

describe('email formatting', () => {
  it('says how long a request has waited in the two largest units', () => {
    const now = new Date('2026-11-16T08:00:00Z');
    expect(waitingText('2026-11-16T07:59:30Z', now)).toBe('waiting less than a minute');
    expect(waitingText('2026-11-16T07:59:00Z', now)).toBe('waiting 1 minute');
    expect(waitingText('2026-11-16T06:00:00Z', now)).toBe('waiting 2 hours');
    expect(waitingText('2026-11-15T07:00:00Z', now)).toBe('waiting 1 day 1 hour');
    expect(waitingText('2026-11-09T08:00:00Z', now)).toBe('waiting 7 days');
  });

  it('shows dates in the org timezone, UTC when unknown', () => {
    expect(whenText('2026-11-14T05:00:00Z', 'America/Los_Angeles')).toBe('13 Nov 2026, 21:00 (America/Los_Angeles)');
    expect(whenText('2026-11-14T05:00:00Z')).toBe('14 Nov 2026, 05:00 (UTC)');
  });

  it("writes a cap alert as chat does: cents, the exact spend beside its cap, the reset time in the org's time", () => {
    const rule = alertFor({ type: 'org_cap_threshold', percent: 100, period: '2026-12', capNanos: '6000000000', spendNanos: '6003000000' }, { eventId: 'e1', org: { name: 'Acme', plan: 'enterprise', timezone: 'Europe/Paris' } })!;
    const mail = alertEmail({ kind: rule.kind, orgId: 'o', orgName: 'Acme', title: rule.title, text: rule.text, facts: rule.facts }, { now: new Date(AT), timeZone: 'Europe/Paris' });
    expect(mail.text).toContain('Spent: $6.00 ($6.003 exactly)');
    expect(mail.text).toContain('Resets: 1 Jan 2027, 00:00 (Europe/Paris)');
    expect(mail.text).toContain('Month: December 2026');
    expect(mail.text + mail.html).not.toMatch(/\d{4}-\d{2}/);
  });

  it('uses the singular for one request and leaves links out without PUBLIC_URL', () => {
    const one = digestEmail({ ...digest, requests: [digest.requests[0]!] }, { now: new Date(AT) });
    expect(one.subject).toBe('1 extra usage request waiting — Acme');
    expect(one.text).not.toContain('http');
    expect(one.html).not.toContain('href');
  });
});

describe('email configuration', () => {
  it('is off without SMTP_URL and has a default sender', () => {
    const config = loadConfig({});
    expect(config.EMAIL_FROM).toBe('Extra usage <extra-usage@localhost>');
    expect(emailNotifierFromConfig(config)).toBeNull();
    const on = emailNotifierFromConfig(loadConfig({ SMTP_URL: 'smtp://127.0.0.1:2525', PUBLIC_URL: 'https://usage.example.com' }));
    expect(on).toBeInstanceOf(EmailNotifier);
    on?.close();
  });

  it('refuses a bad SMTP_URL or PUBLIC_URL, naming the variable', () => {
    expect(() => loadConfig({ SMTP_URL: 'mail.example.com' })).toThrow(/SMTP_URL/);
    expect(() => loadConfig({ PUBLIC_URL: 'not a url' })).toThrow(/PUBLIC_URL/);
  });
});
