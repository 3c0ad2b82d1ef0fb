// One member's request for more usage, from asking to outcome. The workflow id is
// derived from org + member (`request/<org slug>/<member>`), so there is one open
// request per member. Runs started with our search attributes keep RequestStatus current.
import { allHandlersFinished, ApplicationFailure, condition, isCancellation, log, patched, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { RequestActivities } from '../src/activities/requests.js';
import type { AnthropicActivities } from '../src/activities/anthropic.js';
import type { AnthropicOpening, RaiseOpening } from '../src/ledger/requests/requests.js';
import type { DecidedThere } from '../src/anthropic/increase-requests.js';
import type { CancelReason } from '../src/domain/requests.js';
import { cancelSignal, decidedInClaudeSignal, decideUpdate, openedUpdate, requestStateQuery, untrackSignal, type RequestState } from './messages.js';
import { ORG_SLUG, REQUEST_STATUS } from './search-attributes.js';

export interface ExtraUsageRequestInput {
  orgId: string;
  memberId: string;
  requestedAt: string;
  note: string | null;
  /** Remind admins when nobody decided within this long. */
  remindAfterMs: number;
  /** Close the request as expired after this long (counted from the workflow's start). Not for a request from Claude: it waits for Anthropic's outcome. */
  expireAfterMs: number;
  /**
   * A spend limit increase request of the org's Anthropic organization (workflow id
   * `request/<org slug>/anthropic/<its id>`): decided through Anthropic (increase_limit
   * or deny), or closed when the poll finds it decided in claude.ai.
   */
  anthropic?: AnthropicOpening;
  /** A request to raise the cap that stopped the member: owners decide it with increase_limit (a new monthly limit) or deny. */
  raise?: RaiseOpening;
}

const acts = proxyActivities<RequestActivities & AnthropicActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
// A decision applied in Anthropic: retried with back-off while Anthropic is unreachable
// (429, 5xx), for three minutes, then the admin is told nothing was decided. Each SDK
// call times out after 10 s (no SDK retries), well within an attempt's minute; the
// attempt claims the write in our database first, and a retry finding the claim only
// reads the request there, so it is never approved twice.
const claude = proxyActivities<AnthropicActivities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '3 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});
// Messages about the request are retried for a day (each retry sends only to the
// recipients and channels still missing it), then given up: the request itself stays
// open and decidable (console, App Home, the digest), and the failing channel is
// reported to operators by the channel-health check.
const notices = proxyActivities<RequestActivities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '1 day',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/** A notice's result, or null once its retries are used up (cancellation still goes through). */
async function bestEffort<T>(send: () => Promise<T>): Promise<T | null> {
  try {
    return await send();
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.warn('request notice given up after its retries', { error: (err as Error).message });
    return null;
  }
}

export async function extraUsageRequest(input: ExtraUsageRequestInput): Promise<RequestState> {
  const { workflowId, runId } = workflowInfo();
  const state: RequestState = { requestId: null, orgId: input.orgId, memberId: input.memberId, requestedAt: input.requestedAt, status: 'pending', view: null };
  let deciding = false;
  let cancelled: CancelReason | null = null;
  let decidedInClaude: DecidedThere | null = null;
  // The org disconnected from Claude (a request from Claude only): no longer tracked here.
  let untrack = false;
  const fromClaude = input.anthropic !== undefined;
  // Started without the attributes (a namespace without them, histories from before): nothing to upsert.
  const shown = workflowInfo().typedSearchAttributes.get(ORG_SLUG) !== undefined;
  const setStatus = (status: RequestState['status']) => {
    state.status = status;
    if (shown && patched('request-status-attribute')) upsertSearchAttributes([{ key: REQUEST_STATUS, value: status }]);
  };

  setHandler(requestStateQuery, () => state);
  setHandler(openedUpdate, async () => {
    await condition(() => state.requestId !== null);
    return state.requestId!;
  });
  setHandler(cancelSignal, ({ reason }) => {
    if (state.status === 'pending' && !cancelled) cancelled = reason;
  });
  setHandler(decidedInClaudeSignal, (d) => {
    if (state.status === 'pending' && !decidedInClaude) decidedInClaude = d;
  });
  setHandler(untrackSignal, () => {
    if (state.status === 'pending' && fromClaude) untrack = true;
  });
  setHandler(
    decideUpdate,
    async (args) => {
      deciding = true;
      try {
        // The activity checks the decider's stored role and applies the decision once.
        // A request from Claude: Anthropic applies it (approve / deny, once), then the ledger records it.
        const view = fromClaude ? await claude.decideAnthropicRequest({ requestId: state.requestId!, ...args }) : await acts.decideRequest({ requestId: state.requestId!, ...args });
        setStatus(view.status);
        state.view = view;
        return view;
      } catch (err) {
        // Keep the ledger's verdict (forbidden, conflict, invalid) for the caller.
        const cause = innermost(err);
        throw ApplicationFailure.nonRetryable(cause.message ?? String(err), cause.type ?? 'invalid', ...(cause.details ?? []));
      } finally {
        deciding = false;
      }
    },
    {
      validator: (args) => {
        const refuse = (message: string, type: 'conflict' | 'invalid') => {
          throw ApplicationFailure.nonRetryable(message, type);
        };
        if (state.status !== 'pending') refuse(`this request is already ${state.status}`, 'conflict');
        if (cancelled) refuse('this request was cancelled', 'conflict');
        if (decidedInClaude) refuse(`this request was already ${(decidedInClaude as DecidedThere).status} in claude.ai`, 'conflict');
        if (untrack) refuse('this organisation disconnected from Claude: the request is no longer tracked here; decide it in claude.ai', 'conflict');
        if (deciding) refuse('another admin is deciding this request right now', 'conflict');
        if (!state.requestId) refuse('this request is still being opened; try again in a moment', 'conflict');
        if (!args || typeof args.deciderRef !== 'string' || !args.deciderRef) refuse('deciderRef is required', 'invalid');
        const allowed = fromClaude || input.raise ? ['increase_limit', 'deny'] : ['upgrade_seat', 'enable_extra_usage', 'deny'];
        if (!allowed.includes(args.decision)) {
          refuse(fromClaude ? `a request from Claude is decided with increase_limit or deny, not '${String(args.decision)}'` : input.raise ? `a request to raise a limit is decided with increase_limit or deny, not '${String(args.decision)}'` : `unknown decision '${String(args.decision)}'`, 'invalid');
        }
      },
    },
  );

  state.requestId = await acts.openRequest({ orgId: input.orgId, memberId: input.memberId, workflowId, runId, requestedAt: input.requestedAt, note: input.note, ...(input.anthropic ? { anthropic: input.anthropic } : {}), ...(input.raise ? { raise: input.raise } : {}) });
  const openedId = state.requestId;
  state.view = (await bestEffort(() => notices.notifyRequestOpened(openedId))) ?? state.view;

  // Timers count from the workflow's start on the server's clock, not the caller's.
  const startedAt = workflowInfo().startTime.getTime();
  const settled = () => state.status !== 'pending' || cancelled !== null || decidedInClaude !== null || untrack;
  if (!(await condition(settled, Math.max(1, input.remindAfterMs - (Date.now() - startedAt))))) {
    const remindedId = state.requestId;
    await bestEffort(() => notices.notifyRequestReminder(remindedId));
    const left = input.expireAfterMs - (Date.now() - startedAt);
    // A request from Claude stays open as long as it is pending there.
    if (fromClaude) await condition(settled);
    else if (!(await condition(settled, Math.max(1, left)))) {
      state.view = await acts.closeRequest({ requestId: state.requestId, status: 'expired', reason: null });
      setStatus(state.view.status);
    }
  }
  // The org disconnected: once no decision of ours is under way, no longer tracked here,
  // unless it is connected again by now (then it waits on, as before).
  while (untrack && state.status === 'pending' && !decidedInClaude && !cancelled) {
    await condition(() => !deciding);
    untrack = false;
    if (state.status !== 'pending') break;
    state.view = await acts.untrackRequest(state.requestId);
    setStatus(state.view.status);
    if (state.status === 'pending') await condition(settled);
  }
  // Decided in claude.ai or cancelled: once no decision of ours is under way (Anthropic may
  // be applying it), record the outcome. The cancel's wait is patched in for histories before it.
  if (decidedInClaude || (cancelled && patched('cancel-waits-for-decision'))) await condition(() => !deciding);
  if (state.status === 'pending' && decidedInClaude) {
    state.view = await acts.closeDecidedInClaude(decidedInClaude);
    setStatus(state.view.status);
  }
  if (state.status === 'pending' && cancelled) {
    state.view = await acts.closeRequest({ requestId: state.requestId, status: 'cancelled', reason: cancelled });
    setStatus(state.view.status);
  }
  await condition(allHandlersFinished);
  const closedId = state.requestId;
  await bestEffort(() => notices.notifyRequestClosed(closedId));
  return state;
}

function innermost(err: unknown): { message?: string; type?: string; details?: unknown[] } {
  let e = err as { message?: string; type?: string; details?: unknown[]; cause?: unknown } | undefined;
  while (e?.cause) e = e.cause as typeof e;
  return e ?? {};
}
