// Activities of connected orgs (docs/claude.md): the poll (users mirrored, pending
// increase requests found, requests decided in claude.ai found), and a decision taken
// here applied in Anthropic exactly once. `approve` / `deny` are sent only after a read
// shows the request still pending there, with the SDK's own retries off: a retried
// activity (a crash, a lost answer) reads "approved" and only records it.
import { ApplicationFailure } from '@temporalio/activity';
import { clientForOrg, recordPoll, type AnthropicDeps } from '../anthropic/connection.js';
import { anthropicFault } from '../anthropic/errors.js';
import { pollIncreaseRequests, type DecidedThere, type GoneThere, type PendingToOpen } from '../anthropic/increase-requests.js';
import { listAllUsers, mirrorMembers, type MemberSyncResult } from '../anthropic/members.js';
import { syncEffectiveLimits } from '../anthropic/effective-limits.js';
import { anthropicDecisionProblem } from '../domain/requests.js';
import { parseUsd } from '../domain/money.js';
import { nanosToWholeMinor } from '../domain/minor-units.js';
import { LedgerError, conflict, forbidden, invalid, notFound } from '../ledger/errors.js';
import { recordAnthropicDecision, recordDecidedInClaude } from '../ledger/requests/anthropic-decisions.js';
import { claimAnthropicDecision, claimedDecision, markAnthropicDecisionSent, releaseAnthropicDecision } from '../ledger/requests/anthropic-claims.js';
import { requestView, requireDecider, type DecideInput } from '../ledger/requests/requests.js';
import type { RequestView } from '../notify/port.js';
import type { ActivityDeps } from './deps.js';
import { SecretBoxError } from '../secrets/secret-box.js';

/** Each SDK call of a decision (retrieve, approve / deny): well under the activity's start-to-close (workflows/extra-usage-request.ts). */
export const DECISION_CALL_TIMEOUT_MS = 10_000;

export interface PollResult {
  orgSlug: string;
  members: MemberSyncResult;
  open: PendingToOpen[];
  decided: DecidedThere[];
  /** Pending here, gone at Anthropic (404): their workflows are cancelled. Absent in results recorded before. */
  gone?: GoneThere[];
  /** Effective-limit rows stored, when the report was due and read; null otherwise. */
  limits: number | null;
}

/** A refusal (ours or Anthropic's) will not change on retry; Anthropic unreachable, 429 or 5xx may. */
function asActivityFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof LedgerError) return ApplicationFailure.nonRetryable(err.message, err.code);
  const fault = anthropicFault(err);
  if (!fault) return err;
  if (fault.transient) return ApplicationFailure.retryable(fault.message, `anthropic_${fault.kind}`);
  return ApplicationFailure.nonRetryable(`${fault.message}. Nothing was changed.`, fault.kind === 'no_permission' || fault.kind === 'key_refused' ? 'forbidden' : 'conflict');
}

/** approve takes the new limit in the org's billing currency's minor units: only cents of a US dollar are ours to write. */
function notUsd(currency: string): LedgerError {
  return conflict(`this organization is billed in ${currency} at Anthropic and amounts here are US dollars, so the new limit cannot be written from here: decide it in claude.ai. Nothing was changed.`);
}

function anthropicOf(deps: ActivityDeps): AnthropicDeps {
  if (!deps.anthropic) throw ApplicationFailure.nonRetryable('SECRETS_KEY is not set: the Anthropic key cannot be opened (docs/claude.md)', 'unavailable');
  return deps.anthropic;
}

