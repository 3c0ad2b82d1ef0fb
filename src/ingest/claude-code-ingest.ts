// Claude Code telemetry into the ledger: the api_request events of one OTLP export
// are matched to members and recorded through the same group-commit path as
// POST /v1/usage/record (idempotent on requestId; a model without a price is kept
// unpriced, as there). An event that cannot be recorded (nobody it names is a member,
// a malformed count, a time before its model's first price) is counted and logged,
// never dropped in silence; other events are ignored.
//
// This path only records. It cannot authorize: Claude Code asks nobody before a
// request, so a cap is enforced after the fact (the usage past it is recorded, the
// cap events and alerts follow, but nothing stopped the request).
import type { Db } from '../db/client.js';
import { sqlOf } from '../db/sql.js';
import { LedgerError } from '../ledger/errors.js';
import { refuseAtBeforePrices } from '../ledger/metering/prices.js';
import { recordBatcherOf } from '../ledger/metering/record-batch.js';
import { keepUnattributed, membersOfClientUsers, recordAttributed } from '../ledger/metering/unattributed.js';
import { claudeCodeUsageOf, type ClaudeCodeIdentity, type ClaudeCodeUsage, type Rejection } from './claude-code-otlp.js';
import type { OtlpLogsRequest } from './otlp-logs.js';

export interface IngestLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface IngestOutcome {
  /** api_request events counted now. */
  recorded: number;
  /** api_request events recorded before (the same requestId and body): nothing counted again. */
  replayed: number;
  /** api_request events not recorded, with why. */
  rejected: Rejection[];
  /** Log records that are not api_request events. */
  ignored: number;
  /** Events that failed for a reason of ours (the database): the export should be sent again. */
  failed: number;
  /** api_request events that name nobody, kept unattributed until their user.id is claimed. */
  unattributed: number;
}

type Resolved = { memberId: string } | { error: string } | { unattributed: true };

const emailKey = (email: string) => email.toLowerCase();

/**
 * The member each identity names: the member whose stored email is user.email
 * (case-insensitive), else the member whose externalId is user.account_uuid. Active
 * members come first; a member removed since is still found (telemetry arrives late,
 * and the record path bills a removed member's request, which happened while they were
 * one). An email of two members, with no account match: ambiguous.
 */
export async function membersOf(db: Db, orgId: string, identities: ClaudeCodeIdentity[]): Promise<(i: ClaudeCodeIdentity) => Resolved> {
  const byUserId = await membersOfClientUsers(db, orgId, identities.flatMap((i) => (i.userId ? [i.userId] : [])));
  const emails = [...new Set(identities.flatMap((i) => (i.email ? [emailKey(i.email)] : [])))];
  const accounts = [...new Set(identities.flatMap((i) => (i.accountUuid ? [i.accountUuid] : [])))];
  const rows = emails.length || accounts.length
    ? await sqlOf(db).query<{ id: string; email: string | null; externalId: string; removed: boolean }>(
        `SELECT "id", lower("email") AS "email", "externalId", "removedAt" IS NOT NULL AS "removed" FROM "Member"
         WHERE "orgId" = $1 AND (lower("email") = ANY($2::text[]) OR "externalId" = ANY($3::text[]))`,
        [orgId, emails, accounts],
      )
    : [];
  const preferActive = <T extends { removed: boolean }>(found: T[]) => {
    const active = found.filter((r) => !r.removed);
    return active.length ? active : found;
  };
  return (identity) => {
    // Named by nobody: the member who claimed its user.id, else kept unattributed.
    if (!identity.email && !identity.accountUuid) {
      const claimed = identity.userId ? byUserId.get(identity.userId) : undefined;
      return claimed ? { memberId: claimed } : { unattributed: true };
    }
    const byEmail = identity.email ? preferActive(rows.filter((r) => r.email === emailKey(identity.email!))) : [];
    if (byEmail.length === 1) return { memberId: byEmail[0]!.id };
    const byAccount = identity.accountUuid ? rows.find((r) => r.externalId === identity.accountUuid) : undefined;
    if (byAccount) return { memberId: byAccount.id };
    if (byEmail.length > 1) return { error: `user.email '${identity.email}' is the email of ${byEmail.length} members: give each a distinct email, or the account's uuid as externalId` };
    const named = [identity.email && `user.email '${identity.email}'`, identity.accountUuid && `user.account_uuid '${identity.accountUuid}' (as externalId)`].filter(Boolean).join(' or ');
    return { error: `no member matches ${named}` };
  };
}

