// "Request extra usage" (from /usage, the App Home or the seat-limit DM) opens a
// modal where the member may add a note for the admins; sending it opens one request
// (listeners/views/request-note.ts). The button then reads "Request sent to admin";
// a click while a request is open finds it and opens nothing new.
import { LedgerError } from '../../../../src/ledger/errors.js';
import { originOf, type ButtonArgs, type RecentMessages } from '../../clicks.js';
import type { SlackDeps } from '../../deps.js';
import { identify, idsOf, type Linked } from '../../identity.js';
import { replyNotLinked, replyRefused } from '../../replies.js';
import { hasOpenRequest, publishHome, tell, usageMessage, type WebClient } from '../../surfaces.js';
import type { Block } from '../../views/blocks.js';
import { markRequestSent } from '../../views/member-usage.js';
import { raiseLimitModal, requestNoteModal, type AskMeta } from '../../views/modals.js';
import { memberUsageView } from '../../../../src/ledger/metering/member-usage.js';

/** Where the member clicked, kept in the modal so the answer is shown there. */
function askMetaOf(origin: ReturnType<typeof originOf>, body: ButtonArgs['body']): AskMeta {
  return {
    home: origin.kind === 'home',
    message: origin.kind === 'message' ? origin.ref : null,
    responseUrl: origin.kind === 'message' && (origin.ephemeral || !origin.blocks) ? (body as { response_url?: string }).response_url ?? null : null,
  };
}

/**
 * "Ask to raise my limit" (a member stopped by a cap, from /usage or the App Home): a
 * modal with the new limit pre-filled with the suggestion (listeners/views/raise-limit.ts).
 */
export const requestRaiseLimit = (deps: SlackDeps, recent: RecentMessages) => async ({ ack, body, client, context }: ButtonArgs) => {
  await ack();
  const origin = originOf(body);
  const who = await identify(deps, idsOf(context, body, body.user.id), client);
  if (who.kind !== 'member') return replyNotLinked(client, deps, who, origin);
  const meta = askMetaOf(origin, body);
  const view = await memberUsageView(deps.db, who.org, who.member, deps.now(), deps.requestCooldownMs, deps.publicUrl ?? null);
  // Nothing to raise now (an open request, no cap stopping them): the service's refusal says why, where they clicked.
  if (!view.raise) return askAndShow(deps, client, who, meta, null, null, { amount: null });
  if (origin.kind === 'message' && !origin.ephemeral && origin.blocks) recent.remember(origin.ref, origin.blocks, origin.text);
  await client.views.open({ trigger_id: body.trigger_id, view: raiseLimitModal({ ...meta, scope: view.raise.scope }, view.raise) });
};

export const requestExtraUsage = (deps: SlackDeps, recent: RecentMessages) => async ({ ack, body, client, context }: ButtonArgs) => {
  await ack();
  const origin = originOf(body);
  const who = await identify(deps, idsOf(context, body, body.user.id), client);
  if (who.kind !== 'member') return replyNotLinked(client, deps, who, origin);
  const meta = askMetaOf(origin, body);
  // Already asked: say so where they clicked, without a modal.
  if (await hasOpenRequest(deps, who.member.id)) return askAndShow(deps, client, who, meta, null);
  if (origin.kind === 'message' && !origin.ephemeral && origin.blocks) recent.remember(origin.ref, origin.blocks, origin.text);
  await client.views.open({ trigger_id: body.trigger_id, view: requestNoteModal(meta) });
};

/**
 * Asks (the service's one request rule; with `raise`, a request to raise the cap that
 * stopped them, which owners decide) and shows the result where the member clicked.
 */
export async function askAndShow(deps: SlackDeps, client: WebClient, who: Linked, meta: AskMeta, note: string | null, remembered?: { blocks: Block[]; text: string } | null, raise?: { amount: string | null }): Promise<void> {
  const origin = meta.home ? ({ kind: 'home', viewId: '', privateMetadata: '' } as const) : meta.message ? ({ kind: 'message', ref: meta.message, ephemeral: !!meta.responseUrl, blocks: null, text: '' } as const) : ({ kind: 'unknown' } as const);
  let alreadyOpen = false;
  try {
    alreadyOpen = (raise ? await deps.requests.askRaise(who.org.id, who.member.id, { note, amount: raise.amount }) : await deps.requests.ask(who.org.id, who.member.id, note)).alreadyOpen;
  } catch (err) {
    if (!(err instanceof LedgerError)) throw err;
    return replyRefused(client, deps, who, origin, err.message);
  }
  const notice = alreadyOpen ? 'You already have a request waiting for an admin; no second one was sent.' : undefined;
  const sent = raise ? 'Request sent to owners' : 'Request sent to admin';

  if (meta.home) return publishHome(client, deps, who, { tab: 'me', requestOpen: true, ...(notice ? { notice } : {}) });
  if (meta.responseUrl) {
    await respondTo(meta.responseUrl, { response_type: 'ephemeral', replace_original: true, ...(await usageMessage(deps, who, { requestOpen: true })) });
  } else if (meta.message && remembered) {
    await client.chat.update({ channel: meta.message.channel, ts: meta.message.ts, text: remembered.text || sent, blocks: markRequestSent(remembered.blocks, raise ? 'owners' : 'admin') });
  }
  if (notice || (meta.message && !meta.responseUrl && !remembered)) {
    await tell(client, { user: who.slackUserId, ...(meta.message ? { channel: meta.message.channel } : {}) }, notice ?? `${sent}: you are told the outcome here and in your Inbox in the console.`);
  }
}

/** What Bolt's respond() does: a JSON POST to the message's response_url. */
async function respondTo(url: string, body: object): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`response_url answered ${res.status}`);
}
