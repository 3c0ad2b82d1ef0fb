// Notice channels that keep failing, per org: every attempt the fan-out makes on a
// channel is counted here (src/notify/fanout.ts, ChannelOutcomes). A channel is
// "failing" after FAILING_AFTER_ATTEMPTS failed attempts in a row, or once its first
// failure in a row is FAILING_AFTER_MS old and it failed again; it is then reported
// ONCE per run of failures: a log line for operators, GET /health (notices.failing)
// and an entry in the org's audit log. The first attempt that delivers clears it
// (with a log line and an audit entry when it had been reported).
// Rows live in the database, so every process's GET /health shows them.
// With `tellOperators` (src/notify/operators.ts: OPERATOR_EMAIL) the same report and the
// recovery are also emailed, once each, after the row is claimed and the audit entry
// written (no transaction is held while mailing); a failing email is logged there and
// never retried, so a failing email channel cannot loop.
import type { Db } from '../../db/client.js';
import type { ChannelOutcomes } from '../../notify/fanout.js';
import type { ChannelHealthReport } from '../../notify/operators.js';
import { SYSTEM_ACTOR } from '../actors.js';
import { writeAudit } from '../audit.js';

export const FAILING_AFTER_ATTEMPTS = 5;
export const FAILING_AFTER_MS = 15 * 60_000;

export interface FailingChannel {
  orgId: string;
  org: string;
  channel: string;
  failures: number;
  since: string;
  lastError: string;
}

const errorText = (err: unknown) => {
  const e = err as { message?: unknown; errors?: unknown[] };
  const inner = Array.isArray(e?.errors) && e.errors.length ? `: ${e.errors.map((x) => String((x as Error)?.message ?? x)).join('; ')}` : '';
  return `${String(e?.message ?? err)}${inner}`.slice(0, 1000);
};

export function channelHealthIn(db: Db, opts: { log: (line: string) => void; now?: () => Date; tellOperators?: (report: ChannelHealthReport) => Promise<void> }): ChannelOutcomes {
  const now = opts.now ?? (() => new Date());
  const tell = async (report: ChannelHealthReport) => {
    try {
      await opts.tellOperators?.(report);
    } catch (err) {
      opts.log(`[notices] operators could not be told about the ${report.channel} channel of org ${report.org}: ${errorText(err)}`);
    }
  };
  return {
    async failed(orgId, channel, error) {
      const at = now();
      const lastError = errorText(error);
      const [row] = await db.$queryRaw<{ failures: number; failingSince: Date; reportedAt: Date | null }[]>`
        INSERT INTO "NoticeChannelHealth" ("orgId", "channel", "failures", "failingSince", "lastFailedAt", "lastError")
        VALUES (${orgId}, ${channel}, 1, ${at}, ${at}, ${lastError})
        ON CONFLICT ("orgId", "channel") DO UPDATE SET
          "failures" = "NoticeChannelHealth"."failures" + 1, "lastFailedAt" = EXCLUDED."lastFailedAt", "lastError" = EXCLUDED."lastError"
        RETURNING "failures", "failingSince", "reportedAt"`;
      if (!row || row.reportedAt) return;
      const failing = row.failures >= FAILING_AFTER_ATTEMPTS || at.getTime() - new Date(row.failingSince).getTime() >= FAILING_AFTER_MS;
      if (!failing) return;
      // Whoever sets reportedAt reports: once, even with several workers failing at once.
      const claimed = await db.noticeChannelHealth.updateMany({ where: { orgId, channel, reportedAt: null }, data: { reportedAt: at } });
      if (claimed.count === 0) return;
      const org = await db.organization.findUnique({ where: { id: orgId }, select: { slug: true, name: true } });
      const since = new Date(row.failingSince).toISOString();
      opts.log(`[notices] the ${channel} channel of org ${org?.slug ?? orgId} keeps failing (${row.failures} attempts in a row since ${since}); notices wait for it and are retried: ${lastError}`);
      await writeAudit(db, orgId, [{ actor: SYSTEM_ACTOR, action: 'notice_channel.failing', subject: `channel:${channel}`, before: null, after: { failures: row.failures, since, lastError } }]);
      await tell({ state: 'failing', orgId, org: org?.slug ?? orgId, orgName: org?.name ?? orgId, channel, since, failures: row.failures, lastError });
    },
    async succeeded(orgId, channel) {
      const gone = await db.$queryRaw<{ failures: number; failingSince: Date; reportedAt: Date | null }[]>`
        DELETE FROM "NoticeChannelHealth" WHERE "orgId" = ${orgId} AND "channel" = ${channel}
        RETURNING "failures", "failingSince", "reportedAt"`;
      const row = gone[0];
      if (!row?.reportedAt) return;
      const org = await db.organization.findUnique({ where: { id: orgId }, select: { slug: true, name: true } });
      const since = new Date(row.failingSince).toISOString();
      opts.log(`[notices] the ${channel} channel of org ${org?.slug ?? orgId} delivers again (after ${row.failures} failed attempts)`);
      await writeAudit(db, orgId, [{ actor: SYSTEM_ACTOR, action: 'notice_channel.recovered', subject: `channel:${channel}`, before: { failures: row.failures, since }, after: null }]);
      await tell({ state: 'recovered', orgId, org: org?.slug ?? orgId, orgName: org?.name ?? orgId, channel, since, failures: row.failures });
    },
  };
}

/** Channels reported failing (GET /health). */
export async function failingChannels(db: Db): Promise<FailingChannel[]> {
  const rows = await db.noticeChannelHealth.findMany({ where: { reportedAt: { not: null } }, include: { org: { select: { slug: true } } }, orderBy: [{ failingSince: 'asc' }] });
  return rows.map((r) => ({ orgId: r.orgId, org: r.org.slug, channel: r.channel, failures: r.failures, since: r.failingSince.toISOString(), lastError: r.lastError }));
}

/** One org's channels failing now (reported or not yet), oldest run first: the console's Notices page. */
export async function channelHealthOf(db: Db, orgId: string): Promise<(Omit<FailingChannel, 'orgId' | 'org'> & { lastFailedAt: string; reported: boolean })[]> {
  const rows = await db.noticeChannelHealth.findMany({ where: { orgId }, orderBy: [{ failingSince: 'asc' }, { channel: 'asc' }] });
  return rows.map((r) => ({ channel: r.channel, failures: r.failures, since: r.failingSince.toISOString(), lastFailedAt: r.lastFailedAt.toISOString(), lastError: r.lastError, reported: r.reportedAt !== null }));
}
