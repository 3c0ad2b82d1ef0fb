// The application service for extra-usage requests, used by the API and the chat
// apps: start (one open request per member), decide (a workflow Update that answers
// synchronously), list, and cancel.
import { closedRequestWords } from '../domain/requests.js';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { Db } from '../db/client.js';
import { conflict, LedgerError, notFound } from '../ledger/errors.js';
import { requireActiveMember } from '../ledger/settings/members.js';
import { requestView } from '../ledger/requests/requests.js';
import type { RequestView } from '../notify/port.js';
import { DEFAULT_COOLDOWN_AFTER_DENIAL_MS, RAISE_MOOT_REASONS, type CancelReason, type DecisionInput, type RaiseMootReason } from '../domain/requests.js';

export { DEFAULT_COOLDOWN_AFTER_DENIAL_MS };
import { requireMayAsk } from '../ledger/requests/request-eligibility.js';
import { raiseOpening } from '../ledger/requests/limit-raise.js';
import { untrackSignal, cancelSignal, decideUpdate, openedUpdate, requestStateQuery } from '../../workflows/messages.js';
import type { ExtraUsageRequestInput } from '../../workflows/extra-usage-request.js';
import { orgAttributes, visibility } from '../temporal/search-attributes.js';

export interface RequestTimings {
  remindAfterMs: number;
  expireAfterMs: number;
  /** After a denial the member waits this long before asking again (default 24 h). */
  cooldownAfterDenialMs?: number;
}


export interface RequestServiceDeps {
  db: Db;
  client: Client;
  taskQueue: string;
  timings: RequestTimings;
  now: () => Date;
}

/**
 * One id per member (the org's slug and the member's external id, both immutable), so
 * while a request runs a second start is refused, and an operator can find it by name.
 * Requests opened before this id scheme keep theirs (`extra-usage-request/<org id>/<member id>`):
 * the ledger row stores each request's workflow id, and that is what is signalled.
 */
export const requestWorkflowId = (orgSlug: string, memberExternalId: string) => `request/${orgSlug}/${memberExternalId}`;

export interface AskResult {
  workflowId: string;
  /** True when the member already had an open request and no new one was made. */
  alreadyOpen: boolean;
  /** The request as the ledger holds it: its id can be decided on at once. */
  request: RequestView;
}

