// Adaptive Card 1.5 building blocks. Every button is an Action.Execute (universal
// action: an adaptiveCard/action invoke whose response replaces the card) with an
// Action.Submit fallback for clients without universal actions (a message activity
// carrying the same data). The data always carries the verb, so both arrive at the
// same handler.
import { ADAPTIVE_CARD, type CardAttachment } from '../activity.js';

export type CardElement = { type: string; [key: string]: unknown };
export type CardAction = { type: string; title?: string; [key: string]: unknown };

export interface AdaptiveCard {
  type: 'AdaptiveCard';
  $schema: string;
  version: '1.5';
  body: CardElement[];
  actions?: CardAction[];
  refresh?: { action: CardAction; userIds?: string[] };
  msteams?: { width: 'Full' };
  [key: string]: unknown;
}

export const SCHEMA = 'http://adaptivecards.io/schemas/adaptive-card.json';

/** Teams refuses messages above about 28 KB; cards stay well below. */
export const MAX_CARD_BYTES = 28_000;

export interface RefreshSpec {
  verb: string;
  data?: Record<string, unknown>;
  /** Users (Teams MRIs, "29:…") whose client refreshes the card by itself. */
  userIds?: string[];
}

export function card(body: CardElement[], opts: { actions?: CardAction[]; refresh?: RefreshSpec | null } = {}): AdaptiveCard {
  return {
    type: 'AdaptiveCard',
    $schema: SCHEMA,
    version: '1.5',
    body,
    ...(opts.actions && opts.actions.length ? { actions: opts.actions } : {}),
    ...(opts.refresh
      ? {
          refresh: {
            action: { type: 'Action.Execute', title: 'Refresh', verb: opts.refresh.verb, data: { ...opts.refresh.data, verb: opts.refresh.verb } },
            ...(opts.refresh.userIds && opts.refresh.userIds.length ? { userIds: opts.refresh.userIds.slice(0, 60) } : {}),
          },
        }
      : {}),
    msteams: { width: 'Full' },
  };
}

export interface ActionOptions {
  style?: 'positive' | 'destructive';
  /** 'none': send no input values (e.g. "Set to unlimited"). */
  associatedInputs?: 'auto' | 'none';
  isEnabled?: boolean;
  id?: string;
  tooltip?: string;
}

/** A button: Action.Execute with verb and data, falling back to Action.Submit with the same data. */
export function execute(title: string, verb: string, data: Record<string, unknown> = {}, opts: ActionOptions = {}): CardAction {
  const payload = { ...data, verb };
  const common = {
    title,
    data: payload,
    ...(opts.style ? { style: opts.style } : {}),
    ...(opts.associatedInputs ? { associatedInputs: opts.associatedInputs } : {}),
    ...(opts.isEnabled === false ? { isEnabled: false } : {}),
    ...(opts.tooltip ? { tooltip: opts.tooltip } : {}),
  };
  return { type: 'Action.Execute', ...(opts.id ? { id: opts.id } : {}), verb, ...common, fallback: { type: 'Action.Submit', ...common } };
}

/** A button that unfolds a small form (inputs and its own buttons) inside the card. */
export function showCard(title: string, body: CardElement[], actions: CardAction[]): CardAction {
  return { type: 'Action.ShowCard', title, card: { type: 'AdaptiveCard', body, actions } };
}

export const text = (value: string, opts: Record<string, unknown> = {}): CardElement => ({ type: 'TextBlock', text: value, wrap: true, ...opts });

/**
 * Text as typed (names, reasons): a RichTextBlock's TextRuns are never read as
 * markdown, so "*" or "[x](…)" in a name shows as it is.
 */
export const plainText = (runs: (string | { text: string; [key: string]: unknown })[], opts: Record<string, unknown> = {}): CardElement => ({
  type: 'RichTextBlock',
  inlines: runs.map((r) => ({ type: 'TextRun', ...(typeof r === 'string' ? { text: r } : r) })),
  ...opts,
});

/** A title and a subtitle; the subtitle (org and people's names) as typed, never markdown. */
export const heading = (value: string, subtitle?: string): CardElement[] => [
  text(value, { size: 'Large', weight: 'Bolder', style: 'heading' }),
  ...(subtitle ? [plainText([{ text: subtitle, isSubtle: true }], { spacing: 'None' })] : []),
];

export const factSet = (facts: [string, string][], opts: Record<string, unknown> = {}): CardElement => ({ type: 'FactSet', facts: facts.map(([title, value]) => ({ title, value })), ...opts });

export const actionSet = (actions: CardAction[], opts: Record<string, unknown> = {}): CardElement => ({ type: 'ActionSet', actions, ...opts });

export const container = (items: CardElement[], opts: Record<string, unknown> = {}): CardElement => ({ type: 'Container', items, ...opts });

export const columns = (cols: { items: CardElement[]; width?: string }[], opts: Record<string, unknown> = {}): CardElement => ({
  type: 'ColumnSet',
  columns: cols.map((c) => ({ type: 'Column', width: c.width ?? 'stretch', items: c.items })),
  ...opts,
});

export interface Notice {
  tone: 'good' | 'warning' | 'attention' | 'accent';
  text: string;
}

/** A coloured banner at the top of a card: what just happened, or why not. Plain text: notices quote names and reasons. */
export const banner = (n: Notice): CardElement => container([plainText([{ text: n.text, weight: 'Bolder' }])], { style: n.tone, bleed: true, id: 'notice' });

export interface TextInputOptions {
  label: string;
  value?: string | undefined;
  placeholder?: string;
  multiline?: boolean;
  maxLength?: number;
  /** A validation error from the server, shown under the input. */
  error?: string | undefined;
}

export function textInput(id: string, o: TextInputOptions): CardElement[] {
  return [
    {
      type: 'Input.Text',
      id,
      label: o.label,
      ...(o.value ? { value: o.value } : {}),
      ...(o.placeholder ? { placeholder: o.placeholder } : {}),
      ...(o.multiline ? { isMultiline: true } : {}),
      ...(o.maxLength ? { maxLength: o.maxLength } : {}),
    },
    ...(o.error ? [text(o.error, { color: 'Attention', size: 'Small', spacing: 'None', id: `error:${id}` })] : []),
  ];
}

export const attachment = (c: AdaptiveCard): CardAttachment => ({ contentType: ADAPTIVE_CARD, content: c as unknown as Record<string, unknown> });

/** Every Action.Execute / Action.Submit in a card (with those inside Action.ShowCard), for tests and checks. */
export function actionsOf(c: { body?: unknown; actions?: unknown }): CardAction[] {
  const found: CardAction[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    if (n.type === 'Action.Execute') found.push(n as CardAction);
    for (const [key, value] of Object.entries(n)) if (key !== 'fallback' && key !== 'refresh') walk(value);
  };
  walk(c.body);
  walk(c.actions);
  return found;
}
