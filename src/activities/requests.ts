// Activities of the extra-usage request workflow. Each is safe to retry: opening is
// keyed by the workflow run, applying a decision happens once, closing is a no-op
// when already closed.
import { ApplicationFailure } from '@temporalio/activity';
import { LedgerError } from '../ledger/errors.js';
import { adminsOf } from '../ledger/settings/people.js';
import { applyDecision, closeRequest, openRequest, requestView, untrackRequest, type AnthropicOpening, type DecideInput, type RaiseOpening } from '../ledger/requests/requests.js';
import { applyRaise } from '../ledger/requests/limit-raise.js';
import { isOwner } from '../ledger/actors.js';
import type { RequestView } from '../notify/port.js';
import type { ActivityDeps } from './deps.js';

/** A refusal from the ledger (forbidden, conflict, invalid) will not change on retry. */
async function noRetryOnRefusal<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    // The field at fault goes along, so the API can name it.
    if (err instanceof LedgerError) throw ApplicationFailure.nonRetryable(err.message, err.code, ...(err.field ? [err.field] : []));
    throw err;
  }
}

/**
 * Who gets the decision actions: every admin and owner but the requester (nobody decides
 * their own request); a request to raise a limit, owners only (only owners change caps).
 */
async function decidersOf(db: ActivityDeps['db'], view: RequestView) {
  return (await adminsOf(db, view.orgId)).filter((a) => a.memberId !== view.requester.memberId && (!view.raise || isOwner(a)));
}

/**
 * A request from Claude picked up again after a reconnect runs under another workflow id
 * (`…/tracked-<n>`): its notices are new ones, not the first tracking's delivered again.
 */
const trackingOf = (view: RequestView) => (view.anthropic && /\/tracked-\d+$/.test(view.workflowId) ? `:${view.workflowId}` : '');

export function requestActivities(deps: ActivityDeps) {
  const { db, notifier } = deps;
  return {
    async openRequest(input: { orgId: string; memberId: string; workflowId: string; runId: string; requestedAt: string; note: string | null; anthropic?: AnthropicOpening; raise?: RaiseOpening }): Promise<string> {
      return openRequest(db, { ...input, requestedAt: new Date(input.requestedAt) });
    },
    async notifyRequestOpened(requestId: string): Promise<RequestView> {
      const view = await requestView(db, requestId);
      await notifier.requestOpened(view, await decidersOf(db, view), { deliveryKey: `request-opened:${requestId}${trackingOf(view)}` });
      return view;
    },
    async notifyRequestReminder(requestId: string): Promise<void> {
      const view = await requestView(db, requestId);
      if (view.status === 'pending') await notifier.requestReminder(view, await decidersOf(db, view), { deliveryKey: `request-reminder:${requestId}` });
    },
    async decideRequest(input: DecideInput): Promise<RequestView> {
      const raise = (await db.extraUsageRequest.findUnique({ where: { id: input.requestId }, select: { raiseScope: true } }))?.raiseScope;
      return noRetryOnRefusal(() => (raise ? applyRaise(db, input, deps.now()) : applyDecision(db, input, deps.now())));
    },
    /** The org disconnected from Claude: no longer tracked here (left pending if connected again by now). */
    async untrackRequest(requestId: string): Promise<RequestView> {
      return untrackRequest(db, requestId);
    },
    async closeRequest(input: { requestId: string; status: 'expired' | 'cancelled'; reason: string | null }): Promise<RequestView> {
      return closeRequest(db, input.requestId, input.status, input.reason);
    },
    async notifyRequestClosed(requestId: string): Promise<void> {
      const view = await requestView(db, requestId);
      // No longer tracked, then picked up again and closed: each close is its own notice.
      await notifier.requestClosed(view, await decidersOf(db, view), { deliveryKey: view.status === 'untracked' ? `request-untracked:${requestId}:${view.workflowId}` : `request-closed:${requestId}${trackingOf(view)}` });
    },
  };
}

export type RequestActivities = ReturnType<typeof requestActivities>;
