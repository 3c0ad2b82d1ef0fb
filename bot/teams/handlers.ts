// The bot's turn logic. Messages in the personal chat ("usage", "requests",
// "settings", "audit", "help"); card actions arrive as adaptiveCard/action invokes
// (Action.Execute, answered with the updated card) or, from clients without
// universal actions, as messages carrying the Action.Submit data (answered by
// updating the card message in place). Every action is authorised here from the
// stored role of the Member linked to the Teams user, and again by the ledger.
import { closedRequestWords } from '../../src/domain/requests.js';
import { claimClaudeCodeFromChat } from '../../src/services/claude-code-claim.js';
import { gatewayKeyFromChat } from '../../src/services/gateway-keys-chat.js';
import { handOutSignInLink } from '../../src/services/sign-in.js';
import { isAdmin, isOwner } from '../../src/ledger/actors.js';
import { linkChatUserByEmail } from '../../src/ledger/settings/chat-links.js';
import { LedgerError } from '../../src/ledger/errors.js';
import { loadOrg } from '../../src/ledger/limits-state.js';
import { pendingRequests } from '../../src/ledger/requests/requests.js';
import { setAutoReload, setExtraUsage, setMemberCap, setMemberExtraUsage, setMemberSeatTier, setOrgCap, setTierCap } from '../../src/ledger/settings/settings.js';
import { setOwnContinueChoice } from '../../src/ledger/settings/continue-choice.js';
import { formatUsd } from '../../src/domain/money.js';
import { noBalanceWords } from '../../src/domain/alerts.js';
import { onWithoutBalance } from '../../src/domain/balance-watch.js';
import type { DecisionInput } from '../../src/domain/requests.js';
import type { RequestView } from '../../src/notify/port.js';
import { ADAPTIVE_CARD, tenantOf, type InvokeResult, type Turn, type TurnLogic } from './activity.js';
import { INPUT, NOTE_MAX, parseCardAction, VERB, type ActionData, type CardActionInput, type SettingsScreen } from './actions.js';
import { readAmount } from './amounts.js';
import { attachment, type AdaptiveCard, type Notice } from './cards/card.js';
import { DIGEST_PAGE } from './cards/digest.js';
import { capText, seatName } from './cards/format.js';
import { helpCard, unknownTenantCard, unlinkedCard } from './cards/notices.js';
import type { DecisionForm, RequestOrigin } from './cards/request.js';
import { onChannelMessage } from './channel.js';
import { linkActor, rosterEmail, rosterLinks } from './roster.js';
import { isPersonal } from './conversations.js';
import type { TeamsDeps } from './deps.js';
import { identify, type Linked, type Who } from './identity.js';
import { auditScreen, listScreen, requestOf, requestScreen, settingsScreen, usageScreen } from './screens.js';

const cardResponse = (c: AdaptiveCard): InvokeResult => ({ status: 200, body: { statusCode: 200, type: ADAPTIVE_CARD, value: c } });
const errorResponse = (status: number, code: string, message: string): InvokeResult => ({ status: 200, body: { statusCode: status, type: 'application/vnd.microsoft.error', value: { code, message } } });

/** "<at>Extra usage</at> alerts here" → ["alerts", "here"]. */
export function commandWords(text: string | undefined): string[] {
  return (text ?? '').replace(/<at>[^<]*<\/at>/g, '').replace(/[^\p{L}\p{N}\s]/gu, ' ').trim().toLowerCase().split(/\s+/).filter(Boolean);
}

/** "<at>Extra usage</at> usage" → "usage". */
export const commandOf = (text: string | undefined): string => commandWords(text)[0] ?? '';

function whoCard(who: Exclude<Who, Linked>, email?: string | null): AdaptiveCard {
  if (who.kind === 'no_org') return unknownTenantCard(who.tenantId, who.aadObjectId);
  return unlinkedCard(who.aadObjectId ?? 'unknown (not a Teams user)', who.org, email ?? null);
}


const refusal = (text: string): Notice => ({ tone: 'attention', text });
const ONLY_ADMINS = 'Only admins and owners can decide requests. Nothing was changed.';
const ONLY_OWNERS = 'Only owners can change usage settings. Nothing was changed.';
const ONLY_OWNERS_AUDIT = 'Only owners can read the audit log.';
/** The ledger's words (it checks again): nobody decides their own request. */
const OWN_REQUEST = 'Nobody decides their own request: another admin or an owner must. Nothing was changed.';
/** A ledger message, saying once that nothing changed (some say it already). */
const nothingChanged = (message: string) => (/Nothing was changed\.$/.test(message) ? message : `${message}. Nothing was changed.`);

