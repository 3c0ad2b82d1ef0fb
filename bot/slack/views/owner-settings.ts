// The owner's "Usage" page in the App Home, mirroring Admin settings > Usage: the
// extra-usage switch, the org spending cap, seat-tier caps (Enterprise), prepaid
// balance and auto-reload (Team), where alerts go, and the individual seat limits
// table with "Edit limit or seat" (paged). For an org connected to Claude that table
// shows each member's limits in Claude instead (read-only here: their own limit is
// edited in the console, the others in claude.ai).
import type { types } from '@slack/bolt';
import { usdCents } from '../../../src/domain/display.js';
import { noBalanceWords } from '../../../src/domain/alerts.js';
import { parseUsd } from '../../../src/domain/money.js';
import { consoleLimitLink, ownerClaudeLimitLines, type LimitLine } from '../../../src/domain/member-limits.js';
import type { seatLimits, usageOverview } from '../../../src/ledger/reports/reports.js';
import { actions, button, context, divider, dollars, esc, escText, header, pages, section, seatName, truncate, usd, type Block } from './blocks.js';
import { ACTION, homePageAction } from './ids.js';

export type UsageOverview = Awaited<ReturnType<typeof usageOverview>>;
export type SeatLimits = Awaited<ReturnType<typeof seatLimits>>;

export const SEAT_LIMITS_PAGE_SIZE = 25;

/** The balance as the report gives it ("0.00", "-0.004") is nothing to spend. */
const noBalanceLeft = (balance: string) => (parseUsd(balance) ?? 0n) <= 0n;

export type LimitTarget = { kind: 'org' } | { kind: 'tier'; tier: 'standard' | 'premium' } | { kind: 'member'; memberId: string };

/** An org connected to Claude: each member's limit lines (the limits port) and the console's public address. */
export interface ClaudeSeatLimits {
  lines: ReadonlyMap<string, readonly LimitLine[]>;
  publicUrl: string | null;
}

/** A member's row for a connected org: their limits in Claude, and where their own limit is edited. */
function claudeSeatRow(m: SeatLimits['members'][number], claude: ClaudeSeatLimits): Block {
  const lines = ownerClaudeLimitLines(claude.lines.get(m.id) ?? [], usdCents).map((l) => `• ${esc(l)}`);
  const link = consoleLimitLink(claude.publicUrl, m.name);
  const edit = link ? `<${link}|Edit limit in the console>` : 'Edit limit in the console: its *Usage* page';
  return section(`*${escText(truncate(m.name, 150))}*\n${lines.join('\n')}\n${edit}`, { blockId: `seat_${m.id}` });
}

const adjust = (target: LimitTarget, label = 'Adjust limit') => button(label, ACTION.adjustLimit, JSON.stringify(target));

