// "Continue on extra usage" / "Stop at my seat's limit" (from /usage or the App Home):
// the clicking member's own choice, for themselves only, audited in the ledger (via
// slack). The surface they clicked on is shown again with the choice in force.
import { setOwnContinueChoice } from '../../../../src/ledger/settings/continue-choice.js';
import { originOf, type ButtonArgs } from '../../clicks.js';
import type { SlackDeps } from '../../deps.js';
import { identify, idsOf, type Linked } from '../../identity.js';
import { replyNotLinked } from '../../replies.js';
import { publishHome, tell, usageMessage, type WebClient } from '../../surfaces.js';

/** What the member reads once their choice is saved. */
export const continueSaved = (enabled: boolean) => (enabled
  ? 'Saved: you continue on extra usage when your included usage runs out, billed at standard API rates, up to your limits.'
  : "Saved: you stop at your seat's limit when your included usage runs out, until it comes back.");

/** Saves the member's choice (the one ledger function the console and the API use too); `who` as it now stands. */
export async function chooseContinue(deps: SlackDeps, who: Linked, enabled: boolean): Promise<{ notice: string; who: Linked }> {
  await setOwnContinueChoice(deps.db, who.org.id, who.member, enabled, 'slack');
  const member = await deps.db.member.findUniqueOrThrow({ where: { id: who.member.id } });
  return { notice: continueSaved(enabled), who: { ...who, member } };
}

export const setContinueChoice = (deps: SlackDeps) => async ({ ack, body, client, context, action }: ButtonArgs) => {
  await ack();
  const origin = originOf(body);
  const who = await identify(deps, idsOf(context, body, body.user.id), client);
  if (who.kind !== 'member') return replyNotLinked(client, deps, who, origin);
  const chosen = await chooseContinue(deps, who, action.value === 'on');
  await showAgain(deps, client as WebClient, chosen.who, origin, body as { response_url?: string }, chosen.notice);
};

async function showAgain(deps: SlackDeps, client: WebClient, who: Linked, origin: ReturnType<typeof originOf>, body: { response_url?: string }, notice: string): Promise<void> {
  if (origin.kind === 'home') return publishHome(client, deps, who, { tab: 'me', notice });
  // /usage's answer (only they see it): replaced by their usage with the choice in force.
  if (origin.kind === 'message' && origin.ephemeral && body.response_url) {
    const usage = await usageMessage(deps, who);
    const res = await fetch(body.response_url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ response_type: 'ephemeral', replace_original: true, text: notice, blocks: [{ type: 'context', elements: [{ type: 'mrkdwn', text: notice }] }, ...usage.blocks] }) });
    if (!res.ok) throw new Error(`response_url answered ${res.status}`);
    return;
  }
  await tell(client, { user: who.slackUserId, ...(origin.kind === 'message' ? { channel: origin.ref.channel } : {}) }, notice);
}
