// Modals: approve with an optional member cap, deny with an optional reason,
// "Adjust limit" (amount + "Set cap" / "Set to unlimited", and a member's seat tier),
// auto-reload, and a closing confirmation. Each carries what it is about in private_metadata; the
// listener still checks the clicking user's stored role before changing anything.
import type { types } from '@slack/bolt';
import type { RequestView } from '../../../src/notify/port.js';
import { actions, button, context, dollars, dollarsExact, esc, escText, plain, section, seatName, truncate, usd, LIMITS, type Block, type ModalView } from './blocks.js';
import { ACTION, BLOCK, VIEW } from './ids.js';
import type { LimitTarget } from './owner-settings.js';

/** Where the click came from, so the message can be updated in place after the modal. */
export interface MessageRef {
  channel: string;
  ts: string;
}

export interface DecisionMeta {
  requestId: string;
  /** The message the button was on, to update it in place. */
  message: MessageRef | null;
  /** The button was on the App Home (its Requests tab). */
  home: boolean;
}

const textInput = (blockId: string, label: string, opts: { optional?: boolean; placeholder?: string; initial?: string; hint?: string; multiline?: boolean; maxLength?: number }): types.InputBlock => ({
  type: 'input',
  block_id: blockId,
  optional: opts.optional ?? false,
  label: plain(label, LIMITS.inputLabel),
  ...(opts.hint ? { hint: plain(opts.hint, LIMITS.inputLabel) } : {}),
  element: {
    type: 'plain_text_input',
    action_id: 'value',
    ...(opts.placeholder ? { placeholder: plain(opts.placeholder, LIMITS.placeholder) } : {}),
    ...(opts.initial ? { initial_value: opts.initial } : {}),
    ...(opts.multiline ? { multiline: true } : {}),
    ...(opts.maxLength ? { max_length: opts.maxLength } : {}),
  },
});

const modal = (callbackId: string, title: string, blocks: Block[], meta: unknown, submit?: string): ModalView => ({
  type: 'modal',
  callback_id: callbackId,
  title: plain(title, LIMITS.modalTitle),
  close: plain('Cancel', LIMITS.modalButton),
  ...(submit ? { submit: plain(submit, LIMITS.modalButton) } : {}),
  private_metadata: JSON.stringify(meta),
  blocks,
});

/** The value of the "No member limit" checkbox. */
export const UNLIMITED = 'unlimited';

export function enableExtraUsageModal(r: RequestView, from: Omit<DecisionMeta, 'requestId'>): ModalView {
  const current = r.context?.cap;
  const now = r.context
    ? `\nTheir member limit now: *${r.context.extraUsage === false ? 'Extra usage off' : usd(current ?? null)}* · extra usage this month ${dollarsExact(r.context.monthToDateExtra)}${r.context.orgRemaining !== null ? ` · organisation budget left ${dollars(r.context.orgRemaining)}` : ''}`
    : '';
  return modal(VIEW.enableExtraUsage, 'Enable extra usage', [
    section(`Turn on extra usage for *${escText(truncate(r.requester.name, 100))}* (${seatName(r.seatTier)} seat). Extra usage is billed at API rates; tier and organisation limits still apply.${now}`),
    textInput(BLOCK.capInput, 'Monthly limit for this member (USD)', { optional: true, placeholder: 'e.g. 25.00', hint: 'Required, unless you choose no member limit below.', maxLength: 20, ...(current ? { initial: current } : {}) }),
    {
      type: 'input',
      block_id: BLOCK.unlimitedInput,
      optional: true,
      label: plain('Or', LIMITS.inputLabel),
      element: { type: 'checkboxes', action_id: 'value', options: [{ text: plain('No member limit (unlimited)', LIMITS.buttonText), value: UNLIMITED, description: plain('Seat-tier and organisation limits still apply.', LIMITS.buttonText) }] },
    },
  ], { requestId: r.requestId, message: from.message, home: from.home } satisfies DecisionMeta, 'Enable');
}

const PERIODS = [['monthly', 'Monthly'], ['weekly', 'Weekly'], ['daily', 'Daily']] as const;
const periodOption = (p: string): types.PlainTextOption => ({ text: plain(PERIODS.find(([v]) => v === p)?.[1] ?? p), value: p });

/** "Increase limit" for a request from Claude: the new limit (pre-filled with a suggestion) and its period. */
export function increaseLimitModal(r: RequestView, from: Omit<DecisionMeta, 'requestId'>): ModalView {
  if (r.raise) return raiseDecisionModal(r, from);
  const a = r.anthropic!;
  const now = `\nTheir ${a.period} limit now: *${a.limit === null ? 'none known' : dollars(a.limit)}* · spent ${a.spent === null ? 'not known' : dollarsExact(a.spent)}`;
  return modal(VIEW.increaseLimit, 'Increase limit', [
    section(`Raise the spend limit of *${escText(truncate(r.requester.name, 100))}* in Claude. Anthropic writes it as their own limit and tells them.${now}`),
    textInput(BLOCK.amountInput, 'New limit (USD)', { placeholder: 'e.g. 75.00', initial: a.suggestedAmount, hint: 'Suggested: half as much again as the limit they hit.', maxLength: 20 }),
    {
      type: 'input',
      block_id: BLOCK.periodInput,
      label: plain('Resets', LIMITS.inputLabel),
      element: { type: 'static_select', action_id: 'value', options: PERIODS.map(([v]) => periodOption(v)), initial_option: periodOption(a.period) },
    },
  ], { requestId: r.requestId, message: from.message, home: from.home } satisfies DecisionMeta, 'Increase limit');
}