export function teamsLogic(deps: TeamsDeps): TurnLogic {
  const { db } = deps;

  async function onAction(turn: Turn, who: Linked, action: CardActionInput): Promise<AdaptiveCard> {
    const viewerId = turn.activity.from.id;
    const { org, member } = who;
    switch (action.verb) {
      case VERB.usageShow:
        return usageScreen(deps, org, member, { viewerId });

      case VERB.usageRequest: {
        // The request rule is the service's (one rule for the API, Slack and Teams): its refusal is shown as it is.
        const note = (action.inputs[INPUT.requestNote] ?? '').trim();
        if (note.length > NOTE_MAX) {
          return usageScreen(deps, org, member, { viewerId, notice: refusal('Nothing was sent: the note is too long.'), note: { value: note, error: `At most ${NOTE_MAX} characters (this is ${note.length}).` } });
        }
        try {
          const asked = await deps.requests.ask(org.id, member.id, note || null);
          const notice: Notice = asked.alreadyOpen
            ? { tone: 'accent', text: 'You already have a request waiting for an admin. You will hear back here and in your Inbox in the console.' }
            : { tone: 'good', text: 'Request sent to your admins. You will hear back here and in your Inbox in the console.' };
          return usageScreen(deps, org, member, { viewerId, requestOpen: true, notice });
        } catch (err) {
          if (!(err instanceof LedgerError)) throw err;
          return usageScreen(deps, org, member, { viewerId, notice: refusal(err.message) });
        }
      }

      case VERB.usageRaise: {
        // The service decides (stopped by a cap, one open request, within the org's cap): its refusal is shown as it is.
        const typed = (action.inputs[INPUT.raiseAmount] ?? '').trim();
        const note = (action.inputs[INPUT.requestNote] ?? '').trim();
        const amount = readAmount(typed);
        if (amount.kind !== 'amount' || amount.nanos === 0n) {
          return usageScreen(deps, org, member, { viewerId, notice: refusal('Nothing was sent: enter the new monthly limit.'), raiseAmount: { value: typed, error: amount.kind === 'invalid' ? amount.error : 'Enter the new monthly limit, more than zero, e.g. 100.00.' } });
        }
        if (note.length > NOTE_MAX) {
          return usageScreen(deps, org, member, { viewerId, notice: refusal('Nothing was sent: the note is too long.'), note: { value: note, error: `At most ${NOTE_MAX} characters (this is ${note.length}).` } });
        }
        try {
          await deps.requests.askRaise(org.id, member.id, { amount: formatUsd(amount.nanos), note: note || null });
          return usageScreen(deps, org, member, { viewerId, requestOpen: true, notice: { tone: 'good', text: 'Request sent to owners. You will hear back here and in your Inbox in the console.' } });
        } catch (err) {
          if (!(err instanceof LedgerError)) throw err;
          return usageScreen(deps, org, member, { viewerId, notice: refusal(err.message), raiseAmount: { value: typed, error: err.message } });
        }
      }

      case VERB.usageContinue:
        return continueChoice(turn, who, action.data.enabled);

      case VERB.requestView: {
        const d = action.data as ActionData<typeof VERB.requestView> & RequestOrigin;
        const screen = await requestScreen(deps, org, member, d, d.requestId);
        return screen ?? usageScreen(deps, org, member, { viewerId, notice: refusal('This request no longer exists.') });
      }

      case VERB.requestDecide:
        return decide(who, action.data as ActionData<typeof VERB.requestDecide> & RequestOrigin, action.inputs, viewerId);

      case VERB.digestView:
        return listScreen(deps, org, member, action.data.requestIds, action.data.list);

      case VERB.requestsList: {
        if (!isAdmin(member)) return usageScreen(deps, org, member, { viewerId, notice: refusal('Only admins and owners see the requests of the organisation.') });
        const pending = await pendingRequests(db, org.id);
        const shown = pending.slice(0, DIGEST_PAGE);
        const more = pending.length - shown.length;
        return listScreen(deps, org, member, shown.map((r) => r.requestId), 'pending', more > 0 ? { notice: { tone: 'accent', text: `Showing the ${shown.length} oldest of ${pending.length} waiting requests; decide these to see the next ones.` } } : {});
      }

      case VERB.settingsShow:
        if (!isOwner(member)) return usageScreen(deps, org, member, { viewerId, notice: refusal(ONLY_OWNERS) });
        return settingsScreen(deps, org.id, { screen: action.data.screen, page: action.data.page, ...(action.data.memberId ? { memberId: action.data.memberId } : {}) });

      case VERB.auditShow:
        if (!isOwner(member)) return usageScreen(deps, org, member, { viewerId, notice: refusal(ONLY_OWNERS_AUDIT) });
        return auditScreen(deps, org, action.data.before ?? null);

      case VERB.settingsExtraUsage:
      case VERB.settingsCap:
      case VERB.settingsSeat:
      case VERB.settingsMemberExtraUsage:
      case VERB.settingsAutoReload:
        if (!isOwner(member)) return usageScreen(deps, org, member, { viewerId, notice: refusal(ONLY_OWNERS) });
        return changeSettings(who, action);

      case VERB.settingsBuy:
        if (!isOwner(member)) return usageScreen(deps, org, member, { viewerId, notice: refusal(ONLY_OWNERS) });
        return buyBalance(who, action.data, action.inputs);
    }
  }

  /** "Get payment link": a Stripe Checkout link for the amount (or, ledger-only, the credit). */
  async function buyBalance(who: Linked, d: ActionData<typeof VERB.settingsBuy>, inputs: Record<string, string>): Promise<AdaptiveCard> {
    const orgId = who.org.id;
    const same = { screen: 'balance' as const, page: d.page, purchaseKey: d.purchaseKey };
    const again = (error: string) => settingsScreen(deps, orgId, { ...same, errors: { [INPUT.buyAmount]: error }, values: inputs });
    const amount = readAmount(inputs[INPUT.buyAmount]);
    if (amount.kind === 'empty') return again('Enter the amount to add.');
    if (amount.kind === 'invalid') return again(amount.error);
    if (amount.nanos === 0n) return again('The amount must be more than zero.');
    let outcome;
    try {
      outcome = await deps.purchases.buy(await loadOrg(db, orgId), who.member, { amountNanos: amount.nanos, idempotencyKey: `teams:${d.purchaseKey}` });
    } catch (err) {
      if (err instanceof LedgerError) return again(nothingChanged(err.message.charAt(0).toUpperCase() + err.message.slice(1)));
      deps.log(`teams: buy balance for ${who.org.slug} failed: ${String(err)}`);
      return again('The payment page could not be prepared just now. Nothing was charged; please try again in a minute.');
    }
    if (outcome.kind === 'checkout') {
      return settingsScreen(deps, orgId, { ...same, payment: { url: outcome.checkoutUrl, amount: formatUsd(outcome.amountNanos) }, notice: { tone: 'good', text: `Your payment link for ${capText(formatUsd(outcome.amountNanos))} is ready below.` } });
    }
    return settingsScreen(deps, orgId, { screen: 'balance', page: d.page, notice: { tone: 'good', text: `Added ${capText(formatUsd(outcome.entry.amountNanos))}. The prepaid balance is now ${capText(formatUsd(outcome.entry.balanceAfterNanos))}.` } });
  }

  async function decide(who: Linked, d: ActionData<typeof VERB.requestDecide> & RequestOrigin, inputs: Record<string, string>, viewerId: string): Promise<AdaptiveCard> {
    const { org, member } = who;
    const origin: RequestOrigin = d.card === 'request' ? { card: 'request', ...(d.reminder ? { reminder: true } : {}) } : { card: 'digest', requestIds: d.requestIds, list: d.list };
    const screen = async (o: { notice?: Notice; form?: DecisionForm | null }) =>
      (await requestScreen(deps, org, member, origin, d.requestId, o)) ?? usageScreen(deps, org, member, { viewerId, notice: refusal('This request no longer exists.') });
    // The clicking user's stored role decides, whatever the card says; nobody decides their own request.
    if (!isAdmin(member)) return screen({ notice: refusal(ONLY_ADMINS) });
    const asked = await requestOf(deps, org.id, d.requestId);
    if (asked?.requester.memberId === member.id) return screen({ notice: refusal(OWN_REQUEST) });

    const input: DecisionInput = { decision: d.decision };
    if (d.decision === 'enable_extra_usage') {
      const typed = inputs[INPUT.cap(d.requestId)] ?? '';
      const amount = readAmount(typed);
      if (amount.kind === 'invalid') return screen({ form: { requestId: d.requestId, decision: 'enable_extra_usage', value: typed, error: amount.error } });
      input.cap = amount.kind === 'amount' ? formatUsd(amount.nanos) : null;
    }
    if (d.decision === 'increase_limit') {
      const typed = inputs[INPUT.amount(d.requestId)] ?? '';
      const amount = readAmount(typed);
      if (amount.kind !== 'amount' || amount.nanos === 0n) return screen({ form: { requestId: d.requestId, decision: 'increase_limit', value: typed, error: amount.kind === 'invalid' ? amount.error : 'Enter the new limit, more than zero, e.g. 75.00.' } });
      // A request to raise a limit: our limits are monthly (its card has no period to choose).
      const period = asked?.raise ? 'monthly' : inputs[INPUT.period(d.requestId)];
      if (period !== 'daily' && period !== 'weekly' && period !== 'monthly') return screen({ form: { requestId: d.requestId, decision: 'increase_limit', value: typed, error: 'Choose when the limit resets: monthly, weekly or daily.' } });
      input.amount = formatUsd(amount.nanos);
      input.period = period;
    }
    if (d.decision === 'deny') {
      const reason = (inputs[INPUT.reason(d.requestId)] ?? '').trim();
      if (reason.length > 500) return screen({ form: { requestId: d.requestId, decision: 'deny', value: reason, error: `The reason is ${reason.length} characters long; at most 500, please.` } });
      input.reason = reason || null;
    }
    let view: RequestView;
    try {
      view = await deps.requests.decide(org.id, d.requestId, member.id, input);
    } catch (err) {
      if (!(err instanceof LedgerError)) throw err;
      const current = await requestOf(deps, org.id, d.requestId);
      if (err.status === 409 && current && current.status !== 'pending') {
        return screen({ notice: { tone: 'accent', text: closedRequestWords(current) } });
      }
      if (err.status === 404 || !current) return usageScreen(deps, org, member, { viewerId, notice: refusal('This request no longer exists.') });
      return screen({ notice: refusal(nothingChanged(err.message)) });
    }
    const done =
      view.decision === 'upgrade_seat'
        ? `Done: ${view.requester.name} now has a ${seatName('premium').toLowerCase()} seat.`
        : view.decision === 'enable_extra_usage'
          ? `Done: extra usage is on for ${view.requester.name} (${view.decisionCap ? `limit ${capText(view.decisionCap)} a month` : 'no limit of their own'}).`
          : view.decision === 'increase_limit' && view.raise
            ? `Done: the limit is now ${view.decisionCap ? capText(view.decisionCap) : 'raised'} a month.`
          : view.decision === 'increase_limit'
            ? `Done: ${view.requester.name}'s spend limit is now ${view.decisionCap ? `${capText(view.decisionCap)} ${view.decisionPeriod ?? ''}`.trim() : 'raised'}.`
            : `Done: ${view.requester.name}'s request is denied.`;
    return screen({ notice: { tone: 'good', text: `${done} ${view.requester.name} is told.` } });
  }

  async function changeSettings(who: Linked, action: Extract<CardActionInput, { verb: typeof VERB.settingsExtraUsage | typeof VERB.settingsCap | typeof VERB.settingsSeat | typeof VERB.settingsMemberExtraUsage | typeof VERB.settingsAutoReload }>): Promise<AdaptiveCard> {
    const orgId = who.org.id;
    const page = action.data.page;
    const inputs = action.inputs;
    // Each change answers with the card of its own area.
    const screen: SettingsScreen =
      action.verb === VERB.settingsExtraUsage ? 'extra'
        : action.verb === VERB.settingsAutoReload ? 'balance'
          : action.verb === VERB.settingsCap && action.data.target !== 'member' ? 'caps'
            : 'members';
    const again = (errors: Record<string, string>, notice?: Notice) => settingsScreen(deps, orgId, { screen, page, errors, values: inputs, ...(notice ? { notice } : {}) });
    const ok = (text: string) => settingsScreen(deps, orgId, { screen, page, notice: { tone: 'good', text }, ...(screen === 'members' && inputs[INPUT.capMemberId] ? { values: { [INPUT.capMemberId]: inputs[INPUT.capMemberId]! } } : {}) });
    // Fresh org row: the ledger functions compare plans and write the audit entry from it.
    const org = await loadOrg(db, orgId);
    try {
      if (action.verb === VERB.settingsExtraUsage) {
        const enabled = inputs[INPUT.extraUsageEnabled] === 'true';
        const scope = inputs[INPUT.extraUsageScope];
        if (scope !== undefined && scope !== 'all_members' && scope !== 'selected_members') return again({ [INPUT.extraUsageScope]: 'Choose "All members" or "Selected members only".' });
        const after = await setExtraUsage(db, org, who.member, { enabled, ...(scope ? { scope } : {}) });
        // Team with nothing to spend: straight on to buying balance (the Balance card, its Buy form).
        if (onWithoutBalance(after)) {
          return settingsScreen(deps, orgId, { screen: 'balance', page, notice: { tone: 'warning', text: `Extra usage is on. ${noBalanceWords(after.balanceNanos - after.heldBalanceNanos)}: buy balance below to let members use it.` } });
        }
        return ok(after.extraUsageEnabled ? `Extra usage is now on for ${after.extraUsageScope === 'all_members' ? 'all members' : 'selected members'}.` : 'Extra usage is now off: members stop at their seat limit.');
      }

      if (action.verb === VERB.settingsCap) {
        const { target, unlimited, confirmed } = action.data;
        const inputId = target === 'org' ? INPUT.capOrg : target === 'member' ? INPUT.capMember : INPUT.capTier(target);
        let capNanos: bigint | null = null;
        if (unlimited && !confirmed) {
          // Removing a spending limit asks first; nothing changes until the owner says yes.
          if (target !== 'member') {
            const what = target === 'org' ? "the organisation's monthly limit" : `the ${target} seats' monthly limit`;
            return settingsScreen(deps, orgId, { screen, page, values: inputs, confirm: { target, what } });
          }
          const memberId = inputs[INPUT.capMemberId];
          if (!memberId) return again({ [INPUT.capMemberId]: 'Choose a member.' });
          const m = await db.member.findFirst({ where: { id: memberId, orgId, removedAt: null } });
          if (!m) return again({ [INPUT.capMemberId]: 'This member is not in the organisation (any more).' });
          return settingsScreen(deps, orgId, { screen, page, values: inputs, confirm: { target, memberId: m.id, what: `${m.name}'s own monthly limit` } });
        }
        if (!unlimited) {
          const amount = readAmount(inputs[inputId]);
          if (amount.kind === 'empty') return again({ [inputId]: 'Enter an amount, or use "Set to unlimited".' });
          if (amount.kind === 'invalid') return again({ [inputId]: amount.error });
          capNanos = amount.nanos;
        }
        const shown = capNanos === null ? 'unlimited' : capText(formatUsd(capNanos));
        if (target === 'org') {
          await setOrgCap(db, org, who.member, capNanos);
          return ok(`The organisation's monthly limit is now ${shown}.`);
        }
        if (target === 'member') {
          const memberId = inputs[INPUT.capMemberId];
          if (!memberId) return again({ [INPUT.capMemberId]: 'Choose a member.' });
          const m = await db.member.findFirst({ where: { id: memberId, orgId, removedAt: null } });
          if (!m) return again({ [INPUT.capMemberId]: 'This member is not in the organisation (any more).' });
          await setMemberCap(db, org, who.member, m.id, capNanos);
          return ok(`${m.name}'s monthly limit is now ${shown}${capNanos === null ? ' (seat-tier and organisation limits still apply)' : ''}.`);
        }
        await setTierCap(db, org, who.member, target, capNanos);
        return ok(`${seatName(target)} seats' monthly limit is now ${shown}.`);
      }

      if (action.verb === VERB.settingsMemberExtraUsage) {
        const memberId = inputs[INPUT.capMemberId];
        if (!memberId) return again({ [INPUT.capMemberId]: 'Choose a member.' });
        const m = await db.member.findFirst({ where: { id: memberId, orgId, removedAt: null } });
        if (!m) return again({ [INPUT.capMemberId]: 'This member is not in the organisation (any more).' });
        const { enabled } = action.data;
        if (m.extraUsageEnabled === enabled) return settingsScreen(deps, orgId, { screen, page, values: { [INPUT.capMemberId]: m.id }, notice: { tone: 'accent', text: `Extra usage is already ${enabled ? 'on' : 'off'} for ${m.name}. Nothing was changed.` } });
        await setMemberExtraUsage(db, org, who.member, m.id, enabled);
        const scopeNote = !org.extraUsageEnabled ? ' It takes effect when extra usage is on for the organisation.' : org.extraUsageScope === 'all_members' ? ' The organisation gives extra usage to all members at the moment, so this matters once it is set to selected members.' : '';
        return ok(`Extra usage is now ${enabled ? 'on' : 'off'} for ${m.name}.${scopeNote}`);
      }

      if (action.verb === VERB.settingsSeat) {
        const memberId = inputs[INPUT.capMemberId];
        const seat = inputs[INPUT.seatMember];
        if (!memberId) return again({ [INPUT.capMemberId]: 'Choose a member.' });
        if (seat !== 'standard' && seat !== 'premium') return again({ [INPUT.seatMember]: 'Choose a seat: standard or premium.' });
        const m = await db.member.findFirst({ where: { id: memberId, orgId, removedAt: null } });
        if (!m) return again({ [INPUT.capMemberId]: 'This member is not in the organisation (any more).' });
        if (m.seatTier === seat) return settingsScreen(deps, orgId, { screen, page, notice: { tone: 'accent', text: `${m.name} already has a ${seatName(seat).toLowerCase()} seat. Nothing was changed.` } });
        await setMemberSeatTier(db, org, who.member, m.id, seat);
        return ok(`${m.name} now has a ${seatName(seat).toLowerCase()} seat.`);
      }

      const enabled = inputs[INPUT.autoReloadEnabled] === 'true';
      const threshold = readAmount(inputs[INPUT.autoReloadThreshold]);
      const amount = readAmount(inputs[INPUT.autoReloadAmount]);
      const errors: Record<string, string> = {};
      if (threshold.kind === 'invalid') errors[INPUT.autoReloadThreshold] = threshold.error;
      if (amount.kind === 'invalid') errors[INPUT.autoReloadAmount] = amount.error;
      if (amount.kind === 'amount' && amount.nanos === 0n) errors[INPUT.autoReloadAmount] = 'The reload amount must be more than zero.';
      if (Object.keys(errors).length) return again(errors);
      const after = await setAutoReload(db, org, who.member, {
        enabled,
        thresholdNanos: threshold.kind === 'amount' ? threshold.nanos : null,
        amountNanos: amount.kind === 'amount' ? amount.nanos : null,
      });
      return ok(after.autoReloadEnabled ? `Auto-reload is on: ${capText(formatUsd(after.autoReloadAmountNanos ?? 0n))} is added when the balance reaches ${capText(formatUsd(after.autoReloadThresholdNanos ?? 0n))}.` : 'Auto-reload is off.');
    } catch (err) {
      if (!(err instanceof LedgerError)) throw err;
      const field = { threshold: INPUT.autoReloadThreshold, amount: INPUT.autoReloadAmount, member: INPUT.capMemberId } as Record<string, string>;
      const inputId = err.field ? field[err.field] : undefined;
      const message = err.message.charAt(0).toUpperCase() + err.message.slice(1);
      if (inputId) return again({ [inputId]: `${message}.` });
      return again({}, refusal(`${message}. Nothing was changed.`));
    }
  }

  /** The member's own choice (for themselves only), audited via teams; their usage card with it in force. */
  async function continueChoice(turn: Turn, who: Linked, enabled: boolean): Promise<AdaptiveCard> {
    await setOwnContinueChoice(db, who.org.id, who.member, enabled, 'teams');
    const member = await db.member.findUniqueOrThrow({ where: { id: who.member.id } });
    const notice: Notice = enabled
      ? { tone: 'good', text: 'Saved: you continue on extra usage when your included usage runs out, billed at standard API rates, up to your limits.' }
      : { tone: 'accent', text: "Saved: you stop at your seat's limit when your included usage runs out, until it comes back." };
    return usageScreen(deps, who.org, member, { viewerId: turn.activity.from.id, notice });
  }

  async function onMessage(turn: Turn, who: Who, email: string | null): Promise<void> {
    const a = turn.activity;
    const submitted = a.value && typeof a.value === 'object' ? parseCardAction(undefined, a.value) : null;
    if (a.value !== undefined && a.value !== null && !submitted) {
      await turn.send({ text: 'That card is out of date. Write "usage" for a fresh one.' });
      return;
    }
    if (!isPersonal(a) && !submitted) {
      // A team channel or group chat: owners' alerts only; nothing personal is posted there.
      const words = commandWords(a.text);
      await onChannelMessage(deps, turn, who, words[0] ?? '', words[1] ?? '');
      return;
    }
    if (who.kind !== 'member') {
      await turn.send({ attachments: [attachment(whoCard(who, email))], summary: 'Your Teams account is not linked yet' });
      return;
    }
    if (submitted) {
      // Action.Submit fallback: the same handler; the card message is updated in place.
      const result = await onAction(turn, who, submitted);
      if (a.replyToId) await turn.update(a.replyToId, { attachments: [attachment(result)] });
      else await turn.send({ attachments: [attachment(result)] });
      return;
    }
    const command = commandOf(a.text);
    let result: AdaptiveCard;
    if (command === 'requests' || command === 'pending') result = await onAction(turn, who, { verb: VERB.requestsList, data: {}, inputs: {} });
    else if (command === 'settings') result = await onAction(turn, who, { verb: VERB.settingsShow, data: { page: 0, screen: 'menu' }, inputs: {} });
    else if (command === 'audit') result = await onAction(turn, who, { verb: VERB.auditShow, data: {}, inputs: {} });
    else if (command === 'signin') {
      // A single-use sign-in token for the API, bound to the member Teams vouched for; sent to this chat only.
      const link = await handOutSignInLink(db, { orgId: who.org.id, memberId: who.member.id, channel: 'teams', ...(deps.publicUrl ? { publicUrl: deps.publicUrl } : {}) }, deps.now());
      await turn.send({ text: link.instructions, summary: 'Your sign-in token' });
      return;
    }
    else if (command === 'claude' && commandWords(a.text)[1] === 'code') {
      // "claude-code <user.id>": claim the Claude Code whose telemetry names nobody.
      // The id as written (commandWords splits it at its dashes): the word after "claude-code".
      const id = /claude[\s-]code\s+(\S+)/i.exec((a.text ?? '').replace(/<at>[^<]*<\/at>/g, ''))?.[1];
      await turn.send({ text: await claimClaudeCodeFromChat(db, { orgId: who.org.id, member: who.member }, id, 'teams', deps.now()), summary: 'Your Claude Code' });
      return;
    }
    else if (command === 'key') {
      // "key [new <name> | list | revoke <prefix>]": personal gateway keys, answered in this personal chat only.
      // The words as written (commandWords would split a key's prefix at its underscore).
      const words = (a.text ?? '').replace(/<at>[^<]*<\/at>/g, '').trim().split(/\s+/).slice(1);
      await turn.send({ text: await gatewayKeyFromChat({ db, orgId: who.org.id, timezone: who.org.timezone, member: who.member, channel: 'teams', command: 'key', ...(deps.publicUrl ? { publicUrl: deps.publicUrl } : {}), now: deps.now() }, words), summary: 'Your gateway keys' });
      return;
    }
    // "continue" (or "continue off"): the member's own choice to continue on extra usage, in one step.
    else if (command === 'continue') {
      const arg = commandWords(a.text)[1];
      if (arg && arg !== 'off' && arg !== 'on') result = await usageScreen(deps, who.org, who.member, { viewerId: a.from.id, notice: refusal('Nothing was changed: write "continue" to continue on extra usage when your included usage runs out, or "continue off" to stop at your seat\'s limit.') });
      else result = await continueChoice(turn, who, arg !== 'off');
    }
    else if (command === 'help') result = helpCard(who.member.role, who.org.name);
    else if (command === 'usage' || command === '' || command === 'hi' || command === 'hello') result = await usageScreen(deps, who.org, who.member, { viewerId: a.from.id });
    else result = helpCard(who.member.role, who.org.name);
    await turn.send({ attachments: [attachment(result)], summary: 'Extra usage' });
  }

  async function onInvoke(turn: Turn, who: Who, email: string | null): Promise<InvokeResult> {
    const value = turn.activity.value as { action?: { type?: string; verb?: unknown; data?: unknown } } | undefined;
    if (!value?.action || value.action.type !== 'Action.Execute') return errorResponse(400, 'BadRequest', 'Expected an Action.Execute');
    if (who.kind !== 'member') return cardResponse(whoCard(who, email));
    const action = parseCardAction(value.action.verb, value.action.data);
    if (!action) return cardResponse(await usageScreen(deps, who.org, who.member, { viewerId: turn.activity.from.id, notice: refusal('That card is out of date; here is a fresh one.') }));
    return cardResponse(await onAction(turn, who, action));
  }

  /**
   * A Teams user no member is linked to yet: linked to the member with the email the
   * tenant's roster gives them (the ledger's rule: one active member with that address,
   * not already linked elsewhere by the document, audited). The email found, if any,
   * is kept for the "not linked" card.
   */
  async function linkByRoster(turn: Turn, who: Extract<Who, { kind: 'unlinked' }>): Promise<{ who: Who; email: string | null }> {
    if (!who.aadObjectId) return { who, email: null };
    let email: string | null = null;
    try {
      email = rosterEmail(await turn.rosterMember(turn.activity.from.id));
    } catch (err) {
      deps.log(`teams: roster look-up for ${who.aadObjectId} in ${who.org.slug} failed: ${String(err)}`);
      return { who, email: null };
    }
    if (!email) return { who, email: null };
    const member = await linkChatUserByEmail(db, { orgId: who.org.id, channel: 'teams', chatUserId: who.aadObjectId, email, actor: linkActor(who.tenantId, who.aadObjectId) });
    if (!member) return { who, email };
    deps.log(`teams: linked ${who.aadObjectId} to member ${member.externalId} of ${who.org.slug} by their email`);
    return { who: { kind: 'member', aadObjectId: who.aadObjectId, tenantId: who.tenantId, org: who.org, member }, email };
  }

  return async (turn) => {
    const a = turn.activity;
    let who = await identify(db, deps.settings.orgSlug, a);
    let email: string | null = null;
    if (who.kind === 'unlinked' && (a.type === 'message' || a.type === 'invoke' || a.type === 'conversationUpdate')) ({ who, email } = await linkByRoster(turn, who));
    if (who.kind !== 'no_org') await deps.conversations.remember(who.org.id, who.kind === 'member' ? who.member.id : null, a, turn.reference);
    // Installed in a team or for someone: the tenant is known from now on (chats can be opened proactively).
    const install = a.type === 'installationUpdate' || (a.type === 'conversationUpdate' && a.membersAdded?.some((m) => m.id === a.recipient.id));
    const removed = a.type === 'installationUpdate' && (a.action ?? '').startsWith('remove');
    if (install && who.kind !== 'no_org') {
      await deps.conversations.installed(who.org.id, a, turn.reference, removed);
      // In a team: its members are linked by their email now, so they are reachable before they write.
      if (!removed && !isPersonal(a)) {
        const org = who.org;
        try {
          const link = await rosterLinks(db, turn, org, tenantOf(a), (ids) => deps.conversations.rosterIds(org.id, ids));
          void link()
            .then((linked) => linked.length && deps.log(`teams: linked ${linked.length} member(s) of ${org.slug} by their email from the team's roster: ${linked.join(', ')}`))
            .catch((err) => deps.log(`teams: linking the team's roster of ${org.slug} failed: ${String(err)}`));
        } catch (err) {
          deps.log(`teams: reading the team's roster for ${org.slug} failed: ${String(err)}`);
        }
      }
    }
    if (a.type === 'installationUpdate') return;

    if (a.type === 'invoke') {
      if (a.name === 'adaptiveCard/action') return onInvoke(turn, who, email);
      return { status: 501 };
    }
    if (a.type === 'message') return onMessage(turn, who, email);
    if (a.type === 'conversationUpdate' && a.membersAdded?.some((m) => m.id === a.recipient.id) && a.conversation.conversationType === 'personal') {
      // Installed in someone's personal scope: say hello with what they can do.
      const welcome = who.kind === 'member' ? helpCard(who.member.role, who.org.name) : whoCard(who, email);
      await turn.send({ attachments: [attachment(welcome)], summary: 'Extra usage' });
    }
  };
}