export function anthropicActivities(deps: ActivityDeps) {
  const { db } = deps;
  return {
    /** One poll of a connected org; null when it is no longer connected. */
    async pollAnthropic(input: { orgId: string; limitsEverySeconds?: number }): Promise<PollResult | null> {
      const org = await db.organization.findUnique({ where: { id: input.orgId }, select: { slug: true, anthropic: { select: { limitsSyncedAt: true } } } });
      if (!org) return null;
      if (!deps.anthropic) {
        // A worker without SECRETS_KEY: said on the connection (and /health), not retried.
        const message = 'SECRETS_KEY is not set on the worker: the Anthropic key cannot be opened (docs/claude.md)';
        await recordPoll(db, input.orgId, deps.now(), message);
        throw ApplicationFailure.nonRetryable(message, 'unavailable');
      }
      let client: Awaited<ReturnType<typeof clientForOrg>>;
      try {
        client = await clientForOrg(db, deps.anthropic, input.orgId);
      } catch (err) {
        // SECRETS_KEY changed since the key was stored: no retry can help; the operator connects again.
        if (!(err instanceof SecretBoxError)) throw err;
        await recordPoll(db, input.orgId, deps.now(), `${err.message}: connect the org again`);
        throw ApplicationFailure.nonRetryable(err.message, 'unavailable');
      }
      if (!client) return null;
      try {
        const members = await mirrorMembers(db, input.orgId, await listAllUsers(client), deps.now());
        const { open, decided, gone } = await pollIncreaseRequests(db, client, input.orgId);
        // The effective-limits report is read less often (ANTHROPIC_LIMITS_POLL_SECONDS).
        const last = org.anthropic?.limitsSyncedAt?.getTime() ?? 0;
        const due = input.limitsEverySeconds !== undefined && deps.now().getTime() - last >= input.limitsEverySeconds * 1000;
        const limits = due ? await syncEffectiveLimits(db, client, input.orgId, deps.now()) : null;
        await recordPoll(db, input.orgId, deps.now(), null);
        return { orgSlug: org.slug, members, open, decided, gone, limits };
      } catch (err) {
        const fault = anthropicFault(err);
        await recordPoll(db, input.orgId, deps.now(), fault?.message ?? (err as Error).message);
        throw asActivityFailure(err);
      }
    },

    /** An admin's decision on a request from Claude: applied in Anthropic once, then recorded. */
    async decideAnthropicRequest(input: DecideInput): Promise<RequestView> {
      try {
        const row = await db.extraUsageRequest.findUnique({ where: { id: input.requestId } });
        if (!row || !row.anthropicRequestId) throw notFound(`request '${input.requestId}'`, 'requestId');
        const decider = await requireDecider(db, row.orgId, input.deciderRef);
        if (decider.id === row.memberId) throw forbidden('Nobody decides their own request: another admin or an owner must. Nothing was changed.');
        if (row.status !== 'pending' && row.decision === input.decision && row.decidedById === decider.id) return await requestView(db, row.id); // recorded by an earlier attempt
        const summary = row.anthropicSummary as { limit?: string | null; currency?: string } | null;
        if (input.decision === 'increase_limit' && summary?.currency && summary.currency !== 'USD') throw notUsd(summary.currency);
        const problem = anthropicDecisionProblem(row.status, input, row.limitPeriod ? { period: row.limitPeriod, limit: summary?.limit ?? null } : null);
        if (problem) throw invalid('decision', problem);
        const amountNanos = input.decision === 'increase_limit' ? parseUsd(input.amount!, 2)! : null;
        const amount = amountNanos === null ? null : nanosToWholeMinor(amountNanos);
        if (input.decision === 'increase_limit' && amount === null) throw invalid('amount', 'amount must be whole cents');

        // SDK calls time out well within the activity's start-to-close, with no SDK retries.
        const client = await clientForOrg(db, { ...anthropicOf(deps), timeoutMs: DECISION_CALL_TIMEOUT_MS }, row.orgId, 0);
        if (!client) throw conflict('this organisation is no longer connected to Claude: decide the request in claude.ai');
        const requests = client.organization.spendLimits.increaseRequests;
        const target = input.decision === 'deny' ? 'denied' : 'approved';
        if (await claimAnthropicDecision(db, row.id, input.decision, deps.now())) {
          let sent = false;
          try {
            const there = await requests.retrieve(row.anthropicRequestId);
            const currency = there.spend_summary?.currency;
            if (input.decision === 'increase_limit' && currency && currency !== 'USD') throw notUsd(currency);
            if (there.status === 'pending') {
              // The one write. Its answer lost (crash, timeout)? The claim stays: a retry only reads.
              await markAnthropicDecisionSent(db, row.id, deps.now());
              sent = true;
              if (input.decision === 'increase_limit') await requests.approve(row.anthropicRequestId, { amount: amount!, period: input.period! });
              else await requests.deny(row.anthropicRequestId, {});
            } else if (there.status !== target) {
              throw conflict(`this request was already ${there.status} in claude.ai. Nothing was changed.`);
            }
          } catch (err) {
            // Free the claim when nothing can have been applied: not sent, or Anthropic answered with a refusal (4xx).
            const status = (err as { status?: number }).status;
            if (!sent || (status !== undefined && status >= 400 && status < 500)) await releaseAnthropicDecision(db, row.id);
            throw err;
          }
        } else {
          // Another attempt holds the claim (and may have sent the write): read, never write.
          if ((await claimedDecision(db, row.id)) !== input.decision) throw conflict('another decision on this request is being applied at Anthropic. Nothing was changed.');
          const there = await requests.retrieve(row.anthropicRequestId);
          if (there.status === 'pending') throw ApplicationFailure.retryable('a decision on this request is still being applied at Anthropic; it is read again', 'anthropic_in_flight');
          if (there.status !== target) throw conflict(`this request was already ${there.status} in claude.ai. Nothing was changed.`);
        }
        await recordAnthropicDecision(db, { requestId: row.id, decider, via: input.via, decision: input.decision as 'increase_limit' | 'deny', amountNanos, period: input.period ?? null, reason: input.reason ?? null }, deps.now());
        return await requestView(db, row.id);
      } catch (err) {
        throw asActivityFailure(err);
      }
    },

    /** A request decided directly in claude.ai: closed here as Anthropic has it. */
    async closeDecidedInClaude(d: DecidedThere): Promise<RequestView> {
      const decider = d.resolvedBy.userId
        ? await db.extraUsageRequest.findUniqueOrThrow({ where: { id: d.requestId }, select: { orgId: true } }).then(({ orgId }) => db.member.findFirst({ where: { orgId, anthropicUserId: d.resolvedBy.userId } }))
        : null;
      await recordDecidedInClaude(db, { requestId: d.requestId, status: d.status, deciderId: decider?.id ?? null, deciderLabel: d.resolvedBy.label, at: new Date(d.resolvedAt) });
      return requestView(db, d.requestId);
    },
  };
}

export type AnthropicActivities = ReturnType<typeof anthropicActivities>;
