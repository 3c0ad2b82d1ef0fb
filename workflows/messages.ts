// Updates, signals and queries of the workflows, shared by workflow code and clients.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CancelReason, DecisionInput } from '../src/domain/requests.js';
import type { RequestView } from '../src/notify/port.js';
import type { DecidedThere } from '../src/anthropic/increase-requests.js';

export interface DecideArgs extends DecisionInput {
  /** Member id or external id of the admin deciding; their stored role is checked. */
  deciderRef: string;
  /** How the decider proved who they are, for the audit log (e.g. "api_key:<id>" when a back end acts for them). */
  via?: string;
}

export interface RequestState {
  requestId: string | null;
  orgId: string;
  memberId: string;
  requestedAt: string;
  status: RequestView['status'];
  view: RequestView | null;
}

/** An admin decides; the result (or the refusal) comes back to the caller at once. */
export const decideUpdate = defineUpdate<RequestView, [DecideArgs]>('decide');
/** Answers with the request's ledger id once the row exists: a caller can decide on it at once. */
export const openedUpdate = defineUpdate<string>('opened');
export const cancelSignal = defineSignal<[{ reason: CancelReason }]>('cancel');
export const requestStateQuery = defineQuery<RequestState>('state');
/** A request from Claude was decided directly in claude.ai (found by the poll): close it as Anthropic has it. */
export const decidedInClaudeSignal = defineSignal<[DecidedThere]>('decidedInClaude');
/** The org disconnected from Claude: a request from Claude still pending here is no longer tracked (decided in claude.ai). */
export const untrackSignal = defineSignal('untrack');
