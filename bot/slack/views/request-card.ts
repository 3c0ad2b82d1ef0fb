// A member's request for more usage as admins see it: the requester (mentioned once),
// their seat, when asked, the note, what the decider weighs (their extra spend this
// month, their limit, the org's budget left, an earlier denial) and the decision
// buttons; once closed, the outcome and who decided. No internal ids are shown.
import type { RequestView } from '../../../src/notify/port.js';
import { actions, button, context, dollars, esc, escText, header, mention, section, seatName, slackDate, truncate, usd, type Block } from './blocks.js';

/** Names are cut so a long one never pushes the outcome out of a block, and render as typed. */
const name = (n: string) => escText(truncate(n, 100));
const typed = (t: string, max: number) => escText(truncate(t, max));
import { ACTION, requestBlockId } from './ids.js';
import { CANCEL_WORDS, RAISE_MOOT_REASONS, type RaiseMootReason } from '../../../src/domain/requests.js';

/** A request to raise a limit closed because an owner's change made it moot. */
const mootRaise = (r: RequestView) => r.status === 'cancelled' && RAISE_MOOT_REASONS.includes(r.reason as RaiseMootReason);

const STATUS_LINE: Record<Exclude<RequestView['status'], 'pending'>, string> = {
  approved: ':white_check_mark: Approved',
  denied: ':no_entry_sign: Denied',
  expired: ':hourglass: Expired without a decision',
  cancelled: ':heavy_minus_sign: Cancelled',
  untracked: ':link: No longer tracked here',
};

const CANCEL_REASONS: Record<string, string> = {
  member_left: 'the member left the organisation',
  extra_usage_enabled: 'extra usage was turned on for them in the settings',
  withdrawn: 'the member withdrew it',
  limit_raised: 'an owner raised the limit to at least what was asked',
  limit_removed: 'an owner removed the limit (now unlimited)',
  extra_usage_turned_off: 'an owner turned extra usage off for them',
};

const PERIOD_WORD: Record<string, string> = { daily: 'daily', weekly: 'weekly', monthly: 'monthly' };
const PERIOD_NOUN: Record<string, string> = { daily: 'today', weekly: 'this week', monthly: 'this month' };
const SOURCE_WORD: Record<string, string> = { user: 'their own limit', seat_tier: 'their seat tier', rbac_group: 'their group', organization: 'the organization', organization_service: 'the organization' };

/** "limit $75.00 monthly", for a limit written through Anthropic. */
const newLimit = (r: RequestView) => `${usd(r.decisionCap)} ${PERIOD_WORD[r.decisionPeriod ?? ''] ?? ''}`.trim();

/** What was decided, in words: "premium seat", "extra usage, monthly limit $25.00". */
export function outcomeText(r: RequestView): string {
  if (r.status === 'pending') return 'Waiting for a decision';
  // The org disconnected from Claude: the request is still open there.
  if (r.status === 'untracked') return `${STATUS_LINE.untracked}: this organisation disconnected from Claude, so decide this request in claude.ai (it is still open there).`;
  const by = r.decidedBy ? ` by ${mention(r.decidedBy.slackUserId, truncate(r.decidedBy.name, 100))}` : r.anthropic ? ' in claude.ai' : '';
  const when = r.decidedAt ? ` ${slackDate(r.decidedAt)}` : '';
  let what = '';
  if (r.decision === 'upgrade_seat') what = ': moved to a premium seat';
  else if (r.decision === 'enable_extra_usage') what = `: extra usage on, monthly limit ${usd(r.decisionCap)}`;
  else if (r.decision === 'increase_limit' && r.raise) what = `: ${RAISE_WORD[r.raise.scope]} raised to ${usd(r.decisionCap)}`;
  else if (r.decision === 'increase_limit') what = r.decisionCap !== null ? `: spend limit raised to ${newLimit(r)}` : ': spend limit raised';
  let tail = '';
  if (r.status === 'denied' && r.reason) tail = `\n>${typed(r.reason, 500).replace(/\n/g, '\n>')}`;
  if (r.status === 'cancelled' && r.reason) tail = ` (${CANCEL_REASONS[r.reason] ?? typed(r.reason, 200)})`;
  return `${STATUS_LINE[r.status]}${what}${by}${when}${tail}`;
}

/** Said instead of the buttons to an admin or owner looking at their own request. */
export const OWN_REQUEST_TEXT = 'Your request: another admin or an owner decides it.';

/** Who is looking at a request: nobody decides their own, so the requester gets no buttons. */
export interface Viewer {
  memberId: string;
  /** False for an admin: a request to raise a limit then reads "an owner must decide" instead of buttons. */
  owner?: boolean;
}

/** Said instead of the buttons to an admin looking at a request to raise a limit. */
export const OWNER_DECIDES_TEXT = 'Only an owner can change a limit, so an owner must decide this request.';

const RAISE_WORD: Record<NonNullable<RequestView['raise']>['scope'], string> = { member: 'their monthly limit', tier: "their seat tier's monthly limit", org: "the organisation's monthly limit" };

