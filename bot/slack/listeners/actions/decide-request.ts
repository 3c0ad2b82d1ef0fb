// An admin's buttons on a request (its own message, a digest page or the Home):
// "Upgrade to premium" decides at once; "Enable extra usage" and "Deny" open a modal.
// The clicking user's stored role is checked first: a member is refused and nothing
// changes (the workflow checks it again when deciding).
import { isAdmin } from '../../../../src/ledger/actors.js';
import { originOf, type ButtonArgs, type RecentMessages } from '../../clicks.js';
import { currentRequest, decideFromSlack, showInPlace, type DecisionOrigin } from '../../decisions.js';
import type { SlackDeps } from '../../deps.js';
import { identify, idsOf, type Linked } from '../../identity.js';
import { adminsOnly, replyNotLinked, replyRefused } from '../../replies.js';
import { denyModal, enableExtraUsageModal } from '../../views/modals.js';

/** The admin behind a click, or null after telling them why not. */
async function deciderOf(deps: SlackDeps, args: ButtonArgs): Promise<Linked | null> {
  const { body, client, context } = args;
  const origin = originOf(body);
  const who = await identify(deps, idsOf(context, body, body.user.id));
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

export const upgradeSeat = (deps: SlackDeps) => async (args: ButtonArgs) => {
  await args.ack();
  const who = await deciderOf(deps, args);
  if (!who) return;
  await decideFromSlack(deps, args.client, who, args.action.value ?? '', { decision: 'upgrade_seat' }, decisionOrigin(args));
};

/** Opens the modal for "Enable extra usage" or "Deny" (within the trigger's 3 seconds). */
export const openDecisionModal = (deps: SlackDeps, recent: RecentMessages, kind: 'enable' | 'deny') => async (args: ButtonArgs) => {
  await args.ack();
  const who = await deciderOf(deps, args);
  if (!who) return;
  const origin = decisionOrigin(args);
  const request = await currentRequest(deps, who.org.id, args.action.value ?? '');
  if (!request) return replyRefused(args.client, deps, who, originOf(args.body), 'This request no longer exists.');
  if (request.status !== 'pending') {
    await showInPlace(deps, args.client, who, request, origin);
    return replyRefused(args.client, deps, who, originOf(args.body), `This request is already ${request.status}${request.decidedBy ? ` by ${request.decidedBy.name}` : ''}.`);
  }
  if (origin.message && origin.blocks) recent.remember(origin.message, origin.blocks, '');
  const from = { message: origin.message, home: origin.home };
  await args.client.views.open({ trigger_id: args.body.trigger_id, view: kind === 'enable' ? enableExtraUsageModal(request, from) : denyModal(request, from) });
};