/** "Increase limit" on a request to raise a limit (owners): the new monthly limit, pre-filled with the suggestion. */
function raiseDecisionModal(r: RequestView, from: Omit<DecisionMeta, 'requestId'>): ModalView {
  const raise = r.raise!;
  const what = { member: 'monthly limit of', tier: "seat tier's monthly limit for", org: "organisation's monthly limit, asked by" }[raise.scope];
  return modal(VIEW.increaseLimit, 'Increase limit', [
    section(`Raise the ${what} *${escText(truncate(r.requester.name, 100))}*. Now: *${dollars(raise.from)}* a month.`),
    textInput(BLOCK.amountInput, 'New monthly limit (USD)', { placeholder: 'e.g. 100.00', initial: raise.suggested, hint: 'Suggested: the current limit plus their spending rate to the month\'s end, rounded up to whole dollars.', maxLength: 20 }),
    {
      type: 'input',
      block_id: BLOCK.periodInput,
      label: plain('Resets', LIMITS.inputLabel),
      element: { type: 'static_select', action_id: 'value', options: [periodOption('monthly')], initial_option: periodOption('monthly') },
    },
  ], { requestId: r.requestId, message: from.message, home: from.home } satisfies DecisionMeta, 'Increase limit');
}

export function denyModal(r: RequestView, from: Omit<DecisionMeta, 'requestId'>): ModalView {
  return modal(VIEW.deny, 'Deny request', [
    section(`Deny *${esc(truncate(r.requester.name, 100))}*'s request for more usage? They will be told, with your reason if you give one.`),
    textInput(BLOCK.reasonInput, 'Reason (optional)', { optional: true, multiline: true, maxLength: 500, placeholder: 'Shown to the member' }),
  ], { requestId: r.requestId, message: from.message, home: from.home } satisfies DecisionMeta, 'Deny');
}

export interface LimitMeta {
  target: LimitTarget;
  page: number;
}

const seatOption = (tier: 'standard' | 'premium'): types.PlainTextOption => ({ text: plain(`${seatName(tier)} seat`), value: tier });

/** A member's seat tier, changed as soon as the owner confirms the new choice (not with "Set cap"). */
function seatSelect(current: 'standard' | 'premium'): Block {
  const select: types.StaticSelect = {
    type: 'static_select',
    action_id: ACTION.setSeatTier,
    placeholder: plain('Seat tier', LIMITS.placeholder),
    options: [seatOption('standard'), seatOption('premium')],
    initial_option: seatOption(current),
    confirm: {
      title: plain('Change the seat?', LIMITS.confirmTitle),
      text: { type: 'mrkdwn', text: 'Their included usage per window and seat-tier limit change at once. The change is recorded in the audit log.' },
      confirm: plain('Change seat', LIMITS.confirmButton),
      deny: plain('Cancel', LIMITS.confirmButton),
    },
  };
  return section(`*Seat:* ${seatName(current)}`, { blockId: 'limit_seat', accessory: select });
}

/** "Adjust limit": an amount with "Set cap" (submit), and "Set to unlimited"; for a member, their seat tier too. */
export function adjustLimitModal(target: LimitTarget, what: { label: string; current: string | null; spent: string; note?: string; seatTier?: 'standard' | 'premium'; memberExtraUsage?: { enabled: boolean; scopeSelected: boolean } }, page: number): ModalView {
  const own = what.memberExtraUsage;
  const blocks: Block[] = [
    section(`*${esc(truncate(what.label, 200))}*\nCurrent limit: ${usd(what.current)} · spent ${dollarsExact(what.spent)} this month`),
    textInput(BLOCK.amountInput, 'Monthly limit (USD)', { placeholder: 'e.g. 500.00', ...(what.current !== null ? { initial: what.current } : {}), maxLength: 20 }),
    actions([button('Set to unlimited', ACTION.setUnlimited, JSON.stringify(target), { confirm: { title: 'Set to unlimited?', text: `Remove the monthly limit of ${esc(truncate(what.label, 200))}.`, confirm: 'Set to unlimited' } })], 'limit_unlimited'),
    ...(target.kind === 'member' && what.seatTier ? [seatSelect(what.seatTier)] : []),
    ...(target.kind === 'member' && own
      ? [section(`*Their own extra usage:* ${own.enabled ? 'on' : 'off'}${own.scopeSelected ? '' : ' (counts when the organisation gives extra usage to selected members only)'}`, {
          blockId: 'limit_member_extra_usage',
          accessory: own.enabled
            ? button('Turn off for them', ACTION.setMemberExtraUsage, 'off', { style: 'danger', confirm: { title: 'Turn off their extra usage?', text: 'They stop at their seat\'s included usage while the organisation gives extra usage to selected members only.', confirm: 'Turn off', style: 'danger' } })
            : button('Turn on for them', ACTION.setMemberExtraUsage, 'on', { style: 'primary' }),
        })]
      : []),
    context([what.note ?? 'Changes apply at once. Members over a lowered limit are paused until next month.']),
  ];
  return modal(VIEW.adjustLimit, 'Adjust limit', blocks, { target, page } satisfies LimitMeta, 'Set cap');
}

