// Alerts (cap thresholds, balance, reloads, a member paused at the seat limit) as a
// message; the seat-limit one carries the "Request extra usage" button.
import type { AlertView } from '../../../src/notify/port.js';
import { context, esc, header, section, truncate, type Block } from './blocks.js';
import { requestButtonBlocks } from './member-usage.js';

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
  // Operators only (never sent to chat); here for completeness.
  usage_unpriced: ':warning:',
};

export function alertBlocks(a: AlertView, opts: { requestOpen?: boolean } = {}): Block[] {
  const facts = Object.entries(a.facts).slice(0, 10).map(([k, v]) => `*${esc(truncate(k, 100))}*\n${esc(truncate(v, 1500))}`);
  return [
    header(`${a.title}`, 'alert_title'),
    section(`${ICON[a.kind] ?? ''} ${esc(a.text)}`, { blockId: 'alert_text', ...(facts.length ? { fields: facts } : {}) }),
    ...(a.canRequestExtraUsage ? requestButtonBlocks(opts.requestOpen ? 'sent' : 'can_request') : []),
    context([`${esc(a.orgName)} · extra usage`], 'alert_footer'),
  ];
}

export const alertText = (a: AlertView) => truncate(`${a.title}: ${a.text}`, 3000);
