// Each org's Temporal Schedules: the admins' daily digest at the org's local
// morning hour, and month-end billing at 00:05 on the 1st. Both are calendar specs
// in the org's own timezone, so the server follows its DST and a non-UTC org
// closes its month at its own midnight. Created at service start and whenever an
// org is provisioned or changed (outbox `org_provisioned`); running it again only
// brings the schedules up to date.
import { ScheduleAlreadyRunning, type Client, type ScheduleOptions, type ScheduleOptionsStartWorkflowAction } from '@temporalio/client';
import type { Db } from '../db/client.js';
import { canonicalTimeZone } from '../domain/periods.js';
import type { Organization } from '../generated/prisma/client.js';

export type ScheduledOrg = Pick<Organization, 'id' | 'timezone' | 'digestHourLocal'>;

export const digestScheduleId = (orgId: string) => `digest/${orgId}`;
export const monthEndScheduleId = (orgId: string) => `month-end/${orgId}`;

/** Minutes past local midnight on the 1st: clear of midnight itself, where some zones change clocks. */
export const MONTH_END_MINUTE = 5;

type Options = ScheduleOptions<ScheduleOptionsStartWorkflowAction<any>>;

export function orgScheduleOptions(org: ScheduledOrg, taskQueue: string): Options[] {
  // The API stores canonical names; rows written before it did may not be.
  const timezone = canonicalTimeZone(org.timezone);
  if (!timezone) throw new Error(`timezone '${org.timezone}' is not an IANA timezone; fix it in the org document`);
  const action = (workflowType: string, scheduleId: string) => ({
    type: 'startWorkflow' as const,
    workflowType,
    taskQueue,
    // The server appends the scheduled time, so each run has its own id.
    workflowId: scheduleId,
    args: [{ orgId: org.id }],
  });
  const digest = digestScheduleId(org.id);
  const monthEnd = monthEndScheduleId(org.id);
  return [
    {
      scheduleId: digest,
      // Calendar times are wall-clock times in `timezone`: an hour skipped by a DST change skips that day's digest.
      spec: { calendars: [{ hour: org.digestHourLocal, minute: 0, comment: 'daily digest, local time' }], timezone },
      action: action('dailyDigest', digest),
      // A digest many hours late is noise: tomorrow's replaces it.
      policies: { overlap: 'SKIP', catchupWindow: '6 hours' },
    },
    {
      scheduleId: monthEnd,
      spec: { calendars: [{ dayOfMonth: 1, hour: 0, minute: MONTH_END_MINUTE, comment: 'close the previous month, local time' }], timezone },
      action: action('monthEnd', monthEnd),
      // A month must be closed even after a long outage (month-end is idempotent).
      policies: { overlap: 'SKIP', catchupWindow: '31 days' },
    },
  ];
}

/**
 * Orgs whose schedules could not be ensured, with the reason, for /health and the
 * log: one bad org never stops the others. An org leaves the list when its
 * schedules are next ensured (its document fixed, or Temporal back).
 */
export class ScheduleProblems {
  private readonly failing = new Map<string, { orgId: string; error: string; since: string }>();
  failed(orgId: string, err: unknown, at = new Date()): void {
    const error = err instanceof Error ? err.message : String(err);
    this.failing.set(orgId, { orgId, error, since: this.failing.get(orgId)?.since ?? at.toISOString() });
  }
  ok(orgId: string): void {
    this.failing.delete(orgId);
  }
  list() {
    return [...this.failing.values()];
  }
}

/** Creates the org's schedules, or updates them in place (keeping a pause an operator set). */
export async function ensureOrgSchedules(client: Client, org: ScheduledOrg, taskQueue: string, problems?: ScheduleProblems): Promise<void> {
  try {
    for (const { scheduleId, ...options } of orgScheduleOptions(org, taskQueue)) {
      try {
        await client.schedule.create({ scheduleId, ...options });
      } catch (err) {
        if (!(err instanceof ScheduleAlreadyRunning)) throw err;
        await client.schedule.getHandle(scheduleId).update((previous) => ({
          ...options,
          state: { paused: previous.state.paused, note: previous.state.note },
        }));
      }
    }
  } catch (err) {
    problems?.failed(org.id, err);
    throw err;
  }
  problems?.ok(org.id);
}

/**
 * Every org's schedules; at service start, so schedules follow orgs changed while it
 * was down. An org that fails is reported and skipped: the service still starts.
 */
export async function ensureAllSchedules(client: Client, db: Db, taskQueue: string, problems = new ScheduleProblems()): Promise<{ ensured: number; failed: { orgId: string; error: string }[] }> {
  const orgs = await db.organization.findMany({ select: { id: true, timezone: true, digestHourLocal: true }, orderBy: { id: 'asc' } });
  const failed: { orgId: string; error: string }[] = [];
  for (const org of orgs) {
    await ensureOrgSchedules(client, org, taskQueue, problems).catch((err: unknown) => failed.push({ orgId: org.id, error: (err as Error).message }));
  }
  return { ensured: orgs.length - failed.length, failed };
}