export function autoReloadModal(current: { enabled: boolean; threshold: string | null; amount: string | null }, page: number): ModalView {
  const enabledOption = { text: plain('Reload automatically'), value: 'on' };
  return modal(VIEW.autoReload, 'Auto-reload', [
    {
      type: 'input',
      block_id: BLOCK.autoReloadEnabled,
      optional: true,
      label: plain('Auto-reload', LIMITS.inputLabel),
      element: { type: 'checkboxes', action_id: 'value', options: [enabledOption], ...(current.enabled ? { initial_options: [enabledOption] } : {}) },
    },
    textInput(BLOCK.thresholdInput, 'When the balance reaches (USD)', { optional: true, placeholder: 'e.g. 10.00', ...(current.threshold ? { initial: current.threshold } : {}), maxLength: 20 }),
    textInput(BLOCK.reloadAmountInput, 'Add this amount (USD)', { optional: true, placeholder: 'e.g. 50.00', ...(current.amount ? { initial: current.amount } : {}), maxLength: 20 }),
  ], { page }, 'Save');
}

/** "Buy balance": the amount only; the answer is a payment link (card details never pass through chat). */
/** `intro`: why the owner is asked (extra usage just turned on with nothing to spend). */
export function buyBalanceModal(page: number, intro?: string): ModalView {
  return modal(VIEW.buyBalance, 'Buy balance', [
    ...(intro ? [section(intro)] : []),
    textInput(BLOCK.buyAmountInput, 'Amount to add (USD)', { placeholder: 'e.g. 50.00', maxLength: 20, hint: 'You get a secure payment link; the balance grows once the payment goes through.' }),
  ], { page }, 'Get payment link');
}

/** A modal's last screen: what happened. */
/** The longest note a member may add to a request (as over the API). */
export const NOTE_MAX = 500;

/** Where "Request extra usage" was clicked, to show "Request sent" there after the modal. */
export interface AskMeta {
  home: boolean;
  message: MessageRef | null;
  /** An ephemeral message (/usage) is redrawn through its response_url (valid 30 minutes). */
  responseUrl: string | null;
}

export function requestNoteModal(meta: AskMeta): ModalView {
  return modal(VIEW.requestNote, 'Request extra usage', [
    section('Your admins and owners get your request with your seat and your usage this month, and decide. You are told the outcome here and in your Inbox in the console.'),
    textInput(BLOCK.noteInput, 'Note for them (optional)', { optional: true, multiline: true, maxLength: NOTE_MAX, placeholder: 'What it is for, e.g. the quarter-end report until Friday', hint: `At most ${NOTE_MAX} characters.` }),
  ], meta, 'Send request');
}

/** Where "Ask to raise my limit" was clicked, and what it raises. */
export interface RaiseMeta extends AskMeta {
  scope: 'member' | 'tier' | 'org';
}

const RAISE_WORDS = { member: 'your monthly extra usage limit', tier: "your seat tier's monthly extra usage limit", org: "the organisation's monthly extra usage limit" } as const;

/** "Ask to raise my limit": the new limit, pre-filled with the suggestion, and a note for the owners. */
export function raiseLimitModal(meta: RaiseMeta, raise: { from: string; suggested: string }): ModalView {
  return modal(VIEW.raiseLimit, 'Ask to raise my limit', [
    section(`You reached ${RAISE_WORDS[meta.scope]} of ${dollars(raise.from)}. Only owners change limits: they get your request with your usage this month, and decide. You are told the outcome here and in your Inbox in the console.`),
    textInput(BLOCK.amountInput, 'New monthly limit (USD)', { initial: raise.suggested, maxLength: 20, hint: 'Suggested: your current limit plus your spending rate to the month\'s end, rounded up to whole dollars.' }),
    textInput(BLOCK.noteInput, 'Note for the owners (optional)', { optional: true, multiline: true, maxLength: NOTE_MAX, placeholder: 'What it is for, e.g. launch week', hint: `At most ${NOTE_MAX} characters.` }),
  ], meta, 'Send request');
}

export function doneModal(title: string, text: string): ModalView {
  return { type: 'modal', callback_id: VIEW.done, title: plain(title, LIMITS.modalTitle), close: plain('Done', LIMITS.modalButton), blocks: [section(text)] };
}