const isOwn = (r: RequestView, viewer: Viewer | undefined) => !!viewer && viewer.memberId === r.requester.memberId;

/** The decision buttons; "Upgrade to premium" only for a standard seat. A request from Claude: "Increase limit" or "Deny". */
export function decisionButtons(r: RequestView): Block {
  if (r.anthropic || r.raise) {
    return actions([
      button('Increase limit', ACTION.increaseLimit, r.requestId, { style: 'primary' }),
      button('Deny', ACTION.deny, r.requestId, { style: 'danger' }),
    ], requestBlockId(r.requestId, 'actions'));
  }
  const upgrade = r.seatTier === 'standard'
    ? [button('Upgrade to premium', ACTION.upgradeSeat, r.requestId, {
        style: 'primary',
        confirm: { title: 'Upgrade to premium?', text: `Move ${name(r.requester.name)} to a premium seat now.`, confirm: 'Upgrade' },
      })]
    : [];
  return actions([
    ...upgrade,
    button('Enable extra usage', ACTION.enableExtraUsage, r.requestId, r.seatTier === 'standard' ? {} : { style: 'primary' }),
    button('Deny', ACTION.deny, r.requestId, { style: 'danger' }),
  ], requestBlockId(r.requestId, 'actions'));
}

function summary(r: RequestView): string {
  const note = r.note ? `\n>${typed(r.note, 500).replace(/\n/g, '\n>')}` : '';
  const where = r.anthropic ? ' in Claude (a spend limit increase request)' : '';
  if (r.raise) return `${mention(r.requester.slackUserId, truncate(r.requester.name, 100))} asks to raise ${RAISE_WORD[r.raise.scope]} (${dollars(r.raise.from)}); suggested ${dollars(r.raise.suggested)}.${note}${previousDenialText(r)}`;
  return `${mention(r.requester.slackUserId, truncate(r.requester.name, 100))} asks for more usage${where}.${note}${previousDenialText(r)}`;
}

/** A request from Claude: the limit they hit, where it comes from, and their spend, as Anthropic reported it. */
function anthropicFields(a: NonNullable<RequestView['anthropic']>): string[] {
  return [
    `*Their ${PERIOD_WORD[a.period]} limit*\n${a.limit === null ? 'No limit known' : dollars(a.limit)}${a.source ? ` (${SOURCE_WORD[a.source] ?? a.source})` : ''}`,
    `*Spent ${PERIOD_NOUN[a.period]}*\n${a.spent === null ? 'Not known' : dollars(a.spent)}`,
  ];
}

/** Their own limit; "Extra usage off" when they have none at all (a cap then means nothing). */
const limitText = (c: NonNullable<RequestView['context']>) => (c.extraUsage === false ? 'Extra usage off' : usd(c.cap));

/** The decider's context as card fields (while the request waits). */
function contextFields(r: RequestView): string[] {
  if (r.anthropic) return anthropicFields(r.anthropic);
  const c = r.context;
  if (!c) return [];
  return [
    `*Extra usage this month*\n${dollars(c.monthToDateExtra)}`,
    `*Their monthly limit*\n${limitText(c)}`,
    `*Organisation budget left*\n${c.orgRemaining === null ? 'No organisation limit' : `${dollars(c.orgRemaining)} this month`}`,
  ];
}

/** The same in one line, for lists (digest, App Home). */
function contextLine(r: RequestView): string {
  if (r.anthropic) {
    const a = r.anthropic;
    return `\n${PERIOD_WORD[a.period]} limit ${a.limit === null ? 'none known' : dollars(a.limit)} · spent ${a.spent === null ? 'not known' : dollars(a.spent)}`;
  }
  const c = r.context;
  if (r.raise) return `\nAsks to raise ${RAISE_WORD[r.raise.scope]} (${dollars(r.raise.from)}) · suggested ${dollars(r.raise.suggested)}${c ? ` · this month ${dollars(c.monthToDateExtra)} extra` : ''}`;
  if (!c) return '';
  return `\nThis month ${dollars(c.monthToDateExtra)} extra · ${c.extraUsage === false ? 'extra usage off' : `limit ${usd(c.cap)}`} · org budget left ${c.orgRemaining === null ? 'no limit' : dollars(c.orgRemaining)}`;
}

/** The member's earlier denied request, so whoever decides this one sees it. */
function previousDenialText(r: RequestView): string {
  const d = r.previousDenial;
  if (!d) return '';
  const by = d.by ? ` by ${name(d.by.name)}` : '';
  return `\n:warning: Previously denied${by} ${slackDate(d.at)}${d.reason ? `: ${typed(d.reason, 300).replace(/\n/g, ' ')}` : ''}`;
}

/** The buttons for whoever decides; for the requester themself, a line saying who does. */
function decisionBlock(r: RequestView, viewer: Viewer | undefined): Block {
  if (isOwn(r, viewer)) return context([`:lock: ${OWN_REQUEST_TEXT}`], requestBlockId(r.requestId, 'own'));
  if (r.raise && viewer?.owner === false) return context([`:lock: ${OWNER_DECIDES_TEXT}`], requestBlockId(r.requestId, 'owner'));
  return decisionButtons(r);
}

