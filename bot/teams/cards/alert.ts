// A cap alert (org thresholds, tier cap, balance low, reload outcomes) for owners,
// or a member's own alert (their cap reached, active again). The seat-limit alert
// of a member is their usage card instead (with "Request extra usage").
import { isOwnersAlert, type AlertView } from '../../../src/notify/port.js';
import { VERB } from '../actions.js';
import { card, container, execute, factSet, plainText, type AdaptiveCard, type CardAction } from './card.js';
import { factText } from '../../../src/domain/display.js';

const TONE: Record<AlertView['kind'], 'attention' | 'warning' | 'good' | 'accent'> = {
  org_cap_threshold: 'warning',
  tier_cap_reached: 'attention',
  balance_low: 'warning',
  reload_succeeded: 'good',
  reload_failed: 'attention',
  reload_limit_reached: 'attention',
  seat_limit_reached: 'warning',
  member_cap_reached: 'attention',
  member_reactivated: 'good',
  invoice_ready: 'accent',
  claude_limit_threshold: 'warning',
  // Operators only (never sent to chat); here for completeness.
  usage_unpriced: 'warning',
  notice_channel_failing: 'attention',
  notice_channel_recovered: 'good',
};

function ownerAction(a: AlertView): CardAction {
  const kind = a.kind;
  if (kind === 'org_cap_threshold' || kind === 'tier_cap_reached') return execute('Adjust limit', VERB.settingsShow, { screen: 'caps' }, { id: 'adjust-limit' });
  // Opens the members screen on that member, chosen in the limit editor.
  if (kind === 'member_cap_reached') return execute('Adjust limit', VERB.settingsShow, { screen: 'members', ...(a.member ? { memberId: a.member.memberId } : {}) }, { id: 'adjust-limit' });
  if (kind === 'balance_low' || kind.startsWith('reload_')) return execute('Balance and auto-reload', VERB.settingsShow, { screen: 'balance' }, { id: 'balance-settings' });
  return execute('Usage settings', VERB.settingsShow, {}, { id: 'usage-settings' });
}

export function alertCard(a: AlertView, timeZone: string, forOwner: boolean): AdaptiveCard {
  const tone = a.kind === 'org_cap_threshold' && a.facts.Threshold === '100%' ? 'attention' : TONE[a.kind];
  // Machine-readable instants (the "Resets" fact) become the org's local time.
  const facts = Object.entries(a.facts).map(([label, value]): [string, string] => [label, factText(label, value, timeZone)]);
  const actions: CardAction[] = [];
  // Owners land on the settings card that fixes what the alert is about.
  if (forOwner) actions.push(ownerAction(a));
  else if (a.member && !isOwnersAlert(a)) actions.push(execute('Show my usage', VERB.usageShow, {}, { id: 'show-usage' }));
  return card(
    [
      container([plainText([{ text: a.title, weight: 'Bolder', size: 'Medium' }])], { style: tone, bleed: true, id: 'alert' }),
      plainText([a.text], { id: 'alert-text' }),
      ...(facts.length ? [factSet(facts, { id: 'alert-facts' })] : []),
      plainText([{ text: a.orgName, isSubtle: true, size: 'Small' }]),
    ],
    { actions },
  );
}
