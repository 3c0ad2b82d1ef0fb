// An admin's buttons on a request (its own message, a digest page or the Home):
// "Upgrade to premium" decides at once; "Enable extra usage" and "Deny" open a modal.
// The clicking user's stored role is checked first: a member is refused and nothing
// changes; so is the requester on their own request (the workflow checks both again
// when deciding).
import { isAdmin } from '../../../../src/ledger/actors.js';
import { originOf, type ButtonArgs, type RecentMessages } from '../../clicks.js';
import { currentRequest, decideFromSlack, showInPlace, type DecisionOrigin } from '../../decisions.js';
import type { SlackDeps } from '../../deps.js';
import { identify, idsOf, type Linked } from '../../identity.js';
import { adminsOnly, alreadyDecided, ownRequest, replyInfo, replyNotLinked, replyRefused } from '../../replies.js';
import { denyModal, enableExtraUsageModal, increaseLimitModal } from '../../views/modals.js';

/** The admin behind a click, or null after telling them why not. */
async function deciderOf(deps: SlackDeps, args: ButtonArgs): Promise<Linked | null> {
  const { body, client, context } = args;
  const origin = originOf(body);
  const who = await identify(deps, idsOf(context, body, body.user.id), client);
  if (who.kind !== 'member') {
    await replyNotLinked(client, deps, who, origin);
    return null;
  }
  if (!isAdmin(who.member)) {
    await replyRefused(client, deps, who, origin, adminsOnly(who.org.name));
    return null;
  }
  return who;
}

function decisionOrigin(args: ButtonArgs): DecisionOrigin {
  const origin = originOf(args.body);
  return origin.kind === 'message'
    ? { message: origin.ref, blocks: origin.blocks, home: false }
    : { message: null, blocks: null, home: origin.kind === 'home' };
}

/** True (after saying so) when the clicking admin asked for this request themself. */
async function refusedAsRequester(deps: SlackDeps, args: ButtonArgs, who: Linked, requester: { memberId: string } | undefined): Promise<boolean> {
  if (requester?.memberId !== who.member.id) return false;
  await replyRefused(args.client, deps, who, originOf(args.body), ownRequest);
  return true;
}

export const upgradeSeat = (deps: SlackDeps) => async (args: ButtonArgs) => {
  await args.ack();
  const who = await deciderOf(deps, args);
  if (!who) return;
  const requestId = args.action.value ?? '';
  if (await refusedAsRequester(deps, args, who, (await currentRequest(deps, who.org.id, requestId))?.requester)) return;
  await decideFromSlack(deps, args.client, who, requestId, { decision: 'upgrade_seat' }, decisionOrigin(args));
};

/** Opens the modal for "Enable extra usage", "Increase limit" (a request from Claude) or "Deny" (within the trigger's 3 seconds). */
export const openDecisionModal = (deps: SlackDeps, recent: RecentMessages, kind: 'enable' | 'deny' | 'increase') => async (args: ButtonArgs) => {
  await args.ack();
  const who = await deciderOf(deps, args);
  if (!who) return;
  const origin = decisionOrigin(args);
  const request = await currentRequest(deps, who.org.id, args.action.value ?? '');
  if (!request) return replyRefused(args.client, deps, who, originOf(args.body), 'This request no longer exists.');
  if (await refusedAsRequester(deps, args, who, request.requester)) return;
  if (request.status !== 'pending') {
    await showInPlace(deps, args.client, who, request, origin);
    return replyInfo(args.client, deps, who, originOf(args.body), alreadyDecided(request));
  }
  if (origin.message && origin.blocks) recent.remember(origin.message, origin.blocks, '');
  const from = { message: origin.message, home: origin.home };
  const view = kind === 'enable' ? enableExtraUsageModal(request, from) : kind === 'increase' && (request.anthropic || request.raise) ? increaseLimitModal(request, from) : denyModal(request, from);
  await args.client.views.open({ trigger_id: args.body.trigger_id, view });
};
