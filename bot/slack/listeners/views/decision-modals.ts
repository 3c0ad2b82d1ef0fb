// The "Enable extra usage" modal (optional member cap) and the "Deny" modal
// (optional reason). A bad amount is answered inline (response_action: errors) and
// nothing is decided; otherwise the modal closes at once and the decision follows.
import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { formatUsd } from '../../../../src/domain/money.js';
import { isAdmin } from '../../../../src/ledger/actors.js';
import { AMOUNT_HINT, parseAmount } from '../../amounts.js';
import { parseJson, type RecentMessages } from '../../clicks.js';
import { decideFromSlack } from '../../decisions.js';
import type { SlackDeps } from '../../deps.js';
import { identify, idsOf, type Linked } from '../../identity.js';
import { adminsOnly } from '../../replies.js';
import { notLinkedMessage } from '../../surfaces.js';
import { BLOCK } from '../../views/ids.js';
import { doneModal, UNLIMITED, type DecisionMeta } from '../../views/modals.js';

export type SubmitArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

export const inputValue = (view: ViewSubmitAction['view'], blockId: string): string => (view.state.values[blockId]?.value?.value ?? '').trim();

/** The admin submitting, or null after answering the submission with why not. */
async function deciderOf(deps: SlackDeps, args: SubmitArgs): Promise<Linked | null> {
  const who = await identify(deps, idsOf(args.context, args.body, args.body.user.id), args.client);
  if (who.kind !== 'member') {
    await args.ack({ response_action: 'update', view: doneModal('Not linked', notLinkedMessage(who).text) });
    return null;
  }
  if (!isAdmin(who.member)) {
    await args.ack({ response_action: 'update', view: doneModal('Not allowed', `:no_entry: ${adminsOnly(who.org.name)}`) });
    return null;
  }
  return who;
}

const metaOf = (args: SubmitArgs) => parseJson<Partial<DecisionMeta>>(args.view.private_metadata, {});

const checked = (view: ViewSubmitAction['view'], blockId: string, value: string) =>
  (view.state.values[blockId]?.value?.selected_options ?? []).some((o) => o.value === value);

export const submitEnableExtraUsage = (deps: SlackDeps, recent: RecentMessages) => async (args: SubmitArgs) => {
  const raw = inputValue(args.view, BLOCK.capInput);
  const unlimited = checked(args.view, BLOCK.unlimitedInput, UNLIMITED);
  // Unlimited is a choice someone makes, never what an empty field means.
  if (raw === '' && !unlimited) return args.ack({ response_action: 'errors', errors: { [BLOCK.capInput]: 'Enter a monthly limit, or choose "No member limit" below.' } });
  if (raw !== '' && unlimited) return args.ack({ response_action: 'errors', errors: { [BLOCK.unlimitedInput]: 'Choose one: a monthly limit above, or no member limit.' } });
  let cap: string | null = null;
  if (!unlimited) {
    const nanos = parseAmount(raw);
    if (nanos === null) return args.ack({ response_action: 'errors', errors: { [BLOCK.capInput]: `${AMOUNT_HINT}, or choose "No member limit" below.` } });
    cap = formatUsd(nanos);
  }
  const who = await deciderOf(deps, args);
  if (!who) return;
  await args.ack();
  const meta = metaOf(args);
  const message = meta.message ?? null;
  await decideFromSlack(deps, args.client, who, meta.requestId ?? '', { decision: 'enable_extra_usage', cap }, {
    message,
    blocks: message ? recent.take(message)?.blocks ?? null : null,
    home: !!meta.home,
  });
};

const PERIODS = ['daily', 'weekly', 'monthly'] as const;

/** "Increase limit" on a request from Claude: an amount in whole cents and a period; Anthropic writes it. */
export const submitIncreaseLimit = (deps: SlackDeps, recent: RecentMessages) => async (args: SubmitArgs) => {
  const nanos = parseAmount(inputValue(args.view, BLOCK.amountInput));
  if (nanos === null || nanos === 0n) return args.ack({ response_action: 'errors', errors: { [BLOCK.amountInput]: `${AMOUNT_HINT}, more than zero.` } });
  const period = args.view.state.values[BLOCK.periodInput]?.value?.selected_option?.value;
  if (!PERIODS.includes(period as (typeof PERIODS)[number])) return args.ack({ response_action: 'errors', errors: { [BLOCK.periodInput]: 'Choose when the limit resets.' } });
  const who = await deciderOf(deps, args);
  if (!who) return;
  await args.ack();
  const meta = metaOf(args);
  const message = meta.message ?? null;
  await decideFromSlack(deps, args.client, who, meta.requestId ?? '', { decision: 'increase_limit', amount: formatUsd(nanos), period: period as (typeof PERIODS)[number] }, {
    message,
    blocks: message ? recent.take(message)?.blocks ?? null : null,
    home: !!meta.home,
  });
};

export const submitDeny = (deps: SlackDeps, recent: RecentMessages) => async (args: SubmitArgs) => {
  const reason = inputValue(args.view, BLOCK.reasonInput);
  if (reason.length > 500) return args.ack({ response_action: 'errors', errors: { [BLOCK.reasonInput]: 'At most 500 characters.' } });
  const who = await deciderOf(deps, args);
  if (!who) return;
  await args.ack();
  const meta = metaOf(args);
  const message = meta.message ?? null;
  await decideFromSlack(deps, args.client, who, meta.requestId ?? '', { decision: 'deny', reason: reason || null }, {
    message,
    blocks: message ? recent.take(message)?.blocks ?? null : null,
    home: !!meta.home,
  });
};
