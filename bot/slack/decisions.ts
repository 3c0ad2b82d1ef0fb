// An admin's decision taken in Slack: sent to the request workflow (its Update
// checks the decider's stored role again and applies the decision once), then shown
// in place on the message or Home it came from. Every admin's stored copy is also
// updated by the notifier when the workflow reports the request closed.
import { isOwner } from '../../src/ledger/actors.js';
import type { DecisionInput } from '../../src/domain/requests.js';
import { LedgerError } from '../../src/ledger/errors.js';
import { orgRequest } from '../../src/ledger/requests/requests.js';
import type { RequestView } from '../../src/notify/port.js';
import type { SlackDeps } from './deps.js';
import type { Linked } from './identity.js';
import { alreadyDecided } from './replies.js';
import { publishHome, tell, type WebClient } from './surfaces.js';
import type { Block } from './views/blocks.js';
import { requestBlockId } from './views/ids.js';
import type { MessageRef } from './views/modals.js';
import { replaceRequestBlocks, requestCardBlocks, requestRowBlocks, requestText } from './views/request-card.js';

export interface DecisionOrigin {
  message: MessageRef | null;
  /** The message's blocks when known (a button click, or remembered across a modal). */
  blocks: Block[] | null;
  home: boolean;
}

export const currentRequest = (deps: SlackDeps, orgId: string, requestId: string): Promise<RequestView | null> => orgRequest(deps.db, orgId, requestId);

function refusal(err: LedgerError, current: RequestView | null): string {
  if (err.status === 409 && current && current.status !== 'pending') {
    return `:information_source: ${alreadyDecided(current)}`;
  }
  if (err.status === 403) return `:no_entry: ${nothingChanged(err.message)}`;
  if (err.status === 404) return ':grey_question: This request no longer exists.';
  return `:warning: Could not apply that: ${err.message}`;
}

/** The ledger's message, saying once that nothing changed (some of its messages say it already). */
export const nothingChanged = (message: string) => (/Nothing was changed\.$/.test(message) ? message : `${message}. Nothing was changed.`);

export async function decideFromSlack(deps: SlackDeps, client: WebClient, who: Linked, requestId: string, input: DecisionInput, origin: DecisionOrigin): Promise<RequestView | null> {
  let view: RequestView;
  try {
    view = await deps.requests.decide(who.org.id, requestId, who.member.id, input);
  } catch (err) {
    if (!(err instanceof LedgerError)) throw err;
    const current = await currentRequest(deps, who.org.id, requestId);
    await tell(client, { user: who.slackUserId, channel: origin.message?.channel }, refusal(err, current));
    if (current && current.status !== 'pending') await showInPlace(deps, client, who, current, origin);
    return null;
  }
  await showInPlace(deps, client, who, view, origin);
  return view;
}

/** Updates the message (or Home) the decision came from to show the request's state now. */
export async function showInPlace(deps: SlackDeps, client: WebClient, who: Linked, view: RequestView, origin: DecisionOrigin): Promise<void> {
  if (origin.message) {
    let blocks: Block[] | null = null;
    if (origin.blocks) {
      const isCard = origin.blocks.some((b) => (b as { block_id?: string }).block_id === requestBlockId(view.requestId, 'header'));
      const viewer = { memberId: who.member.id, owner: isOwner(who.member) };
      blocks = replaceRequestBlocks(origin.blocks, view, isCard ? (r) => requestCardBlocks(r, { viewer }) : (r) => requestRowBlocks(r, viewer));
    } else {
      const tracked = await deps.db.chatMessage.findFirst({ where: { channel: 'slack', conversationId: origin.message.channel, messageId: origin.message.ts } });
      if (tracked?.requestId === view.requestId) blocks = requestCardBlocks(view, { reminder: tracked.purpose === 'reminder' });
    }
    if (blocks) await client.chat.update({ channel: origin.message.channel, ts: origin.message.ts, text: requestText(view), blocks });
  }
  if (origin.home) await publishHome(client, deps, who, { tab: 'requests' });
}
