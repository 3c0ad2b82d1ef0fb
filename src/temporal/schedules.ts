// Each org's Temporal Schedules: the admins' daily digest at the org's local
// morning hour, and month-end billing at 00:05 on the 1st. Both are calendar specs
// in the org's own timezone, so the server follows its DST and a non-UTC org
// closes its month at its own midnight. Created at service start and whenever an
// org is provisioned or changed (outbox `org_provisioned`); running it again only
// brings the schedules up to date.
import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client, type ScheduleOptions, type ScheduleOptionsStartWorkflowAction } from '@temporalio/client';
import type { Db } from '../db/client.js';
import { canonicalTimeZone } from '../domain/periods.js';
import type { Organization } from '../generated/prisma/client.js';
import { hasSearchAttributes, orgAttributes } from './search-attributes.js';

export type ScheduledOrg = Pick<Organization, 'id' | 'slug' | 'timezone' | 'digestHourLocal'> & {
  /** Connected to its Anthropic organization (docs/claude.md): polled by its own schedule. */
  anthropicConnected?: boolean;
};

/** The poll of a connected org: how often, and the reminder time its request workflows get. */
export interface AnthropicPollOptions {
  everySeconds: number;
  remindAfterMs: number;
  /** How often a poll also reads the effective-limits report. */
  limitsEverySeconds?: number;
}

export const anthropicPollScheduleId = (orgSlug: string) => `anthropic-poll/${orgSlug}`;

function anthropicPollOptions(org: ScheduledOrg, taskQueue: string, poll: AnthropicPollOptions, attributes: boolean): Options {
  const scheduleId = anthropicPollScheduleId(org.slug);
  return {
    scheduleId,
    spec: { intervals: [{ every: `${poll.everySeconds} seconds` }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'anthropicPoll',
      taskQueue,
      workflowId: scheduleId,
      args: [{ orgId: org.id, remindAfterMs: poll.remindAfterMs, ...(poll.limitsEverySeconds !== undefined ? { limitsEverySeconds: poll.limitsEverySeconds } : {}) }],
      ...(attributes ? { typedSearchAttributes: orgAttributes(org.slug), staticSummary: `anthropicPoll, ${org.slug}` } : {}),
    },
    // A poll still running (Anthropic slow) is not stacked; a missed one is simply the next.
    policies: { overlap: 'SKIP', catchupWindow: '1 minute' },
  };
}

/** Named by the org's (immutable) slug; each run is `<schedule id>-<scheduled time>` (the server appends it). */
export const digestScheduleId = (orgSlug: string) => `digest/${orgSlug}`;
export const monthEndScheduleId = (orgSlug: string) => `month-end/${orgSlug}`;
/** The ids schedules had before (org id): removed when the new ones are ensured, so nothing fires twice. */
const legacyScheduleIds = (orgId: string) => [`digest/${orgId}`, `month-end/${orgId}`];

/** Minutes past local midnight on the 1st: clear of midnight itself, where some zones change clocks. */
export const MONTH_END_MINUTE = 5;

type Options = ScheduleOptions<ScheduleOptionsStartWorkflowAction<any>>;

/** `attributes`: the runs carry the org's search attributes and a summary (src/temporal/search-attributes.ts). */
export function orgScheduleOptions(org: ScheduledOrg, taskQueue: string, attributes = false): Options[] {
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
    ...(attributes ? { typedSearchAttributes: orgAttributes(org.slug), staticSummary: `${workflowType}, ${org.slug}` } : {}),
  });
  const digest = digestScheduleId(org.slug);
  const monthEnd = monthEndScheduleId(org.slug);
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
export async function ensureOrgSchedules(client: Client, org: ScheduledOrg, taskQueue: string, problems?: ScheduleProblems, anthropicPoll?: AnthropicPollOptions): Promise<void> {
  try {
    const attributes = hasSearchAttributes(client);
    const polled = org.anthropicConnected && anthropicPoll ? [anthropicPollOptions(org, taskQueue, anthropicPoll, attributes)] : [];
    for (const { scheduleId, ...options } of [...orgScheduleOptions(org, taskQueue, attributes), ...polled]) {
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
    // Disconnected: its poll stops.
    if (polled.length === 0) {
      await client.schedule.getHandle(anthropicPollScheduleId(org.slug)).delete().catch((err: unknown) => {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
      });
    }
    for (const legacy of legacyScheduleIds(org.id)) {
      if (legacy === digestScheduleId(org.slug) || legacy === monthEndScheduleId(org.slug)) continue;
      await client.schedule.getHandle(legacy).delete().catch((err: unknown) => {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
      });
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
export async function ensureAllSchedules(client: Client, db: Db, taskQueue: string, problems = new ScheduleProblems(), anthropicPoll?: AnthropicPollOptions): Promise<{ ensured: number; failed: { orgId: string; error: string }[] }> {
  const orgs = await db.organization.findMany({ select: { id: true, slug: true, timezone: true, digestHourLocal: true, anthropic: { select: { orgId: true } } }, orderBy: { id: 'asc' } });
  const failed: { orgId: string; error: string }[] = [];
  for (const { anthropic, ...org } of orgs) {
    await ensureOrgSchedules(client, { ...org, anthropicConnected: anthropic !== null }, taskQueue, problems, anthropicPoll).catch((err: unknown) => failed.push({ orgId: org.id, error: (err as Error).message }));
  }
  return { ensured: orgs.length - failed.length, failed };
}