export function requestService(deps: RequestServiceDeps) {
  const { db, client } = deps;

  async function ask(orgId: string, memberRef: string, note: string | null = null): Promise<AskResult> {
    const member = await requireActiveMember(db, orgId, memberRef);
    await requireMayAsk(db, orgId, member, deps.now(), deps.timings.cooldownAfterDenialMs ?? DEFAULT_COOLDOWN_AFTER_DENIAL_MS);
    const org = await db.organization.findUniqueOrThrow({ where: { id: orgId }, select: { slug: true, name: true } });
    const workflowId = requestWorkflowId(org.slug, member.externalId);
    // A request still open under an earlier id scheme is the member's open request.
    const legacy = await openRequestRow(orgId, member.id);
    if (legacy && legacy.workflowId !== workflowId) return { workflowId: legacy.workflowId, alreadyOpen: true, request: await requestView(db, legacy.id) };
    const input: ExtraUsageRequestInput = {
      orgId,
      memberId: member.id,
      requestedAt: deps.now().toISOString(),
      note,
      remindAfterMs: deps.timings.remindAfterMs,
      expireAfterMs: deps.timings.expireAfterMs,
    };
    const alreadyOpen = (await startRun(workflowId, input, { org, member }, `Extra usage request: ${member.name} (${member.externalId}), ${org.slug}`)) === 'open';
    // Waits for the ledger row, so the caller never sees a request "still being opened".
    const requestId = await client.workflow.getHandle(workflowId).executeUpdate(openedUpdate);
    return { workflowId, alreadyOpen, request: await requestView(db, requestId) };
  }

  /**
   * Starts the member's request run, whose id is the member's: while one runs, a second
   * start is refused. A pending run (or one still opening) is the member's open request
   * ('open'); a decided one is only telling people the outcome: once it ends, start anew.
   */
  async function startRun(workflowId: string, input: ExtraUsageRequestInput, who: { org: { slug: string; name: string }; member: { name: string; externalId: string } }, summary: string): Promise<'started' | 'open'> {
    for (let attempt = 0; ; attempt++) {
      try {
        await client.workflow.start('extraUsageRequest', {
          taskQueue: deps.taskQueue,
          workflowId,
          args: [input],
          workflowIdConflictPolicy: 'FAIL',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE',
          memo: { org: who.org.name, member: who.member.name },
          ...visibility(client, orgAttributes(who.org.slug, { member: who.member.externalId, requestStatus: 'pending' }), summary),
        });
        return 'started';
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
      const running = client.workflow.getHandle(workflowId);
      const state = await running.query(requestStateQuery).catch(() => null);
      if (state === null || state.status === 'pending' || attempt >= 2) return 'open';
      await running.result().catch(() => undefined);
    }
  }

  /**
   * "Ask to raise my limit": a member stopped by a cap asks owners for a higher one,
   * through the same workflow (one open request per member: a second is a 409). The
   * ledger's refusals come before anything starts: nothing stored, nobody pinged.
   */
  async function askRaise(orgId: string, memberRef: string, opts: { note?: string | null; amount?: string | null } = {}): Promise<AskResult> {
    const member = await requireActiveMember(db, orgId, memberRef);
    const raise = await raiseOpening(db, orgId, member, deps.now(), deps.timings.cooldownAfterDenialMs ?? DEFAULT_COOLDOWN_AFTER_DENIAL_MS, opts.amount ?? null);
    const org = await db.organization.findUniqueOrThrow({ where: { id: orgId }, select: { slug: true, name: true } });
    const workflowId = requestWorkflowId(org.slug, member.externalId);
    const input: ExtraUsageRequestInput = {
      orgId,
      memberId: member.id,
      requestedAt: deps.now().toISOString(),
      note: opts.note ?? null,
      remindAfterMs: deps.timings.remindAfterMs,
      expireAfterMs: deps.timings.expireAfterMs,
      raise,
    };
    if ((await startRun(workflowId, input, { org, member }, `Limit raise request: ${member.name} (${member.externalId}), ${org.slug}`)) === 'open') {
      throw conflict('No request was sent: you already have an open request; one open request at a time.');
    }
    const requestId = await client.workflow.getHandle(workflowId).executeUpdate(openedUpdate);
    return { workflowId, alreadyOpen: false, request: await requestView(db, requestId) };
  }

  async function decide(orgId: string, requestId: string, deciderRef: string, decision: DecisionInput & { via?: string }): Promise<RequestView> {
    const view = await requestView(db, requestId);
    if (view.orgId !== orgId) throw notFound(`request '${requestId}'`, 'requestId');
    if (view.status !== 'pending') throw conflict(closedRequestWords(view).replace(/^This/, 'this').replace(/\. Nothing (else )?was changed( here)?\.$/, ''));
    const handle = client.workflow.getHandle(view.workflowId);
    try {
      return await handle.executeUpdate(decideUpdate, { args: [{ deciderRef, ...decision }] });
    } catch (err) {
      throw asLedgerError(err);
    }
  }

  /** The member's pending request in the ledger, with the workflow id it was opened under. */
  function openRequestRow(orgId: string, memberId: string) {
    return db.extraUsageRequest.findFirst({ where: { orgId, memberId, status: 'pending' }, select: { id: true, workflowId: true } });
  }

  async function signalCancel(workflowId: string, reason: CancelReason): Promise<boolean> {
    try {
      await client.workflow.getHandle(workflowId).signal(cancelSignal, { reason });
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false; // no open request: nothing to cancel
      throw err;
    }
  }

  /**
   * Cancels the member's open requests: all of them when they leave; on extra usage turned
   * on here, only ours (a request from Claude is about Anthropic's limits, unrelated to our ledger's extra usage).
   */
  async function cancel(orgId: string, memberId: string, reason: CancelReason): Promise<boolean> {
    // A raise made moot closes only a request to raise a limit (one stored already: the change came after it).
    const raiseMoot = RAISE_MOOT_REASONS.includes(reason as RaiseMootReason);
    const open = await db.extraUsageRequest.findMany({
      where: { orgId, memberId, status: 'pending', ...(reason === 'extra_usage_enabled' ? { anthropicRequestId: null } : {}), ...(raiseMoot ? { raiseScope: { not: null } } : {}) },
      select: { workflowId: true, anthropicRequestId: true },
    });
    let cancelled = false;
    for (const r of open) cancelled = (await signalCancel(r.workflowId, reason)) || cancelled;
    if (raiseMoot) return cancelled;
    // A request of ours still opening has no row yet: its workflow id is the member's.
    if (!open.some((r) => r.anthropicRequestId === null)) {
      const member = await db.member.findFirst({ where: { id: memberId, orgId }, select: { externalId: true, org: { select: { slug: true } } } });
      if (member) cancelled = (await signalCancel(requestWorkflowId(member.org.slug, member.externalId), reason)) || cancelled;
    }
    return cancelled;
  }

  /** The org disconnected from Claude: each of its requests from Claude pending here is told it is no longer tracked. */
  async function untrackAnthropic(orgId: string): Promise<number> {
    const open = await db.extraUsageRequest.findMany({ where: { orgId, status: 'pending', anthropicRequestId: { not: null } }, select: { workflowId: true } });
    let told = 0;
    for (const r of open) {
      try {
        await client.workflow.getHandle(r.workflowId).signal(untrackSignal);
        told++;
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err; // closed meanwhile: nothing to untrack
      }
    }
    return told;
  }

  return { ask, askRaise, decide, cancel, untrackAnthropic };
}

export type RequestService = ReturnType<typeof requestService>;

const STATUS_OF: Record<string, LedgerError['status']> = { forbidden: 403, conflict: 409, invalid: 422, not_found: 404 };

/** Turns a refused Update (validator or activity) into the 4xx the ledger would have raised. */
function asLedgerError(err: unknown): unknown {
  if (!(err instanceof WorkflowUpdateFailedError)) return err;
  let cause = err.cause as { message?: string; type?: string; details?: unknown[]; cause?: unknown } | undefined;
  while (cause?.cause) cause = cause.cause as typeof cause;
  const type = cause?.type ?? 'invalid';
  // The ledger's field when it named one (an activity's refusal), else the decision itself.
  const field = typeof cause?.details?.[0] === 'string' ? (cause.details[0] as string) : type === 'invalid' ? 'decision' : undefined;
  return new LedgerError(STATUS_OF[type] ?? 422, type, cause?.message ?? err.message, field);
}
