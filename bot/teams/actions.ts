// The card actions this bot understands: one verb per action, the card's data and
// the input values Teams merges into it. The same parse serves Action.Execute
// (adaptiveCard/action invoke: value.action.verb + value.action.data) and the
// Action.Submit fallback (a message whose value is the data, verb included).
// Nothing here grants anything: who may do what is decided from the stored member.
import { z } from 'zod';

export const VERB = {
  usageShow: 'usage.show',
  usageRequest: 'usage.request',
  /** A member stopped by a cap asks the owners to raise it (the amount typed, pre-filled with the suggestion). */
  usageRaise: 'usage.raise',
  /** The member's own choice to continue on extra usage when their seat's included usage runs out. */
  usageContinue: 'usage.continue',
  requestView: 'request.view',
  requestDecide: 'request.decide',
  digestView: 'digest.view',
  requestsList: 'requests.list',
  settingsShow: 'settings.show',
  settingsExtraUsage: 'settings.extraUsage',
  settingsCap: 'settings.cap',
  settingsSeat: 'settings.seat',
  /** Owners: one member's own extra-usage switch (the "Selected members only" scope). */
  settingsMemberExtraUsage: 'settings.memberExtraUsage',
  settingsAutoReload: 'settings.autoReload',
  /** Team owners: a payment link for the amount typed (never card details in chat). */
  settingsBuy: 'settings.buy',
  auditShow: 'audit.show',
} as const;

export type Verb = (typeof VERB)[keyof typeof VERB];

/** Input ids on the cards. Per-request inputs carry the request id, so a digest can hold many. */
export const INPUT = {
  cap: (requestId: string) => `cap:${requestId}`,
  reason: (requestId: string) => `reason:${requestId}`,
  /** A request from Claude: the new spend limit and the period it resets over. */
  amount: (requestId: string) => `amount:${requestId}`,
  period: (requestId: string) => `period:${requestId}`,
  extraUsageEnabled: 'extraUsageEnabled',
  extraUsageScope: 'extraUsageScope',
  capOrg: 'cap.org',
  capTier: (tier: 'standard' | 'premium') => `cap.${tier}`,
  capMember: 'cap.member',
  capMemberId: 'capMemberId',
  seatMember: 'seat.member',
  autoReloadEnabled: 'autoReloadEnabled',
  autoReloadThreshold: 'autoReloadThreshold',
  autoReloadAmount: 'autoReloadAmount',
  buyAmount: 'buyAmount',
  /** The member's optional note to the admins, sent with "Request extra usage". */
  requestNote: 'requestNote',
  /** "Ask to raise my limit": the new monthly limit asked for. */
  raiseAmount: 'raiseAmount',
} as const;

/** A note longer than this is refused (the same limit as Slack's request modal). */
export const NOTE_MAX = 500;

const id = z.string().min(1).max(200);
const page = z.coerce.number().int().min(0).max(10_000).default(0);

/** The settings are a menu and one card per area. */
export const SETTINGS_SCREENS = ['menu', 'extra', 'caps', 'balance', 'members'] as const;
export type SettingsScreen = (typeof SETTINGS_SCREENS)[number];
export type CapTarget = 'org' | 'standard' | 'premium' | 'member';
/** Where a request action was clicked: its own card, or a list of requests (digest or the pending list). */
const requestOrigin = z.discriminatedUnion('card', [
  z.object({ card: z.literal('request'), reminder: z.boolean().optional() }),
  z.object({ card: z.literal('digest'), requestIds: z.array(id).min(1).max(50), list: z.enum(['digest', 'pending']).default('digest') }),
]);

const schemas = {
  [VERB.usageShow]: z.object({}),
  [VERB.usageRequest]: z.object({}),
  [VERB.usageRaise]: z.object({}),
  [VERB.usageContinue]: z.object({ enabled: z.boolean() }),
  [VERB.requestView]: z.object({ requestId: id }).and(requestOrigin),
  [VERB.requestDecide]: z.object({ requestId: id, decision: z.enum(['upgrade_seat', 'enable_extra_usage', 'deny', 'increase_limit']) }).and(requestOrigin),
  [VERB.digestView]: z.object({ requestIds: z.array(id).min(1).max(50), list: z.enum(['digest', 'pending']).default('digest') }),
  [VERB.requestsList]: z.object({}),
  /** memberId: the members screen opens on that member's page, with them chosen (a member's cap alert). */
  [VERB.settingsShow]: z.object({ page, screen: z.enum(SETTINGS_SCREENS).default('menu'), memberId: id.optional() }),
  [VERB.settingsExtraUsage]: z.object({ page }),
  /** unlimited without confirmed: the card asks first; nothing changes. */
  [VERB.settingsCap]: z.object({ page, target: z.enum(['org', 'standard', 'premium', 'member']), unlimited: z.boolean().optional(), confirmed: z.boolean().optional() }),
  [VERB.settingsSeat]: z.object({ page }),
  [VERB.settingsMemberExtraUsage]: z.object({ page, enabled: z.boolean() }),
  [VERB.settingsAutoReload]: z.object({ page }),
  /** purchaseKey: made when the card was drawn, so clicking one card again is the same purchase. */
  [VERB.settingsBuy]: z.object({ page, purchaseKey: z.string().regex(/^[A-Za-z0-9-]{8,64}$/) }),
  /** The audit log page below entry `before` (the ledger's cursor); absent = the latest. */
  [VERB.auditShow]: z.object({ before: z.string().regex(/^\d{1,18}$/).optional() }),
} satisfies Record<Verb, z.ZodType>;

export type ActionData<V extends Verb> = z.infer<(typeof schemas)[V]>;

export type CardActionInput = {
  [V in Verb]: { verb: V; data: ActionData<V>; inputs: Record<string, string> };
}[Verb];

/** Values of the card's inputs (Teams sends them as strings, merged into the data). */
function inputsOf(raw: Record<string, unknown>): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) if (typeof value === 'string') inputs[key] = value;
  return inputs;
}

/**
 * The action in an invoke value ({action: {verb, data}}) or a submit message value
 * (the data itself). null when it is not one of ours or its data is malformed.
 */
export function parseCardAction(verb: unknown, rawData: unknown): CardActionInput | null {
  const data = rawData && typeof rawData === 'object' && !Array.isArray(rawData) ? (rawData as Record<string, unknown>) : {};
  const v = typeof verb === 'string' && verb ? verb : data.verb;
  if (typeof v !== 'string' || !(v in schemas)) return null;
  const parsed = schemas[v as Verb].safeParse(data);
  if (!parsed.success) return null;
  return { verb: v, data: parsed.data, inputs: inputsOf(data) } as CardActionInput;
}
