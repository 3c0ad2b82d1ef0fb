// The admins' daily digest of outstanding requests, started by each org's
// `digest/<orgId>` Schedule (src/temporal/schedules.ts). The date it is for comes
// from the workflow's start time, which replays identically.
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { DigestActivities, DigestResult } from '../src/activities/digest.js';

export interface DailyDigestInput {
  orgId: string;
}

// A digest that cannot go out within a few hours is superseded by tomorrow's.
const { sendDigest } = proxyActivities<DigestActivities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '6 hours',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

export async function dailyDigest(input: DailyDigestInput): Promise<DigestResult> {
  const { startTime, runId } = workflowInfo();
  return sendDigest({ orgId: input.orgId, at: startTime.toISOString(), runId });
}
