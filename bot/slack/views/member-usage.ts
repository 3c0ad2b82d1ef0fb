// What a member sees about their own usage (/usage and the App Home): seat and
// allowance window, extra usage on or off, month-to-date extra spend against each
// cap that applies, what stops them next and when it resets, and the request button.
import type { MemberUsageView } from '../../../src/ledger/metering/member-usage.js';
import { actions, button, context, dollars, dollarsExact, esc, header, section, seatName, slackDate, usd, type Block } from './blocks.js';
import { ACTION, BLOCK } from './ids.js';
import { claudeLimitWords, type LimitLine } from '../../../src/domain/member-limits.js';
import { usdCents } from '../../../src/domain/display.js';

export function nextRequestText(v: MemberUsageView): string {
  const n = v.next;
  if (n.allowed) return n.mode === 'included' ? ':large_green_circle: Your next request uses your seat\'s included usage.' : ':large_blue_circle: Your next request uses extra usage.';
  // The one wording every channel uses (src/domain/refusal-words.ts), with its link.
  return `:red_circle: You are paused: ${esc(v.refusal!.message)}`;
}

export type RequestButtonState = 'can_request' | 'can_raise' | 'sent' | 'sent_to_owners' | 'none';

/** The request button ("Ask to raise my limit" for a member stopped by a cap), or the line that replaces it once a request is open. */
export function requestButtonBlocks(state: RequestButtonState): Block[] {
  if (state === 'sent') return [context([':hourglass_flowing_sand: *Request sent to admin.* You will get a message here and in your Inbox in the console when they decide.'], BLOCK.requestSent)];
  if (state === 'sent_to_owners') return [context([':hourglass_flowing_sand: *Request sent to owners.* You will get a message here and in your Inbox in the console when they decide.'], BLOCK.requestSent)];
  if (state === 'can_request') {
    return [actions([button('Request extra usage', ACTION.requestExtraUsage, 'request', { style: 'primary' })], BLOCK.requestButton)];
  }
  if (state === 'can_raise') {
    return [actions([button('Ask to raise my limit', ACTION.requestRaiseLimit, 'raise', { style: 'primary' })], BLOCK.requestButton)];
  }
  return [];
}

/**
 * An org connected to Claude: the member's limits there (the limits port), what stops
 * them next, each period's limit, where it comes from and their spend, in cents.
 */
export function claudeLimitBlocks(lines: readonly LimitLine[]): Block[] {
  const w = claudeLimitWords(lines, usdCents);
  const list = w.lines.map((l) => `• ${l.label}: ${esc(l.text)}`).join('\n');
  return [
    section(`*Your limits in Claude*${list ? `\n${list}` : ''}`, { blockId: 'usage_claude' }),
    context([`${w.stopped ? ':red_circle:' : ':large_blue_circle:'} ${esc(w.next)}`, 'As Claude last reported it (refreshed every few minutes).'], 'usage_claude_next'),
  ];
}

/** "Continue on extra usage when my seat's included usage runs out": the member's choice, with the one button that changes it. */
export function continueBlock(v: MemberUsageView): Block {
  const c = v.continueChoice;
  const whose = c.setBy === 'member' ? 'your choice' : `your organisation's default`;
  const text = `Continue on extra usage when your seat's included usage runs out: *${c.enabled ? 'on' : 'off'}* (${whose}).`;
  const b = c.enabled
    ? button("Stop at my seat's limit", ACTION.setContinue, 'off')
    : button('Continue on extra usage', ACTION.setContinue, 'on', { style: 'primary' });
  return section(text, { blockId: BLOCK.continueChoice, accessory: b });
}

export function memberUsageBlocks(v: MemberUsageView, opts: { orgName: string; requestOpen: boolean; title?: string; claude?: readonly LimitLine[] | null }): Block[] {
  const a = v.allowance;
  const window = a.resetsAt ? `resets ${slackDate(a.resetsAt)}` : `a new ${Math.round(a.windowMinutes / 60 * 10) / 10}-hour window starts with your next request`;
  const extra = v.extraUsage.enabled
    ? 'Extra usage: *on* for you, billed at API rates within the limits below.'
    : v.extraUsage.orgEnabled ? 'Extra usage: *not on for you* (your organisation gives it to selected members).' : 'Extra usage: *off* for your organisation.';
  const capLines = v.caps.map((c) => (c.scope === 'balance'
    ? `• ${esc(c.label)}: ${dollarsExact(c.spent)}${c.reached ? ' — *used up*' : ''}`
    : c.scope === 'member' && !v.extraUsage.enabled ? `• ${esc(c.label)}: extra usage off`
    : `• ${esc(c.label)}: ${dollarsExact(c.spent)} of ${usd(c.cap)} this month${c.reached ? ' — *reached*' : ''}`));
  const state: RequestButtonState = opts.requestOpen ? (v.openRequestIsRaise ? 'sent_to_owners' : 'sent') : v.canRequestExtraUsage ? 'can_request' : v.raise ? 'can_raise' : 'none';
  return [
    header(opts.title ?? 'Your usage'),
    section(`*${seatName(v.seatTier)} seat* · ${esc(opts.orgName)}\nIncluded usage: *${dollarsExact(a.used)}* of ${dollars(a.included)} this window${a.exhausted ? ' — *used up*' : ''}, ${window}.`, { blockId: 'usage_seat' }),
    ...(opts.claude ? claudeLimitBlocks(opts.claude) : []),
    section(`${extra}\n*Month-to-date extra spend* (${v.period}):\n${capLines.join('\n')}`, { blockId: 'usage_caps' }),
    context([nextRequestText(v), `Monthly limits reset ${slackDate(v.monthResetsAt, '{date_short_pretty}')}.`], 'usage_next'),
    // Only where extra usage is on for them: otherwise there is nothing to continue on.
    ...(opts.claude || !v.continueChoice.extraUsageAvailable ? [] : [continueBlock(v)]),
    ...requestButtonBlocks(state),
  ];
}

/** The same message with its request button turned into "Request sent to admin" (or "… to owners" for a raise). */
export function markRequestSent(blocks: Block[], to: 'admin' | 'owners' = 'admin'): Block[] {
  return blocks.flatMap((b) => ((b as { block_id?: string }).block_id === BLOCK.requestButton ? requestButtonBlocks(to === 'owners' ? 'sent_to_owners' : 'sent') : [b]));
}