export function ownerSettingsBlocks(o: UsageOverview, seats: SeatLimits, opts: { alertChannelId: string | null; page: number; claude?: ClaudeSeatLimits | null }): Block[] {
  const blocks: Block[] = [header('Usage settings')];
  const on = o.extraUsage.enabled;
  const scope = o.extraUsage.scope === 'all_members' ? 'all members' : 'selected members';
  blocks.push(section(
    on ? `*Extra usage* is *on* for ${scope}: members keep working past their seat's included usage, billed at API rates within the limits below.`
      : '*Extra usage* is *off*: members stop at their seat\'s included usage and wait for it to reset.',
    {
      blockId: 'settings_extra_usage',
      accessory: on
        ? button('Turn off', ACTION.setExtraUsage, 'off', { style: 'danger', confirm: { title: 'Turn off extra usage?', text: 'Members will stop at their seat limit until it resets.', confirm: 'Turn off', style: 'danger' } })
        : button('Turn on', ACTION.setExtraUsage, 'on', { style: 'primary' }),
    },
  ));
  // Who gets it: everyone, or only members whose own switch is on (Edit limit or seat → Turn on for them).
  blocks.push(section(
    o.extraUsage.scope === 'all_members'
      ? '*Who:* all members.'
      : '*Who:* selected members only: those whose own extra usage is on (below, *Edit limit or seat*). The others stop at their seat limit and may ask.',
    {
      blockId: 'settings_scope',
      accessory: o.extraUsage.scope === 'all_members'
        ? button('Selected members only', ACTION.setScope, 'selected_members', { confirm: { title: 'Selected members only?', text: 'Only members whose own extra usage is on keep working past their seat limit; the others stop there and may ask.', confirm: 'Change' } })
        : button('All members', ACTION.setScope, 'all_members', { confirm: { title: 'Give it to all members?', text: 'Every member keeps working past their seat limit, within the limits below.', confirm: 'Change' } }),
    },
  ));
  blocks.push(section(`*Organisation monthly limit:* ${usd(o.orgCap.cap)}\nSpent this month (${o.period}): ${dollars(o.orgCap.monthToDateExtra)} of extra usage`, { blockId: 'settings_org_cap', accessory: adjust({ kind: 'org' }) }));
  if (o.org.plan === 'enterprise') {
    for (const t of o.seatTiers) {
      blocks.push(section(`*${seatName(t.tier)} seats' monthly limit:* ${usd(t.cap ?? null)}\nSpent this month: ${dollars(t.monthToDateExtra)} · included usage ${dollars(t.includedAllowance)} per ${t.windowMinutes ?? '?'}-minute window`, {
        blockId: `settings_tier_${t.tier}`,
        accessory: adjust({ kind: 'tier', tier: t.tier }),
      }));
    }
  }
  const noBalance = on && o.prepaid !== undefined && noBalanceLeft(o.prepaid.balance);
  if (o.prepaid) {
    const r = o.prepaid.autoReload;
    const reload = r.enabled
      ? `*Auto-reload:* on — when the balance reaches ${usd(r.threshold)}, add ${usd(r.amount)}${r.monthlyMax !== null ? ` (at most ${dollars(r.monthlyMax)} of reloads a month)` : ''}`
      : '*Auto-reload:* off';
    if (noBalance) blocks.push(section(`:warning: *${noBalanceWords(o.prepaid.balance)}.* Buy balance to let members use extra usage.`, { blockId: 'settings_no_balance' }));
    blocks.push(section(`*Prepaid balance:* ${dollars(o.prepaid.balance)}\n${reload}`, { blockId: 'settings_balance', accessory: button('Edit auto-reload', ACTION.editAutoReload, 'edit') }));
    blocks.push(actions([button('Buy balance', ACTION.buyBalance, 'buy')], 'settings_buy'));
  }
  const select: types.ConversationsSelect = {
    type: 'conversations_select',
    action_id: ACTION.alertChannel,
    placeholder: { type: 'plain_text', text: 'Pick a channel for alerts' },
    filter: { include: ['public', 'private'], exclude_bot_users: true },
    ...(opts.alertChannelId ? { initial_conversation: opts.alertChannelId } : {}),
  };
  blocks.push(section(
    opts.alertChannelId ? `*Cap alerts* go to <#${opts.alertChannelId}>. Invite the app there if it is private.` : '*Cap alerts* go to owners by direct message. Pick a channel to send them there instead.',
    { blockId: 'settings_alerts', accessory: select },
  ));
  if (opts.alertChannelId) blocks.push(actions([button('Send alerts by direct message', ACTION.alertsByDm, 'dm')], 'settings_alerts_dm'));

  blocks.push(divider('seat_limits_divider'), header('Individual seat limits', 'seat_limits_header'));
  const chunks = pages(seats.members, SEAT_LIMITS_PAGE_SIZE);
  const page = Math.min(Math.max(0, opts.page), chunks.length - 1);
  const rows = chunks[page]!;
  if (rows.length === 0) blocks.push(context(['No members yet.'], 'seat_limits_empty'));
  const claude = opts.claude ?? null;
  // The ledger's "Edit limit or seat" changes our cap, which does not apply to a connected org.
  if (claude) {
    blocks.push(context(['Limits in Claude, as Claude last reported them (refreshed every few minutes). Seat-tier, group and organization limits are changed in claude.ai; give a member a limit of their own in the console.'], 'seat_limits_claude'));
    blocks.push(...rows.map((m) => claudeSeatRow(m, claude)));
  }
  for (const m of claude ? [] : rows) {
    const paused = m.paused ? ' · :double_vertical_bar: *paused*' : '';
    blocks.push(section(
      `*${escText(truncate(m.name, 150))}* · ${seatName(m.seatTier)} · extra usage ${m.extraUsageEnabled ? (noBalance ? 'on — no balance' : 'on') : 'off'}\nLimit ${usd(m.cap)} · spent ${dollars(m.monthToDateExtra)} this month${paused}`,
      { blockId: `seat_${m.id}`, accessory: adjust({ kind: 'member', memberId: m.id }, 'Edit limit or seat') },
    ));
  }
  if (chunks.length > 1) {
    const nav = [];
    if (page > 0) nav.push(button('Previous', homePageAction('prev'), JSON.stringify({ tab: 'settings', page: page - 1 })));
    if (page < chunks.length - 1) nav.push(button('Next', homePageAction('next'), JSON.stringify({ tab: 'settings', page: page + 1 })));
    blocks.push(context([`Members ${page * SEAT_LIMITS_PAGE_SIZE + 1}–${page * SEAT_LIMITS_PAGE_SIZE + rows.length} of ${seats.members.length}`], 'seat_limits_count'));
    blocks.push(actions(nav, 'seat_limits_nav'));
  }
  blocks.push(context(['Changes apply at once and are recorded in the audit log.'], 'settings_footer'));
  return blocks;
}
