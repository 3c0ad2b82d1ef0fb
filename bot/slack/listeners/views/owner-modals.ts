// "Adjust limit" (Set cap) and "Auto-reload" submissions. The amount is checked
// first (a bad one is answered inline and nothing changes), then the submitter's
// stored role (owner); the modal closes and the change is applied and audited by
// the ledger, and the owner's Home shows the result.
import { isOwner } from '../../../../src/ledger/actors.js';
import { LedgerError } from '../../../../src/ledger/errors.js';
import { loadOrg } from '../../../../src/ledger/limits-state.js';
import { setAutoReload } from '../../../../src/ledger/settings/settings.js';
import { AMOUNT_HINT, parseAmount } from '../../amounts.js';
import { purchaseMessage } from '../../buy.js';
import { parseJson } from '../../clicks.js';
import type { SlackDeps } from '../../deps.js';
import { identify, idsOf, type Linked } from '../../identity.js';
import { applyLimit, describeLimit, parseTarget } from '../../limits.js';
import { ownersOnly } from '../../replies.js';
import { notLinkedMessage, publishHome } from '../../surfaces.js';
import { BLOCK } from '../../views/ids.js';
import { doneModal, type LimitMeta } from '../../views/modals.js';
import { inputValue, type SubmitArgs } from './decision-modals.js';

async function ownerOf(deps: SlackDeps, args: SubmitArgs): Promise<Linked | null> {
  const who = await identify(deps, idsOf(args.context, args.body, args.body.user.id), args.client);
  if (who.kind !== 'member') {
    await args.ack({ response_action: 'update', view: doneModal('Not linked', notLinkedMessage(who).text) });
    return null;
  }
  if (!isOwner(who.member)) {
    await args.ack({ response_action: 'update', view: doneModal('Not allowed', `:no_entry: ${ownersOnly(who.org.name)}`) });
    return null;
  }
  return who;
}

async function showResult(args: SubmitArgs, deps: SlackDeps, who: Linked, page: number, change: () => Promise<string>) {
  let notice: string;
  try {
    notice = `:white_check_mark: ${await change()}`;
  } catch (err) {
    if (!(err instanceof LedgerError)) throw err;
    notice = `:no_entry: ${err.message}. Nothing was changed.`;
  }
  const [org, member] = await Promise.all([loadOrg(deps.db, who.org.id), deps.db.member.findUniqueOrThrow({ where: { id: who.member.id } })]);
  await publishHome(args.client, deps, { ...who, org, member }, { tab: 'settings', page, notice });
}

export const submitAdjustLimit = (deps: SlackDeps) => async (args: SubmitArgs) => {
  const nanos = parseAmount(inputValue(args.view, BLOCK.amountInput));
  if (nanos === null) return args.ack({ response_action: 'errors', errors: { [BLOCK.amountInput]: `${AMOUNT_HINT}. To remove the limit, use "Set to unlimited".` } });
  const who = await ownerOf(deps, args);
  if (!who) return;
  const meta = parseJson<Partial<LimitMeta>>(args.view.private_metadata, {});
  const target = parseTarget(meta.target);
  if (!target || !(await describeLimit(deps, who, target))) {
    return args.ack({ response_action: 'errors', errors: { [BLOCK.amountInput]: 'That limit is not one of your organisation\'s.' } });
  }
  await args.ack();
  await showResult(args, deps, who, meta.page ?? 0, () => applyLimit(deps, who, target, nanos));
};

export const submitAutoReload = (deps: SlackDeps) => async (args: SubmitArgs) => {
  const values = args.view.state.values;
  const enabled = (values[BLOCK.autoReloadEnabled]?.value?.selected_options ?? []).some((o) => o.value === 'on');
  const rawThreshold = inputValue(args.view, BLOCK.thresholdInput);
  const rawAmount = inputValue(args.view, BLOCK.reloadAmountInput);
  const threshold = rawThreshold ? parseAmount(rawThreshold) : null;
  const amount = rawAmount ? parseAmount(rawAmount) : null;
  const errors: Record<string, string> = {};
  if (rawThreshold && threshold === null) errors[BLOCK.thresholdInput] = AMOUNT_HINT;
  if (rawAmount && (amount === null || amount === 0n)) errors[BLOCK.reloadAmountInput] = `${AMOUNT_HINT} (more than zero)`;
  if (enabled && !rawThreshold) errors[BLOCK.thresholdInput] = 'Needed to turn auto-reload on.';
  if (enabled && !rawAmount) errors[BLOCK.reloadAmountInput] = 'Needed to turn auto-reload on.';
  if (Object.keys(errors).length) return args.ack({ response_action: 'errors', errors });
  const who = await ownerOf(deps, args);
  if (!who) return;
  await args.ack();
  const page = parseJson<{ page?: number }>(args.view.private_metadata, {}).page ?? 0;
  await showResult(args, deps, who, page, async () => {
    await setAutoReload(deps.db, who.org, who.member, { enabled, thresholdNanos: threshold, amountNanos: amount });
    return enabled ? 'Auto-reload is on.' : 'Auto-reload is off.';
  });
};

/**
 * "Buy balance": the modal turns into the payment link (Stripe Checkout) or, with the
 * ledger-only provider, the credit. One modal is one purchase: submitting it again
 * gives the same link.
 */
export const submitBuyBalance = (deps: SlackDeps) => async (args: SubmitArgs) => {
  const nanos = parseAmount(inputValue(args.view, BLOCK.buyAmountInput));
  if (nanos === null || nanos === 0n) return args.ack({ response_action: 'errors', errors: { [BLOCK.buyAmountInput]: `${AMOUNT_HINT} (more than zero)` } });
  const who = await ownerOf(deps, args);
  if (!who) return;
  // Stripe may take longer than Slack's 3 seconds: answer now, then show the link.
  await args.ack({ response_action: 'update', view: doneModal('Buy balance', ':hourglass_flowing_sand: Preparing your payment link...') });
  let text: string;
  try {
    text = purchaseMessage(await deps.purchases.buy(who.org, who.member, { amountNanos: nanos, idempotencyKey: `slack:${args.view.id}` }));
  } catch (err) {
    if (err instanceof LedgerError) text = `:no_entry: ${err.message}. Nothing was charged.`;
    else {
      deps.log(`slack: buy balance for ${who.org.slug} failed: ${String(err)}`);
      text = ':warning: The payment page could not be prepared just now. Nothing was charged; please try again in a minute.';
    }
  }
  await args.client.views.update({ view_id: args.view.id, view: doneModal('Buy balance', text) });
  const page = parseJson<{ page?: number }>(args.view.private_metadata, {}).page ?? 0;
  const [org, member] = await Promise.all([loadOrg(deps.db, who.org.id), deps.db.member.findUniqueOrThrow({ where: { id: who.member.id } })]);
  await publishHome(args.client, deps, { ...who, org, member }, { tab: 'settings', page, notice: text });
};
