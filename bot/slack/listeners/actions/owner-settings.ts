// The owner's controls on the App Home "Usage settings" tab. Each handler checks the
// clicking user's stored role (owner) before anything else; the ledger's settings
// functions check it again and write the audit entry.
import type { AllMiddlewareArgs, BlockAction, ConversationsSelectAction, SlackActionMiddlewareArgs, StaticSelectAction } from '@slack/bolt';
import { isOwner } from '../../../../src/ledger/actors.js';
import { LedgerError } from '../../../../src/ledger/errors.js';
import { loadOrg } from '../../../../src/ledger/limits-state.js';
import { usageOverview } from '../../../../src/ledger/reports/reports.js';
import { setExtraUsage } from '../../../../src/ledger/settings/settings.js';
import { noBalanceWords } from '../../../../src/domain/alerts.js';
import { onWithoutBalance } from '../../../../src/domain/balance-watch.js';
import { setSlackAlertChannel } from '../../alert-channel.js';
import { originOf, parseJson, type ButtonArgs, type Origin } from '../../clicks.js';
import type { SlackDeps } from '../../deps.js';
import { identify, idsOf, type Linked } from '../../identity.js';
import { applyLimit, applyMemberExtraUsage, applySeatTier, describeLimit, parseSeatTier, parseTarget } from '../../limits.js';
import { ownersOnly, replyNotLinked, replyRefused } from '../../replies.js';
import { publishHome, type WebClient } from '../../surfaces.js';
import { adjustLimitModal, autoReloadModal, buyBalanceModal, doneModal, type LimitMeta } from '../../views/modals.js';

type SelectArgs = SlackActionMiddlewareArgs<BlockAction<ConversationsSelectAction>> & AllMiddlewareArgs;
type SeatArgs = SlackActionMiddlewareArgs<BlockAction<StaticSelectAction>> & AllMiddlewareArgs;
type AnyArgs = ButtonArgs | SelectArgs | SeatArgs;

/** The owner behind a click, or null after telling them why not. */
async function ownerOf(deps: SlackDeps, args: AnyArgs, origin: Origin): Promise<Linked | null> {
  const who = await identify(deps, idsOf(args.context, args.body, args.body.user.id), args.client);
  if (who.kind !== 'member') {
    await replyNotLinked(args.client, deps, who, origin);
    return null;
  }
  if (!isOwner(who.member)) {
    await replyRefused(args.client, deps, who, origin, ownersOnly(who.org.name));
    return null;
  }
  return who;
}

const pageOf = (origin: Origin) => (origin.kind === 'home' ? parseJson<{ page?: number }>(origin.privateMetadata, {}).page ?? 0 : 0);

async function settingsHome(client: WebClient, deps: SlackDeps, who: Linked, page: number, notice: string) {
  // Re-read the org and the member so the Home shows the values just written.
  const [org, member] = await Promise.all([loadOrg(deps.db, who.org.id), deps.db.member.findUniqueOrThrow({ where: { id: who.member.id } })]);
  await publishHome(client, deps, { ...who, org, member }, { tab: 'settings', page, notice });
}

async function refusedByLedger(client: WebClient, deps: SlackDeps, who: Linked, origin: Origin, err: unknown) {
  if (!(err instanceof LedgerError)) throw err;
  await replyRefused(client, deps, who, origin, err.message);
}

export const setExtraUsageSwitch = (deps: SlackDeps) => async (args: ButtonArgs) => {
  await args.ack();
  const origin = originOf(args.body);
  const who = await ownerOf(deps, args, origin);
  if (!who) return;
  const enabled = args.action.value === 'on';
  let after;
  try {
    after = await setExtraUsage(deps.db, who.org, who.member, { enabled });
  } catch (err) {
    return refusedByLedger(args.client, deps, who, origin, err);
  }
  // Team with nothing to spend: straight on to buying balance (the click's trigger opens the modal).
  if (onWithoutBalance(after)) {
    const words = `${noBalanceWords(after.balanceNanos - after.heldBalanceNanos)}.`;
    await args.client.views.open({ trigger_id: args.body.trigger_id, view: buyBalanceModal(pageOf(origin), `:warning: *Extra usage is on. ${words}* Buy balance to let members use it.`) });
    return settingsHome(args.client, deps, who, pageOf(origin), `:warning: Extra usage is on. *${words}* Buy balance to let members use it.`);
  }
  await settingsHome(args.client, deps, who, pageOf(origin), enabled ? ':white_check_mark: Extra usage is on.' : ':white_check_mark: Extra usage is off: members stop at their seat limit.');
};

/** All members, or selected members only (those whose own switch is on); the switch itself is left as it is. */
export const setExtraUsageScope = (deps: SlackDeps) => async (args: ButtonArgs) => {
  await args.ack();
  const origin = originOf(args.body);
  const who = await ownerOf(deps, args, origin);
  if (!who) return;
  const scope = args.action.value === 'all_members' ? 'all_members' : args.action.value === 'selected_members' ? 'selected_members' : null;
  if (!scope) return replyRefused(args.client, deps, who, origin, 'That is not a choice of who gets extra usage.');
  try {
    const org = await loadOrg(deps.db, who.org.id);
    await setExtraUsage(deps.db, org, who.member, { enabled: org.extraUsageEnabled, scope });
  } catch (err) {
    return refusedByLedger(args.client, deps, who, origin, err);
  }
  await settingsHome(args.client, deps, who, pageOf(origin), scope === 'all_members' ? ':white_check_mark: Extra usage now goes to all members.' : ':white_check_mark: Extra usage now goes to selected members only: turn it on for someone with *Edit limit or seat*.');
};

