// Alerts (cap thresholds, balance, reloads, a member paused at the seat limit) as a
// message; the seat-limit one carries the "Request extra usage" button, and a cap
// alert sent to owners an "Adjust limit" button opening that limit's modal. Times are
// shown in the org's timezone, never as raw ISO.
import type { AlertView } from '../../../src/notify/port.js';
import { factText, formatWhen, localInstants } from '../../../src/domain/display.js';
import { actions, button, context, esc, escText, header, section, truncate, type Block } from './blocks.js';
import { ACTION } from './ids.js';
import { requestButtonBlocks } from './member-usage.js';
import type { LimitTarget } from './owner-settings.js';

const ICON: Record<AlertView['kind'], string> = {
  org_cap_threshold: ':chart_with_upwards_trend:',
  tier_cap_reached: ':octagonal_sign:',
  balance_low: ':warning:',
  reload_succeeded: ':white_check_mark:',
  reload_failed: ':x:',
  reload_limit_reached: ':warning:',
  seat_limit_reached: ':octagonal_sign:',
  member_cap_reached: ':octagonal_sign:',
  member_reactivated: ':arrow_forward:',
  invoice_ready: ':receipt:',
  claude_limit_threshold: ':chart_with_upwards_trend:',
  // Operators only (never sent to chat); here for completeness.
  usage_unpriced: ':warning:',
  notice_channel_failing: ':warning:',
  notice_channel_recovered: ':white_check_mark:',
};

/** "1 Jan 2027, 00:00 (Europe/Paris)": an instant as the org reads it (the shared formatter). */
export const orgTime = (iso: string, timezone: string): string => formatWhen(iso, timezone);

/** Every ISO instant in a text, in the org's timezone. */
export const localTimes = localInstants;

/** The limit a cap alert is about, which "Adjust limit" opens; null for other alerts. */
export function limitTargetOf(a: AlertView): LimitTarget | null {
  if (a.kind === 'org_cap_threshold') return { kind: 'org' };
  const tier = (a.facts.Tier ?? '').toLowerCase();
  if (a.kind === 'tier_cap_reached' && (tier === 'standard' || tier === 'premium')) return { kind: 'tier', tier };
  if (a.kind === 'member_cap_reached' && a.member) return { kind: 'member', memberId: a.member.memberId };
  return null;
}

export interface AlertOptions {
  requestOpen?: boolean;
  /** The org's IANA timezone: times are shown in it. */
  timezone?: string;
  /** Offer "Adjust limit" (owners' copies of a cap alert). */
  adjust?: boolean;
}

export function alertBlocks(a: AlertView, opts: AlertOptions = {}): Block[] {
  const tz = opts.timezone;
  const facts = Object.entries(a.facts).slice(0, 10).map(([k, v]) => `*${esc(truncate(k, 100))}*\n${escText(truncate(factText(k, v, tz), 1500))}`);
  const target = opts.adjust ? limitTargetOf(a) : null;
  return [
    header(localTimes(a.title, tz), 'alert_title'),
    section(`${ICON[a.kind] ?? ''} ${escText(localTimes(a.text, tz))}`, { blockId: 'alert_text', ...(facts.length ? { fields: facts } : {}) }),
    ...(a.canRequestExtraUsage ? requestButtonBlocks(opts.requestOpen ? 'sent' : 'can_request') : []),
    ...(target ? [actions([button('Adjust limit', ACTION.adjustLimit, JSON.stringify(target))], 'alert_adjust')] : []),
    context([`${esc(a.orgName)} · extra usage`], 'alert_footer'),
  ];
}

export const alertText = (a: AlertView, timezone?: string) => truncate(localTimes(`${a.title}: ${a.text}`, timezone), 3000);
