// Replies to a click from someone we cannot act for: not linked, or whose stored
// role does not allow it. Nothing is changed in either case.
import { closedRequestWords } from '../../src/domain/requests.js';
import type { SlackDeps } from './deps.js';
import type { Who } from './identity.js';
import type { Origin } from './clicks.js';
import { notLinkedMessage, publishHome, tell, type WebClient } from './surfaces.js';
import { doneModal } from './views/modals.js';

export async function replyNotLinked(client: WebClient, deps: SlackDeps, who: Exclude<Who, { kind: 'member' }>, origin: Origin): Promise<void> {
  if (origin.kind === 'home') return publishHome(client, deps, who);
  if (origin.kind === 'modal') {
    await client.views.update({ view_id: origin.viewId, view: doneModal('Not linked', notLinkedMessage(who).text) });
    return;
  }
  const m = notLinkedMessage(who);
  await tell(client, { user: who.slackUserId, channel: origin.kind === 'message' ? origin.ref.channel : undefined }, m.text, m.blocks);
}

export async function replyRefused(client: WebClient, deps: SlackDeps, who: Extract<Who, { kind: 'member' }>, origin: Origin, text: string): Promise<void> {
  await reply(client, deps, who, origin, `:no_entry: ${text}`, 'Not allowed');
}

/**
 * Information, not a refusal: a harmless click that came too late (a request another
 * admin already decided). Said the same way from a message, the Home or a modal.
 */
export async function replyInfo(client: WebClient, deps: SlackDeps, who: Extract<Who, { kind: 'member' }>, origin: Origin, text: string): Promise<void> {
  await reply(client, deps, who, origin, `:information_source: ${text}`, 'Already done');
}

async function reply(client: WebClient, deps: SlackDeps, who: Extract<Who, { kind: 'member' }>, origin: Origin, text: string, modalTitle: string): Promise<void> {
  if (origin.kind === 'home') return publishHome(client, deps, who, { notice: text });
  if (origin.kind === 'modal') {
    await client.views.update({ view_id: origin.viewId, view: doneModal(modalTitle, text) });
    return;
  }
  await tell(client, { user: who.slackUserId, channel: origin.kind === 'message' ? origin.ref.channel : undefined }, text);
}

/** "This request is already approved by Adam Admin. Nothing else was changed.": the one wording of a stale click. */
export const alreadyDecided = closedRequestWords;

export const ownersOnly = (orgName: string) => `Only owners of ${orgName} can change usage settings. Nothing was changed.`;
export const adminsOnly = (orgName: string) => `Only admins and owners of ${orgName} can decide requests. Nothing was changed.`;
export const auditOwnersOnly = (orgName: string) => `Only owners of ${orgName} can read the audit log.`;
/** The ledger's words for the same refusal (it checks again): nobody decides their own request. */
export const ownRequest = 'Nobody decides their own request: another admin or an owner must. Nothing was changed.';
