// The member's "Request extra usage" modal: an optional note (at most NOTE_MAX
// characters, checked here too and answered inline), then the request is opened and
// "Request sent to admin" shown where they clicked.
import { parseJson, type RecentMessages } from '../../clicks.js';
import type { SlackDeps } from '../../deps.js';
import { identify, idsOf } from '../../identity.js';
import { notLinkedMessage } from '../../surfaces.js';
import { BLOCK } from '../../views/ids.js';
import { doneModal, NOTE_MAX, type AskMeta } from '../../views/modals.js';
import { askAndShow } from '../actions/request-extra-usage.js';
import { inputValue, type SubmitArgs } from './decision-modals.js';

export const submitRequestNote = (deps: SlackDeps, recent: RecentMessages) => async (args: SubmitArgs) => {
  const note = inputValue(args.view, BLOCK.noteInput);
  if (note.length > NOTE_MAX) return args.ack({ response_action: 'errors', errors: { [BLOCK.noteInput]: `At most ${NOTE_MAX} characters (this is ${note.length}).` } });
  const who = await identify(deps, idsOf(args.context, args.body, args.body.user.id), args.client);
  if (who.kind !== 'member') return args.ack({ response_action: 'update', view: doneModal('Not linked', notLinkedMessage(who).text) });
  await args.ack();
  const meta = parseJson<AskMeta>(args.view.private_metadata, { home: false, message: null, responseUrl: null });
  await askAndShow(deps, args.client, who, meta, note || null, meta.message ? recent.take(meta.message) : null);
};
