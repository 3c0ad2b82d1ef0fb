// Workflows of the namespace that closed badly over the last day (Temporal visibility),
// for the extra_usage_workflows_closed_unsuccessfully gauge. Counted at most every 30 s,
// so scrapes from several Prometheus replicas do not multiply visibility queries.
import type { Client } from '@temporalio/client';
import type { WorkflowFailureSource } from '../observability/metrics.js';

const STATUSES = ['Failed', 'TimedOut', 'Terminated'] as const;
const DAY_MS = 86_400_000;
const FRESH_MS = 30_000;

export function workflowFailuresOf(client: Client, now: () => Date = () => new Date()): WorkflowFailureSource {
  let last: { at: number; counts: Record<string, number> } | null = null;
  return async () => {
    const at = now().getTime();
    if (last && at - last.at < FRESH_MS) return last.counts;
    const since = new Date(at - DAY_MS).toISOString();
    const counts: Record<string, number> = {};
    for (const status of STATUSES) {
      counts[status] = (await client.workflow.count(`ExecutionStatus = '${status}' AND CloseTime > '${since}'`)).count;
    }
    last = { at, counts };
    return counts;
  };
}