const rejection = (event: ClaudeCodeUsage, reason: string): Rejection =>
  ({ requestId: event.requestId, reason, identity: event.identity, model: event.model, usage: event.usage, at: event.at });

/** Records the api_request events of one export for the org (the API key's). */
export async function ingestClaudeCodeLogs(db: Db, org: { id: string; slug: string }, request: OtlpLogsRequest, now: Date, log: IngestLog): Promise<IngestOutcome> {
  const mapped = claudeCodeUsageOf(request, now);
  const outcome: IngestOutcome = { recorded: 0, replayed: 0, rejected: [...mapped.rejected], ignored: mapped.ignored, failed: 0, unattributed: 0 };
  const nobody: ClaudeCodeUsage[] = [];
  const memberOf = await membersOf(db, org.id, mapped.usage.map((u) => u.identity));
  const failures: unknown[] = [];

  const recordOne = async (event: ClaudeCodeUsage) => {
    const member = memberOf(event.identity);
    if ('unattributed' in member) {
      nobody.push(event);
      return;
    }
    if ('error' in member) {
      outcome.rejected.push(rejection(event, member.error));
      return;
    }
    try {
      await refuseAtBeforePrices(db, event.model, event.at, now);
      // Group commit, as every API record: concurrent events share one transaction.
      // Claude Code's own telemetry: the product is always claude_code.
      const result = await recordBatcherOf(db).submit({ orgId: org.id, requestId: event.requestId, member: member.memberId, model: event.model, usage: event.usage, at: event.at, product: 'claude_code', ...(event.clientCostNanos !== undefined ? { clientCostNanos: event.clientCostNanos } : {}) }, now);
      if (result.replayed) outcome.replayed++;
      else outcome.recorded++;
      // Kept without a price, as POST /v1/usage/record keeps it: counted once priced.
      if (!result.replayed && result.unpriced) {
        log.warn({ org: org.slug, requestId: event.requestId, model: event.model, family: result.response.family, reason: result.unpriced.reason }, 'usage recorded without a price: add a price (or an alias) for it; it is counted once priced');
      }
    } catch (err) {
      if (err instanceof LedgerError) {
        outcome.rejected.push(rejection(event, err.message));
      } else {
        outcome.failed++;
        failures.push(err);
      }
    }
  };
  await Promise.all(mapped.usage.map(recordOne));
  if (nobody.length) {
    try {
      await keepUnattributed(db, org.id, nobody.map((e) => ({
        requestId: e.requestId, model: e.model, usage: e.usage, at: e.at,
        ...(e.sessionId ? { sessionId: e.sessionId } : {}), ...(e.identity.userId ? { clientUserId: e.identity.userId } : {}),
        ...(e.clientCostNanos !== undefined ? { clientCostNanos: e.clientCostNanos } : {}),
      })), now);
      outcome.unattributed = nobody.length;
      // A user.id claimed while this export was on its way: its events are the member's now.
      const userIds = [...new Set(nobody.flatMap((e) => (e.identity.userId ? [e.identity.userId] : [])))];
      if ((await membersOfClientUsers(db, org.id, userIds)).size) await recordAttributed(db, org.id, userIds, now);
      log.warn(
        { org: org.slug, unattributed: nobody.length, userIds },
        `claude code telemetry: ${nobody.length} api_request event(s) name nobody (no user.email or user.account_uuid): kept unattributed until their user.id is claimed (docs/integrations.md)`,
      );
    } catch (err) {
      outcome.failed += nobody.length;
      failures.push(err);
    }
  }

  if (outcome.rejected.length) {
    log.warn(
      { org: org.slug, rejected: outcome.rejected.length, recorded: outcome.recorded, replayed: outcome.replayed, events: outcome.rejected },
      `claude code telemetry: ${outcome.rejected.length} api_request event(s) not recorded`,
    );
  }
  if (failures.length) {
    log.error({ org: org.slug, failed: failures.length, err: failures[0] }, `claude code telemetry: ${failures.length} api_request event(s) failed; the exporter should send the batch again`);
  }
  return outcome;
}

/** The partial-success message: how many, and the first few distinct reasons. */
export function rejectionMessage(rejected: Rejection[]): string {
  const counts = new Map<string, number>();
  for (const r of rejected) counts.set(r.reason, (counts.get(r.reason) ?? 0) + 1);
  const reasons = [...counts].slice(0, 5).map(([reason, n]) => (n > 1 ? `${n} × ${reason}` : reason));
  const more = counts.size > 5 ? `; and ${counts.size - 5} other reason(s)` : '';
  return `${rejected.length} claude_code.api_request event(s) not recorded: ${reasons.join('; ')}${more}`;
}
