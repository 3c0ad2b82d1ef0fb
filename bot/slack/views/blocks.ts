// Small pure helpers for Block Kit: every text is cut to the limit of the field it
// goes into, and text people typed (names, notes, reasons) is escaped for mrkdwn.
import type { types } from '@slack/bolt';
import { formatWhen, usdCents, usdWithExact } from '../../../src/domain/display.js';

export type Block = types.KnownBlock;
export type Button = types.Button;
export type ModalView = types.ModalView;
export type HomeView = types.HomeView;

/** The limits Slack enforces on what we send (docs.slack.dev, Block Kit reference). */
export const LIMITS = {
  messageBlocks: 50,
  viewBlocks: 100,
  messageText: 4000,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  blockId: 255,
  modalTitle: 24,
  modalButton: 24,
  privateMetadata: 3000,
  inputLabel: 2000,
  placeholder: 150,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
} as const;

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export const plain = (text: string, max: number = LIMITS.buttonText): types.PlainTextElement => ({ type: 'plain_text', text: truncate(text || ' ', max), emoji: true });
export const md = (text: string, max: number = LIMITS.sectionText): types.MrkdwnElement => ({ type: 'mrkdwn', text: truncate(text || ' ', max) });

export function header(text: string, blockId?: string): types.HeaderBlock {
  return { type: 'header', text: plain(text, LIMITS.headerText), ...(blockId ? { block_id: blockId } : {}) };
}

export function section(text: string, opts: { blockId?: string; accessory?: types.SectionBlockAccessory; fields?: string[] } = {}): types.SectionBlock {
  return {
    type: 'section',
    text: md(text),
    ...(opts.blockId ? { block_id: opts.blockId } : {}),
    ...(opts.fields?.length ? { fields: opts.fields.slice(0, LIMITS.sectionFields).map((f) => md(f, LIMITS.fieldText)) } : {}),
    ...(opts.accessory ? { accessory: opts.accessory } : {}),
  };
}

export function context(texts: string[], blockId?: string): types.ContextBlock {
  return { type: 'context', elements: texts.slice(0, LIMITS.contextElements).map((t) => md(t)), ...(blockId ? { block_id: blockId } : {}) };
}

export const divider = (blockId?: string): types.DividerBlock => ({ type: 'divider', ...(blockId ? { block_id: blockId } : {}) });

export function actions(elements: types.ActionsBlockElement[], blockId?: string): types.ActionsBlock {
  return { type: 'actions', elements: elements.slice(0, LIMITS.actionsElements), ...(blockId ? { block_id: blockId } : {}) };
}

export interface ButtonOptions {
  style?: 'primary' | 'danger';
  confirm?: { title: string; text: string; confirm: string; deny?: string; style?: 'primary' | 'danger' };
}

export function button(text: string, actionId: string, value: string, opts: ButtonOptions = {}): types.Button {
  return {
    type: 'button',
    text: plain(text, LIMITS.buttonText),
    action_id: actionId,
    value: truncate(value, LIMITS.buttonValue),
    ...(opts.style ? { style: opts.style } : {}),
    ...(opts.confirm
      ? {
          confirm: {
            title: plain(opts.confirm.title, LIMITS.confirmTitle),
            text: md(opts.confirm.text, LIMITS.confirmText),
            confirm: plain(opts.confirm.confirm, LIMITS.confirmButton),
            deny: plain(opts.confirm.deny ?? 'Cancel', LIMITS.confirmButton),
            ...(opts.confirm.style ? { style: opts.confirm.style } : {}),
          },
        }
      : {}),
  };
}

/** A ledger amount ("54.665") in cents: "$54.67", "$1,250.00" (the shared formatter, src/domain/display.ts). */
export const dollars = (amount: string): string => usdCents(amount);

/** "$50.00 ($49.995 exactly)" when cents hide part of it (next to a limit), else "$50.00". */
export const dollarsExact = (amount: string): string => usdWithExact(amount);

/** "$12.50", or "Unlimited" for a null cap. */
export const usd = (amount: string | null): string => (amount === null ? 'Unlimited' : dollars(amount));

/**
 * A name, note or reason someone typed, for mrkdwn: &, < and > escaped (no mentions,
 * links or tags), and a zero-width space after each of * _ ~ ` so they render as the
 * characters typed instead of starting bold, italics, strike-through or code.
 */
export function escText(text: string): string {
  return esc(text).replace(/([*_~`])/g, '$1\u200b');
}

/** A date every reader sees in their own timezone, with a fallback in UTC in the one date format. */
export function slackDate(iso: string, format = '{date_short_pretty} at {time}'): string {
  const t = new Date(iso);
  const fallback = formatWhen(t, 'UTC');
  return `<!date^${Math.floor(t.getTime() / 1000)}^${format}|${fallback}>`;
}

export const mention = (slackUserId: string | null, name: string) => (slackUserId ? `<@${slackUserId}>` : `*${escText(name)}*`);

/** Splits a list into pages of at most `size` items (always at least one page). */
export function pages<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out.length ? out : [[]];
}

export const seatName = (tier: 'standard' | 'premium') => (tier === 'premium' ? 'Premium' : 'Standard');
