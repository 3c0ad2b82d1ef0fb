// The member's "Ask to raise my limit" modal: the new monthly limit (pre-filled with the
// suggestion; a malformed amount is answered inline and nothing is sent) and an optional
// note; then the request goes to the owners and "Request sent to owners" shows where
// they clicked. The service's refusals (above the org's cap, an open request) are
// answered in words, nothing stored.
import { formatUsd } from '../../../../src/domain/money.js';
import { AMOUNT_HINT, parseAmount } from '../../amounts.js';
import { parseJson, type RecentMessages } from '../../clicks.js';
import type { SlackDeps } from '../../deps.js';
import { identify, idsOf } from '../../identity.js';
import { notLinkedMessage } from '../../surfaces.js';
import { BLOCK } from '../../views/ids.js';
import { doneModal, NOTE_MAX, type AskMeta } from '../../views/modals.js';
import { askAndShow } from '../actions/request-extra-usage.js';
import { inputValue, type SubmitArgs } from './decision-modals.js';

export const submitRaiseLimit = (deps: SlackDeps, recent: RecentMessages) => async (args: SubmitArgs) => {
  const nanos = parseAmount(inputValue(args.view, BLOCK.amountInput));
  if (nanos === null || nanos === 0n) return args.ack({ response_action: 'errors', errors: { [BLOCK.amountInput]: `${AMOUNT_HINT}, more than zero.` } });
  const note = inputValue(args.view, BLOCK.noteInput);
  if (note.length > NOTE_MAX) return args.ack({ response_action: 'errors', errors: { [BLOCK.noteInput]: `At most ${NOTE_MAX} characters (this is ${note.length}).` } });
  const who = await identify(deps, idsOf(args.context, args.body, args.body.user.id), args.client);
  if (who.kind !== 'member') return args.ack({ response_action: 'update', view: doneModal('Not linked', notLinkedMessage(who).text) });
  await args.ack();
  const meta = parseJson<AskMeta>(args.view.private_metadata, { home: false, message: null, responseUrl: null });
  await askAndShow(deps, args.client, who, meta, note || null, meta.message ? recent.take(meta.message) : null, { amount: formatUsd(nanos) });
};