/** The whole message an admin gets for one request (also its reminder). */
export function requestCardBlocks(r: RequestView, opts: { reminder?: boolean; viewer?: Viewer } = {}): Block[] {
  const blocks: Block[] = [
    header(opts.reminder ? 'Reminder: a request is waiting' : r.raise ? 'Request to raise a limit' : 'Request for extra usage', requestBlockId(r.requestId, 'header')),
    section(summary(r), {
      blockId: requestBlockId(r.requestId, 'summary'),
      fields: [`*Current seat*\n${seatName(r.seatTier)}`, `*Asked*\n${slackDate(r.requestedAt)}`, ...(r.status === 'pending' ? contextFields(r) : [])],
    }),
  ];
  if (r.status === 'pending') blocks.push(decisionBlock(r, opts.viewer));
  else blocks.push(section(outcomeText(r), { blockId: requestBlockId(r.requestId, 'outcome') }));
  blocks.push(context([`${name(r.orgName)} · extra usage requests`], requestBlockId(r.requestId, 'org')));
  return blocks;
}

/** A request in a list (digest, App Home), as `viewer` sees it: three blocks at most. */
export function requestRowBlocks(r: RequestView, viewer?: Viewer): Block[] {
  const line = `${mention(r.requester.slackUserId, truncate(r.requester.name, 100))} · ${seatName(r.seatTier)} seat · asked ${slackDate(r.requestedAt)}${r.note ? `\n>${typed(r.note, 300).replace(/\n/g, ' ')}` : ''}`;
  if (r.status !== 'pending') return [section(`${line}\n${outcomeText(r)}`, { blockId: requestBlockId(r.requestId, 'row') })];
  return [section(`${line}${contextLine(r)}${previousDenialText(r)}`, { blockId: requestBlockId(r.requestId, 'row') }), decisionBlock(r, viewer)];
}

export function requestText(r: RequestView): string {
  return truncate(r.status === 'pending'
    ? `${esc(r.requester.name)} (${seatName(r.seatTier)} seat) asks for more usage`
    : `${esc(r.requester.name)}'s request: ${STATUS_LINE[r.status].replace(/^:[a-z_]+: /, '')}${r.decidedBy ? ` by ${esc(r.decidedBy.name)}` : ''}`, 1000);
}

/** The requester's notice of the outcome. */
export function outcomeForRequesterBlocks(r: RequestView, command = '/usage'): Block[] {
  let text: string;
  const by = r.decidedBy ? ` by ${name(r.decidedBy.name)}` : '';
  switch (r.status) {
    case 'approved':
      text = r.decision === 'upgrade_seat'
        ? `:white_check_mark: Your request for more usage was approved${by}: you now have a *premium seat*.`
        : r.decision === 'increase_limit' && r.raise
          ? `:white_check_mark: Your request to raise ${RAISE_WORD[r.raise.scope].replace('their', 'your')} was approved${by}: it is now *${usd(r.decisionCap)}*.`
        : r.decision === 'increase_limit'
          ? `:white_check_mark: Your request for more usage was approved${by}: your spend limit is now *${r.decisionCap !== null ? newLimit(r) : 'raised'}*.`
          : `:white_check_mark: Your request for more usage was approved${by}: *extra usage is on* for you, monthly limit ${usd(r.decisionCap)}.`;
      break;
    case 'denied':
      text = `:no_entry_sign: Your request for more usage was denied${by}.${r.reason ? `\n>${typed(r.reason, 500).replace(/\n/g, '\n>')}` : ''}${r.mayAskAgainAt ? `\nYou may ask again from ${slackDate(r.mayAskAgainAt)}.` : ''}`;
      break;
    case 'expired':
      text = `:hourglass: Your request for more usage expired without a decision. You can ask again from \`${command}\`.`;
      break;
    case 'cancelled':
      text = mootRaise(r)
        ? `:heavy_minus_sign: Your request to raise your limit was closed: ${CANCEL_WORDS[r.reason as RaiseMootReason]}.`
        : `:heavy_minus_sign: Your request for more usage was closed: ${CANCEL_REASONS[r.reason ?? ''] ?? 'cancelled'}.`;
      break;
    default:
      text = 'Your request for more usage is waiting for an admin.';
  }
  return [section(text, { blockId: 'outcome' }), context([`Type \`${command}\` to see your usage and limits.`], 'outcome_hint')];
}

/**
 * Replaces one request's blocks in a message (a digest page, or the request card
 * itself) with its current state; the other requests of the page stay as they are.
 */
export function replaceRequestBlocks(blocks: Block[], r: RequestView, render: (r: RequestView) => Block[]): Block[] {
  const out: Block[] = [];
  let replaced = false;
  for (const b of blocks) {
    const id = (b as { block_id?: string }).block_id;
    if (id && id.startsWith(`req:${r.requestId}:`)) {
      if (!replaced) out.push(...render(r));
      replaced = true;
    } else out.push(b);
  }
  return replaced ? out : blocks;
}
