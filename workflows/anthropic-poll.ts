// One poll of a connected org (docs/claude.md), run by its Temporal Schedule
// `anthropic-poll/<org slug>` every ANTHROPIC_POLL_SECONDS: users mirrored, each new
// pending increase request started as its own request workflow
// (`request/<org slug>/anthropic/<request id>`, outliving this run), and each request
// decided in claude.ai signalled so its workflow closes and updates every copy.
import { ParentClosePolicy, getExternalWorkflowHandle, log, proxyActivities, startChild, workflowInfo, WorkflowIdReusePolicy } from '@temporalio/workflow';
import type { AnthropicActivities } from '../src/activities/anthropic.js';
import { cancelSignal, decidedInClaudeSignal } from './messages.js';
import type { ExtraUsageRequestInput, extraUsageRequest } from './extra-usage-request.js';
import { MEMBER, ORG_SLUG, REQUEST_STATUS } from './search-attributes.js';

export interface AnthropicPollInput {
  orgId: string;
  /** Remind admins of an undecided request after this long (REQUEST_REMIND_AFTER_MINUTES). */
  remindAfterMs: number;
  /** Read the effective-limits report when the last read is this old (ANTHROPIC_LIMITS_POLL_SECONDS); absent: never. */
  limitsEverySeconds?: number;
}

// Anthropic unreachable, 429 or 5xx: backed off within this run; the next scheduled run starts afresh.
const acts = proxyActivities<AnthropicActivities>({
  startToCloseTimeout: '2 minutes',
  scheduleToCloseTimeout: '10 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** `request/<org>/anthropic/<id>`; picked up again after a reconnect, `…/tracked-<n>` (each tracking one run, ever). */
export const anthropicRequestWorkflowId = (orgSlug: string, anthropicRequestId: string, tracking?: number) => `request/${orgSlug}/anthropic/${anthropicRequestId}${tracking && tracking > 1 ? `/tracked-${tracking}` : ''}`;

export async function anthropicPoll(input: AnthropicPollInput): Promise<{ opened: number; closed: number }> {
  const result = await acts.pollAnthropic({ orgId: input.orgId, ...(input.limitsEverySeconds !== undefined ? { limitsEverySeconds: input.limitsEverySeconds } : {}) });
  if (!result) return { opened: 0, closed: 0 }; // disconnected since the schedule fired
  const shown = workflowInfo().typedSearchAttributes.get(ORG_SLUG) !== undefined;
  let opened = 0;
  for (const p of result.open) {
    const args: ExtraUsageRequestInput = {
      orgId: input.orgId,
      memberId: p.memberId,
      requestedAt: p.requestedAt,
      note: null,
      remindAfterMs: input.remindAfterMs,
      expireAfterMs: input.remindAfterMs,
      anthropic: p.anthropic,
    };
    try {
      // Started by its workflow type's name: workflow files import only types from one another.
      await startChild<typeof extraUsageRequest>('extraUsageRequest', {
        workflowId: anthropicRequestWorkflowId(result.orgSlug, p.anthropic.requestId, p.tracking),
        args: [args],
        // The request outlives this poll; one run per Anthropic request, ever.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        ...(shown ? { typedSearchAttributes: [{ key: ORG_SLUG, value: result.orgSlug }, { key: MEMBER, value: p.memberExternalId }, { key: REQUEST_STATUS, value: 'pending' }] } : {}),
      });
      opened++;
    } catch (err) {
      // Started by an earlier poll whose row is not written yet: that run is the request.
      if ((err as Error).name !== 'WorkflowExecutionAlreadyStartedError') throw err;
    }
  }
  for (const d of result.decided) {
    try {
      await getExternalWorkflowHandle(d.workflowId).signal(decidedInClaudeSignal, d);
    } catch (err) {
      log.warn('a request decided in claude.ai has no running workflow here', { workflowId: d.workflowId, error: (err as Error).message });
    }
  }
  // Gone at Anthropic: nothing will decide them there, so they close here (results recorded before have none).
  for (const g of result.gone ?? []) {
    try {
      await getExternalWorkflowHandle(g.workflowId).signal(cancelSignal, { reason: 'withdrawn' });
    } catch (err) {
      log.warn('a request gone at Anthropic has no running workflow here', { workflowId: g.workflowId, error: (err as Error).message });
    }
  }
  return { opened, closed: result.decided.length };
}
