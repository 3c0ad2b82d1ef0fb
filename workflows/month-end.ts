// Month-end for one org: close the billing month into an invoice (Enterprise) or a
// statement (Team), tell the owners it is ready (total and link), then tell members
// paused by their own cap that they are active again. Started by the org's month-end
// Schedule; running it twice changes nothing and tells nobody twice.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { BillingActivities, InvoiceNoticeOutcome, ReactivationOutcome } from '../src/activities/billing.js';
import type { InvoiceSummary } from '../src/ledger/reports/invoices.js';

export interface MonthEndInput {
  orgId: string;
  /** "YYYY-MM"; default: the month before the one the run was scheduled (or else started) in, org timezone. */
  period?: string;
}

export interface MonthEndResult {
  orgId: string;
  period: string;
  invoice: InvoiceSummary & { created: boolean };
  /** Members told now, or told by an earlier run. */
  reactivated: { memberId: string; outcome: ReactivationOutcome }[];
  /** Members whose notice could not be delivered (the invoice stands regardless). */
  notifyFailed: string[];
  /** The owners' "invoice ready" notice; 'failed' when it could not be delivered (the invoice stands). Absent in runs from before it. */
  invoiceNotice?: InvoiceNoticeOutcome | 'failed';
}

/** Set by a Schedule on the runs it starts: the calendar time the run was for. */
const SCHEDULED_START = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/** A month closed by hand: `month-end/<org slug>/<period>` (Schedule runs are `month-end/<org slug>-<scheduled time>`). */
export const monthEndWorkflowId = (orgSlug: string, period: string) => `month-end/${orgSlug}/${period}`;

const acts = proxyActivities<BillingActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

// A notifier outage should not hold the month open forever: give up on one notice after a while.
const notices = proxyActivities<BillingActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

export async function monthEnd(input: MonthEndInput): Promise<MonthEndResult> {
  // Both times are in the start event, so replays resolve the same month. The scheduled
  // time wins: a run caught up days late (after an outage) still closes the month it was for.
  const info = workflowInfo();
  const at = info.typedSearchAttributes.get(SCHEDULED_START) ?? info.startTime;
  const period = input.period ?? (await acts.monthToClose({ orgId: input.orgId, at: at.toISOString() }));
  const invoice = await acts.closeMonth({ orgId: input.orgId, period });
  // Runs recorded before the notice existed replay without it (docs/workflows.md, versioning).
  let invoiceNotice: MonthEndResult['invoiceNotice'];
  if (patched('invoice-ready-notice')) {
    invoiceNotice = await notices.notifyInvoiceReady({ orgId: input.orgId, period }).catch((): 'failed' => 'failed');
  }
  const paused = await acts.capPausedMembers({ orgId: input.orgId, period });
  const results = await Promise.allSettled(paused.map((memberId) => notices.notifyMemberReactivated({ orgId: input.orgId, period, memberId })));
  const reactivated: MonthEndResult['reactivated'] = [];
  const notifyFailed: string[] = [];
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') reactivated.push({ memberId: paused[i]!, outcome: r.value });
    else notifyFailed.push(paused[i]!);
  });
  return { orgId: input.orgId, period, invoice, reactivated, notifyFailed, ...(invoiceNotice ? { invoiceNotice } : {}) };
}