export const openAdjustLimit = (deps: SlackDeps) => async (args: ButtonArgs) => {
  await args.ack();
  const origin = originOf(args.body);
  const who = await ownerOf(deps, args, origin);
  if (!who) return;
  const target = parseTarget(parseJson(args.action.value, null));
  const what = target ? await describeLimit(deps, who, target) : null;
  if (!target || !what) return replyRefused(args.client, deps, who, origin, 'That limit is not one of your organisation\'s.');
  await args.client.views.open({ trigger_id: args.body.trigger_id, view: adjustLimitModal(target, what, pageOf(origin)) });
};

export const openAutoReload = (deps: SlackDeps) => async (args: ButtonArgs) => {
  await args.ack();
  const origin = originOf(args.body);
  const who = await ownerOf(deps, args, origin);
  if (!who) return;
  const o = await usageOverview(deps.db, who.org, deps.now());
  if (!o.prepaid) return replyRefused(args.client, deps, who, origin, 'Auto-reload is only available on the team plan.');
  const r = o.prepaid.autoReload;
  await args.client.views.open({ trigger_id: args.body.trigger_id, view: autoReloadModal({ enabled: r.enabled, threshold: r.threshold, amount: r.amount }, pageOf(origin)) });
};

/** "Buy balance" (team owners): a modal asking the amount; its answer is a payment link. */
export const openBuyBalance = (deps: SlackDeps) => async (args: ButtonArgs) => {
  await args.ack();
  const origin = originOf(args.body);
  const who = await ownerOf(deps, args, origin);
  if (!who) return;
  if (who.org.plan !== 'team') return replyRefused(args.client, deps, who, origin, 'Prepaid balance is only available on the team plan.');
  await args.client.views.open({ trigger_id: args.body.trigger_id, view: buyBalanceModal(pageOf(origin)) });
};

export const pickAlertChannel = (deps: SlackDeps) => async (args: SelectArgs) => {
  await args.ack();
  const origin = originOf(args.body);
  const who = await ownerOf(deps, args, origin);
  if (!who) return;
  const channel = args.action.selected_conversation;
  try {
    await setSlackAlertChannel(deps.db, who.org, who.member, channel || null);
  } catch (err) {
    return refusedByLedger(args.client, deps, who, origin, err);
  }
  // Join public channels so alerts can be posted; a private one needs an invite.
  await args.client.conversations.join({ channel }).catch(() => undefined);
  await settingsHome(args.client, deps, who, pageOf(origin), `:white_check_mark: Cap alerts now go to <#${channel}>.`);
};

export const alertsByDm = (deps: SlackDeps) => async (args: ButtonArgs) => {
  await args.ack();
  const origin = originOf(args.body);
  const who = await ownerOf(deps, args, origin);
  if (!who) return;
  await setSlackAlertChannel(deps.db, who.org, who.member, null);
  await settingsHome(args.client, deps, who, pageOf(origin), ':white_check_mark: Cap alerts now go to owners by direct message.');
};

/**
 * A change made from inside the "Adjust limit" modal: the owner is checked, the
 * change applied (a refusal shown in place), then the modal and the Home say what changed.
 */
async function changeInModal(
  deps: SlackDeps,
  args: ButtonArgs | SeatArgs,
  title: string,
  apply: (who: NonNullable<Awaited<ReturnType<typeof ownerOf>>>, target: NonNullable<ReturnType<typeof parseTarget>>) => Promise<string | null>,
) {
  const origin = originOf(args.body);
  if (origin.kind !== 'modal') return;
  const who = await ownerOf(deps, args, origin);
  if (!who) return;
  const meta = parseJson<Partial<LimitMeta>>(origin.privateMetadata, {});
  const target = parseTarget(meta.target);
  if (!target || !(await describeLimit(deps, who, target))) return replyRefused(args.client, deps, who, origin, 'That limit is not one of your organisation\'s.');
  let done: string | null;
  try {
    done = await apply(who, target);
  } catch (err) {
    return refusedByLedger(args.client, deps, who, origin, err);
  }
  if (done === null) return replyRefused(args.client, deps, who, origin, 'That member is not one of your organisation\'s.');
  await args.client.views.update({ view_id: origin.viewId, view: doneModal(title, `:white_check_mark: ${done}`) });
  await settingsHome(args.client, deps, who, meta.page ?? 0, `:white_check_mark: ${done}`);
}

/** "Set to unlimited" inside the "Adjust limit" modal. */
export const setUnlimited = (deps: SlackDeps) => async (args: ButtonArgs) => {
  await args.ack();
  await changeInModal(deps, args, 'Limit updated', (who, target) => applyLimit(deps, who, target, null));
};

/** A member's own extra-usage switch inside their "Adjust limit" modal. */
export const setMemberExtraUsageSwitch = (deps: SlackDeps) => async (args: ButtonArgs) => {
  await args.ack();
  const enabled = args.action.value === 'on';
  await changeInModal(deps, args, 'Extra usage updated', async (who, target) => (target.kind === 'member' ? applyMemberExtraUsage(deps, who, target.memberId, enabled) : null));
};

/** The seat select inside a member's "Adjust limit" modal (confirmed by Slack before it is sent). */
export const setSeatTier = (deps: SlackDeps) => async (args: SeatArgs) => {
  await args.ack();
  const seatTier = parseSeatTier(args.action.selected_option?.value);
  await changeInModal(deps, args, 'Seat updated', async (who, target) => (target.kind === 'member' && seatTier ? applySeatTier(deps, who, target.memberId, seatTier) : null));
};
