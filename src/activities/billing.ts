// Activities of the month-end workflow. Each is safe to retry: closing a closed
// month returns the stored invoice, and a reactivation notice is sent at most once
// per member and month (an AlertDelivery row claimed before sending, marked after).
import { ApplicationFailure } from '@temporalio/activity';
import { previousPeriod } from '../domain/invoices.js';
import { formatUsd } from '../domain/money.js';
import { nextPeriod, periodOf, periodStart } from '../domain/periods.js';
import { LedgerError } from '../ledger/errors.js';
import { capPausedMembers, closeMonth, getInvoice, invoiceSummary, type InvoiceSummary } from '../ledger/reports/invoices.js';
import { ownersOf, personOf } from '../ledger/settings/people.js';
import type { AlertView } from '../notify/port.js';
import type { ActivityDeps } from './deps.js';
import { claimDelivery, markDelivered } from '../ledger/notices/deliveries.js';

/** A refusal from the ledger (unknown org, month not over, later month closed) will not change on retry. */
async function noRetryOnRefusal<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof LedgerError) throw ApplicationFailure.nonRetryable(err.message, err.code);
    throw err;
  }
}

export const reactivatedKey = (memberId: string, period: string) => `reactivated:${memberId}:${period}`;

export type ReactivationOutcome = 'sent' | 'already_sent' | 'not_paused';

export const invoiceReadyKey = (period: string) => `invoice_ready:${period}`;

/** "12.35" → "$12.35", "-3.00" → "-$3.00". */
const dollars = (amount: string) => (amount.startsWith('-') ? `-$${amount.slice(1)}` : `$${amount}`);

export type InvoiceNoticeOutcome = 'sent' | 'already_sent' | 'no_invoice' | 'no_owners';

/** The console's page of a closed month (built by the console's Billing page). */
export const billingLink = (publicUrl: string, period: string) => `${publicUrl.replace(/\/+$/, '')}/billing/${period}`;

export function billingActivities(deps: ActivityDeps) {
  const { db, notifier } = deps;
  const orgOf = async (orgId: string) => {
    const org = await db.organization.findUnique({ where: { id: orgId } });
    if (!org) throw ApplicationFailure.nonRetryable(`organisation '${orgId}' not found`, 'not_found');
    return org;
  };
  return {
    /** The month before the one containing `at`, in the org's timezone. */
    async monthToClose(input: { orgId: string; at: string }): Promise<string> {
      const org = await orgOf(input.orgId);
      return previousPeriod(periodOf(new Date(input.at), org.timezone));
    },

    async closeMonth(input: { orgId: string; period: string }): Promise<InvoiceSummary & { created: boolean }> {
      return noRetryOnRefusal(async () => {
        const { invoice, created } = await closeMonth(db, input.orgId, input.period, deps.now());
        return { ...invoiceSummary(invoice), created };
      });
    },

    /** Members whose own cap paused them in the month: they start the new month active. */
    async capPausedMembers(input: { orgId: string; period: string }): Promise<string[]> {
      return noRetryOnRefusal(async () => (await capPausedMembers(db, input.orgId, input.period)).map((p) => p.member.id));
    },

    /**
     * Owners are told once that the month's invoice or statement is ready, with its
     * total and a link to it: an AlertDelivery row per org and month, so a retried
     * activity or a second month-end run of the same month sends nothing more, and the
     * fan-out's per-recipient records make a retry reach only the owners still missing.
     */
    async notifyInvoiceReady(input: { orgId: string; period: string }): Promise<InvoiceNoticeOutcome> {
      const org = await orgOf(input.orgId);
      const invoice = await getInvoice(db, org.id, input.period);
      if (!invoice) return 'no_invoice';
      const summary = invoiceSummary(invoice);
      const what = summary.kind === 'statement' ? 'statement' : 'invoice';
      const link = deps.publicUrl ? billingLink(deps.publicUrl, input.period) : null;
      const alert: AlertView = {
        kind: 'invoice_ready',
        orgId: org.id,
        orgName: org.name,
        title: `${org.name}'s ${what} for ${input.period} is ready: $${summary.total}`,
        text: summary.kind === 'statement'
          ? `Extra usage in ${input.period} came to $${summary.total}, taken from the prepaid balance (${dollars(summary.closingBalance!)} at the month's end).${link ? ` See it at ${link}` : ''}`
          : `Extra usage in ${input.period} comes to $${summary.total}.${link ? ` See it at ${link}` : ''}`,
        facts: {
          Month: input.period,
          Total: `$${summary.total}`,
          ...(summary.kind === 'statement' ? { 'Closing balance': dollars(summary.closingBalance!) } : {}),
          ...(link ? { Link: link } : {}),
        },
      };
      const delivery = await claimDelivery(db, org.id, invoiceReadyKey(input.period), 'invoice_ready', { view: alert });
      if (delivery.sentAt) return 'already_sent';
      const owners = await ownersOf(db, org.id);
      // What was stored first is sent, so a retry says exactly the same thing.
      if (owners.length) await notifier.alert((delivery.payload as { view: AlertView }).view, owners, { deliveryKey: `alert:${delivery.id}` });
      await markDelivered(db, delivery.id, deps.now());
      return owners.length ? 'sent' : 'no_owners';
    },

    async notifyMemberReactivated(input: { orgId: string; period: string; memberId: string }): Promise<ReactivationOutcome> {
      const org = await orgOf(input.orgId);
      // Re-read: the member may have left or had the cap raised since the list was taken.
      const paused = (await capPausedMembers(db, input.orgId, input.period)).find((p) => p.member.id === input.memberId);
      if (!paused) return 'not_paused';
      const dedupeKey = reactivatedKey(input.memberId, input.period);
      const activeFrom = periodStart(nextPeriod(input.period), org.timezone);
      const payload = { memberId: input.memberId, period: input.period, cap: formatUsd(paused.capNanos), spent: formatUsd(paused.spentNanos), activeFrom: activeFrom.toISOString() };
      const delivery = await claimDelivery(db, org.id, dedupeKey, 'member_reactivated', payload);
      if (delivery.sentAt) return 'already_sent';
      const person = personOf(paused.member);
      const alert: AlertView = {
        kind: 'member_reactivated',
        orgId: org.id,
        orgName: org.name,
        title: 'Your extra usage is active again',
        text: `You reached your extra usage cap of $${payload.cap} in ${input.period}. A new month has started, so you can use extra usage again.`,
        facts: { Month: input.period, 'Your cap': `$${payload.cap}`, [`Spent in ${input.period}`]: `$${payload.spent}`, 'Active again from': payload.activeFrom },
        member: person,
      };
      await notifier.alert(alert, [person], { deliveryKey: `alert:${delivery.id}` });
      await markDelivered(db, delivery.id, deps.now());
      return 'sent';
    },
  };
}

export type BillingActivities = ReturnType<typeof billingActivities>;
