// The daily digest activity: admins get the list of outstanding requests, at most
// once per org and local date. An AlertDelivery row keyed "digest:<local date>" is
// the dedupe: inserted if absent, claimed by one workflow run, set sent afterwards.
// A retry of the claiming run may send again if it died between sending and
// marking (at-least-once); a second run the same day (a manual trigger, a
// catch-up) finds the row and sends nothing.
import { randomUUID } from 'node:crypto';
import { adminsOf } from '../ledger/settings/people.js';
import { pendingRequests } from '../ledger/requests/requests.js';
import type { ActivityDeps } from './deps.js';

export interface SendDigestInput {
  orgId: string;
  /** When the digest is for (the workflow's start time, ISO); fixes the local date. */
  at: string;
  /** The workflow run sending it: its retries may resume a claim, other runs may not. */
  runId?: string;
}

export type DigestResult =
  | { sent: true; localDate: string; requests: number }
  | { sent: false; localDate: string | null; reason: 'nothing_pending' | 'already_sent' | 'being_sent' | 'org_not_found' };

/** A claim older than this is taken to belong to a run that gave up, and may be taken over. */
export const DIGEST_CLAIM_LEASE_MS = 10 * 60_000;

/** "2026-11-15": the calendar date at `at` in the timezone. */
export function localDateOf(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}

export function digestActivities(deps: ActivityDeps) {
  const { db, notifier } = deps;
  return {
    async sendDigest(input: SendDigestInput): Promise<DigestResult> {
      const org = await db.organization.findUnique({ where: { id: input.orgId } });
      if (!org) return { sent: false, localDate: null, reason: 'org_not_found' };
      const localDate = localDateOf(new Date(input.at), org.timezone);
      const dedupeKey = `digest:${localDate}`;
      const claimant = input.runId ?? randomUUID();

      const existing = await db.alertDelivery.findUnique({ where: { orgId_dedupeKey: { orgId: org.id, dedupeKey } } });
      if (existing?.sentAt) return { sent: false, localDate, reason: 'already_sent' };

      // Nothing outstanding: no row, so requests arriving later today still get a digest from a later run.
      const requests = await pendingRequests(db, org.id);
      if (requests.length === 0) return { sent: false, localDate, reason: 'nothing_pending' };

      if (!(await claim(org.id, dedupeKey, claimant, requests.length))) {
        const row = await db.alertDelivery.findUnique({ where: { orgId_dedupeKey: { orgId: org.id, dedupeKey } } });
        return { sent: false, localDate, reason: row?.sentAt ? 'already_sent' : 'being_sent' };
      }
      await notifier.digest({ orgId: org.id, orgName: org.name, at: input.at, requests }, await adminsOf(db, org.id), { deliveryKey: `digest:${org.id}:${localDate}` });
      await db.alertDelivery.updateMany({ where: { orgId: org.id, dedupeKey, sentAt: null }, data: { sentAt: deps.now() } });
      return { sent: true, localDate, requests: requests.length };
    },
  };

  /**
   * Insert-if-absent, then compare-and-set on the claimant: true when this run may
   * send (it inserted the row, already held it, or took over a stale claim).
   */
  async function claim(orgId: string, dedupeKey: string, claimant: string, count: number): Promise<boolean> {
    const now = deps.now();
    const payload = { claimedBy: claimant, claimedAt: now.toISOString(), requests: count };
    await db.alertDelivery.createMany({ data: [{ orgId, dedupeKey, kind: 'digest', payload }], skipDuplicates: true });
    const staleBefore = new Date(now.getTime() - DIGEST_CLAIM_LEASE_MS).toISOString();
    const taken = await db.$executeRaw`
      UPDATE "AlertDelivery" SET "payload" = ${JSON.stringify(payload)}::jsonb
      WHERE "orgId" = ${orgId} AND "dedupeKey" = ${dedupeKey} AND "sentAt" IS NULL
        AND ("payload"->>'claimedBy' = ${claimant} OR ("payload"->>'claimedAt') < ${staleBefore})`;
    return taken === 1;
  }
}

export type DigestActivities = ReturnType<typeof digestActivities>;
