// Starting Team auto-reload episodes: the outbox route of `auto_reload_wanted` (written
// by the balance-watch trigger) and the check at service start both come here.
// signalWithStart joins the org's running episode or starts one: one per org at a time.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Db } from '../db/client.js';
import type { TeamAutoReloadInput } from '../../workflows/team-auto-reload.js';
import { orgAttributes, visibility } from './search-attributes.js';

/** One episode workflow per org at a time, named by the org's (immutable) slug. */
export const teamAutoReloadId = (orgSlug: string) => `auto-reload/${orgSlug}`;
/** The id episodes had before: one still running there is signalled, never doubled. */
const legacyTeamAutoReloadId = (orgId: string) => `auto-reload/${orgId}`;

/** Payment policy of the episodes (defaults in workflows/team-auto-reload.ts). */
export type AutoReloadOptions = Omit<TeamAutoReloadInput, 'orgId' | 'orgSlug' | 'carried'>;

export async function requestAutoReload(client: Client, taskQueue: string, org: { id: string; slug: string }, opts: AutoReloadOptions = {}): Promise<void> {
  // An episode started under the old id before an upgrade is the org's episode until it ends.
  // (One extra call per trigger; drop it once no such episode can be running.)
  try {
    await client.workflow.getHandle(legacyTeamAutoReloadId(org.id)).signal('reloadWanted');
    return;
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  const input: TeamAutoReloadInput = { orgId: org.id, orgSlug: org.slug, ...opts };
  await client.workflow.signalWithStart('teamAutoReload', {
    taskQueue,
    workflowId: teamAutoReloadId(org.slug),
    args: [input],
    signal: 'reloadWanted',
    signalArgs: [],
    ...visibility(client, orgAttributes(org.slug), `Team auto-reload episode, ${org.slug}`),
  });
}

/**
 * Every Team org whose balance less holds is at or below its auto-reload threshold
 * gets its episode (started, or the running one told to look again). Run at service
 * start: a reload wanted while the service was down, or an episode lost, is not left behind.
 */
export async function resumeAutoReloads(client: Client, db: Db, taskQueue: string, opts: AutoReloadOptions = {}): Promise<{ requested: string[]; failed: { orgId: string; error: string }[] }> {
  const rows = await db.$queryRaw<{ id: string; slug: string }[]>`
    SELECT "id", "slug" FROM "Organization"
    WHERE "plan" = 'team' AND "autoReloadEnabled" AND "autoReloadThresholdNanos" IS NOT NULL AND COALESCE("autoReloadAmountNanos", 0) > 0
      AND "balanceNanos" - "heldBalanceNanos" <= "autoReloadThresholdNanos"
    ORDER BY "id"`;
  const requested: string[] = [];
  const failed: { orgId: string; error: string }[] = [];
  for (const r of rows) {
    // One org Temporal refuses does not keep the others waiting; its next trigger tries again.
    try {
      await requestAutoReload(client, taskQueue, r, opts);
      requested.push(r.id);
    } catch (err) {
      failed.push({ orgId: r.id, error: (err as Error).message });
    }
  }
  return { requested, failed };
}
