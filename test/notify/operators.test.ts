// The operators' channel against a real SMTP server on 127.0.0.1: the unpriced-usage
// alert reaches every OPERATOR_EMAIL address in one message and the log, and a bad
// OPERATOR_EMAIL stops the service at start naming the variable.
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import type { Db } from '../../src/db/client.js';
import { operatorPeople } from '../../src/activities/operator-alerts.js';
import { unpricedAlertText, unpricedSubjectOf } from '../../src/domain/unpriced-alert.js';
import { operatorChannel } from '../../src/notify/operators.js';

let server: SMTPServer;
let smtpUrl: string;
const received: { to: string[]; mail: ParsedMail }[] = [];

beforeAll(async () => {
  server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream).then((mail) => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), mail });
        callback();
      }).catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  smtpUrl = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

describe('the operators\' channel', () => {
  it('emails every operator address once and writes the same facts to the log', async () => {
    const lines: string[] = [];
    const config = loadConfig({ OPERATOR_EMAIL: 'ops@example.com, oncall@example.com', SMTP_URL: smtpUrl });
    const channel = operatorChannel(config, {} as Db, (l) => lines.push(l));
    try {
      const subject = unpricedSubjectOf('claude-next-20270101', 'model_unpriced');
      const text = unpricedAlertText(subject, 'claude-next-20270101', { orgs: [{ name: 'Acme', slug: 'acme', count: 1000 }], firstAt: new Date('2026-11-15T11:00:00Z') });
      await channel.notifier.alert({ kind: 'usage_unpriced', orgId: 'o-1', orgName: 'Acme', ...text }, operatorPeople(channel.emails));
    } finally {
      channel.close();
    }
    expect(received).toHaveLength(1);
    expect(received[0]!.to).toEqual(['ops@example.com', 'oncall@example.com']);
    expect(received[0]!.mail.subject).toBe('Usage kept unpriced: model claude-next-20270101 has no price (1000 records) — Acme');
    expect(received[0]!.mail.text).toContain('POST /v1/operator/prices {"model": "claude-next-20270101", "effectiveFrom": "2026-11-15T11:00:00.000Z"');
    expect(received[0]!.mail.text).toContain('Organisations: Acme (acme): 1000');
    expect(lines).toEqual([expect.stringMatching(/^\[operators\] Usage kept unpriced: model claude-next-20270101 .*Unpriced records: 1000.*POST \/v1\/operator\/prices/)]);
  });

  it('refuses an OPERATOR_EMAIL that is not a list of addresses, naming it', () => {
    expect(() => loadConfig({ OPERATOR_EMAIL: 'ops@example.com, not-an-address' })).toThrow(ConfigError);
    expect(() => loadConfig({ OPERATOR_EMAIL: 'ops@example.com, not-an-address' })).toThrow(/OPERATOR_EMAIL: must be email addresses/);
  });
});
