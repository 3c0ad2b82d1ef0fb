// "Request extra usage" (from /usage, the App Home or the seat-limit DM): opens one
// request for the clicking member. The button then reads "Request sent to admin";
// a second click finds the open request and opens nothing new.
import { LedgerError } from '../../../../src/ledger/errors.js';
import { originOf, type ButtonArgs } from '../../clicks.js';
import type { SlackDeps } from '../../deps.js';
import { identify, idsOf } from '../../identity.js';
import { replyNotLinked, replyRefused } from '../../replies.js';
import { publishHome, tell, usageMessage } from '../../surfaces.js';
import { markRequestSent } from '../../views/member-usage.js';

export const requestExtraUsage = (deps: SlackDeps) => async ({ ack, body, client, context, respond }: ButtonArgs) => {
  await ack();
  const origin = originOf(body);
  const who = await identify(deps, idsOf(context, body, body.user.id), client);
  if (who.kind !== 'member') return replyNotLinked(client, deps, who, origin);

  // The request rule is the service's (one rule for the API, Slack and Teams): its refusal is shown as it is.
  let alreadyOpen = false;
  try {
    alreadyOpen = (await deps.requests.ask(who.org.id, who.member.id, null)).alreadyOpen;
  } catch (err) {
    if (!(err instanceof LedgerError)) throw err;
    return replyRefused(client, deps, who, origin, err.message);
  }
  const notice = alreadyOpen ? 'You already have a request waiting for an admin; no second one was sent.' : undefined;

  if (origin.kind === 'home') return publishHome(client, deps, who, { tab: 'me', requestOpen: true, ...(notice ? { notice } : {}) });
  if (origin.kind === 'message') {
    if (origin.ephemeral || !origin.blocks) {
      await respond({ response_type: 'ephemeral', replace_original: true, ...(await usageMessage(deps, who, { requestOpen: true })) });
    } else {
      await client.chat.update({ channel: origin.ref.channel, ts: origin.ref.ts, text: origin.text || 'Request sent to admin', blocks: markRequestSent(origin.blocks) });
    }
    if (notice) await tell(client, { user: who.slackUserId, channel: origin.ref.channel }, notice);
  }
};
