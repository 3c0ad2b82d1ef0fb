// The email channel of the notifier port: SMTP through nodemailer. The brief's
// digest is "by email"; alerts and request notices go the same way to whoever
// has an address. People without an email address are skipped, not an error.
import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from '../config.js';
import { alertEmail, digestEmail, requestClosedEmail, requestOpenedEmail, requestReminderEmail, type EmailContent, type FormatOptions } from './email-format.js';
import type { Notifier, Person, SendOptions } from './port.js';

export interface EmailNotifierOptions {
  /** An smtp:// URL or a ready nodemailer transport. */
  transport: string | Transporter;
  from: string;
  publicUrl?: string;
  now?: () => Date;
  /** The org's timezone for dates in emails (e.g. looked up in the database); UTC when absent. */
  timeZoneOf?: (orgId: string) => Promise<string | null | undefined>;
  /**
   * A single-use sign-in token for one recipient (src/services/sign-in.ts), or null
   * (no such member). Set: an email with console links goes to each recipient on its
   * own, their links signing them in; a retry after a partial failure may then send
   * some recipients their copy again (with a fresh link).
   */
  signInToken?: (orgId: string, person: Person) => Promise<string | null>;
}

/** One address once, in the order given (an owner may also be listed as admin). */
function recipients(people: Person[]): { name: string; address: string }[] {
  const seen = new Set<string>();
  const out: { name: string; address: string }[] = [];
  for (const p of people) {
    const address = p.email?.trim();
    if (!address || seen.has(address.toLowerCase())) continue;
    seen.add(address.toLowerCase());
    out.push({ name: p.name, address });
  }
  return out;
}

export class EmailNotifier implements Notifier {
  private readonly transport: Transporter;
  private readonly ownsTransport: boolean;

  constructor(private readonly opts: EmailNotifierOptions) {
    this.ownsTransport = typeof opts.transport === 'string';
    this.transport = typeof opts.transport === 'string' ? nodemailer.createTransport(opts.transport) : opts.transport;
  }

  private async format(orgId: string, now: Date): Promise<FormatOptions> {
    const timeZone = (await this.opts.timeZoneOf?.(orgId)) ?? undefined;
    return { publicUrl: this.opts.publicUrl, timeZone, now };
  }

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  /**
   * One message to all recipients. A rejection throws so the activity retries; when the
   * server refused only some addresses, the others are reported delivered first
   * (SendOptions.delivered), so the retry mails only those refused.
   */
  private async send(to: Person[], content: EmailContent, sendOpts?: SendOptions): Promise<void> {
    const rcpt = recipients(to);
    if (rcpt.length === 0) return;
    const info = await this.transport.sendMail({ from: this.opts.from, to: rcpt, subject: content.subject, text: content.text, html: content.html });
    const refused = ((info as { rejected?: unknown[] }).rejected ?? []).map((a) => String((a as { address?: string })?.address ?? a).toLowerCase());
    if (refused.length === 0) return;
    for (const p of to) {
      const address = p.email?.trim().toLowerCase();
      if (address && !refused.includes(address)) await sendOpts?.delivered?.(p.memberId);
    }
    throw new Error(`email: the server refused ${refused.join(', ')}`);
  }

  /**
   * Builds and sends one email. With sign-in tokens configured and console links in
   * it, each recipient gets their own copy whose links sign them in.
   */
  private async sendBuilt(orgId: string, to: Person[], opts: FormatOptions, build: (o: FormatOptions) => EmailContent, send?: SendOptions): Promise<void> {
    const mint = this.opts.signInToken;
    const probe = '__sign_in_token_probe__';
    if (!mint || !build({ ...opts, signInToken: probe }).text.includes(probe)) return this.send(to, build(opts), send);
    const seen = new Set<string>();
    for (const person of to) {
      const address = person.email?.trim().toLowerCase();
      if (!address || seen.has(address)) continue;
      seen.add(address);
      const token = await mint(orgId, person);
      await this.send([person], build(token ? { ...opts, signInToken: token } : opts));
      await send?.delivered?.(person.memberId); // a retry does not mail them again
    }
  }

  async requestOpened(request: Parameters<Notifier['requestOpened']>[0], admins: Person[], send?: SendOptions): Promise<void> {
    await this.sendBuilt(request.orgId, admins, await this.format(request.orgId, this.now()), (o) => requestOpenedEmail(request, o), send);
  }

  async requestReminder(request: Parameters<Notifier['requestReminder']>[0], admins: Person[], send?: SendOptions): Promise<void> {
    await this.sendBuilt(request.orgId, admins, await this.format(request.orgId, this.now()), (o) => requestReminderEmail(request, o), send);
  }

  /** The outcome goes to the requester; admins already saw the decision where they took it. */
  async requestClosed(request: Parameters<Notifier['requestClosed']>[0]): Promise<void> {
    // No longer tracked here (the org disconnected from Claude): the member is not told, their request is still open in Claude.
    if (request.status === 'untracked') return;
    await this.sendBuilt(request.orgId, [request.requester], await this.format(request.orgId, this.now()), (o) => requestClosedEmail(request, o));
  }

  async alert(alert: Parameters<Notifier['alert']>[0], to: Person[], send?: SendOptions): Promise<void> {
    await this.sendBuilt(alert.orgId, to, await this.format(alert.orgId, this.now()), (o) => alertEmail(alert, o), send);
  }

  /** "Waiting" is counted to the digest's own time, so a retried digest reads the same. */
  async digest(digest: Parameters<Notifier['digest']>[0], admins: Person[], send?: SendOptions): Promise<void> {
    if (digest.requests.length === 0) return;
    await this.sendBuilt(digest.orgId, admins, await this.format(digest.orgId, new Date(digest.at)), (o) => digestEmail(digest, o), send);
  }

  /** Connects to the server and says hello (and logs in, when SMTP_URL has credentials); nothing is sent. */
  async verify(): Promise<void> {
    await this.transport.verify();
  }

  close(): void {
    if (this.ownsTransport) this.transport.close();
  }
}

/** The email channel from configuration, or null when SMTP_URL is unset. */
export function emailNotifierFromConfig(
  config: Pick<Config, 'SMTP_URL' | 'EMAIL_FROM' | 'PUBLIC_URL'>,
  extra: Pick<EmailNotifierOptions, 'timeZoneOf' | 'now' | 'signInToken'> = {},
): EmailNotifier | null {
  if (!config.SMTP_URL) return null;
  return new EmailNotifier({ transport: config.SMTP_URL, from: config.EMAIL_FROM, publicUrl: config.PUBLIC_URL, ...extra });
}
