// Short cards: not linked yet, tenant unknown, help, and a plain notice.
import type { Role } from '../../../src/ledger/actors.js';
import { VERB } from '../actions.js';
import { banner, card, execute, factSet, heading, text, type AdaptiveCard, type CardAction, type Notice } from './card.js';

/** A Teams user whose Entra object id is not on any member of the org. */
export function unlinkedCard(aadObjectId: string, org: { name: string; slug: string }): AdaptiveCard {
  return card([
    ...heading('Your Teams account is not linked yet', org.name),
    text(`To see your usage and requests here, your Microsoft Entra object id must be added as \`teamsUserId\` to your member entry in ${org.name}'s organisation document. Send it to an owner of ${org.name} (or to the operator of the extra usage service), then write "usage" again.`),
    factSet([
      ['Your object id', aadObjectId],
      ['Organisation', org.slug],
    ], { id: 'link-facts' }),
    text(`Operator: PUT /v1/operator/orgs/${org.slug} with "teamsUserId": "${aadObjectId}" on your member.`, { isSubtle: true, size: 'Small', fontType: 'Monospace' }),
  ]);
}

/** A tenant that no organisation claims (and no single-org mode). */
export function unknownTenantCard(tenantId: string | undefined, aadObjectId: string | undefined): AdaptiveCard {
  return card([
    ...heading('This Teams organisation is not connected', 'Extra usage'),
    text('The extra usage service does not know which organisation this Microsoft Teams tenant belongs to. Ask its operator to link your tenant (Organization.teamsTenantId) or to run the bot for one organisation (TEAMS_ORG_SLUG).'),
    factSet([
      ['Tenant id', tenantId ?? 'unknown'],
      ['Your object id', aadObjectId ?? 'unknown'],
    ]),
  ]);
}

export function helpCard(role: Role, orgName: string): AdaptiveCard {
  const admin = role !== 'member';
  const owner = role === 'owner' || role === 'primary_owner';
  const commands: [string, string][] = [
    ['usage', 'your seat, included usage, extra usage and limits'],
    ...(admin ? ([['requests', 'requests waiting for a decision']] as [string, string][]) : []),
    ...(owner ? ([['settings', 'extra usage switch, limits, balance and auto-reload'], ['audit', 'the audit log: who changed what, newest first']] as [string, string][]) : []),
    ['signin', 'a single-use token to sign in to the API as yourself'],
    ['help', 'this message'],
  ];
  const actions: CardAction[] = [execute('Show my usage', VERB.usageShow, {}, { id: 'show-usage' })];
  if (admin) actions.push(execute('Pending requests', VERB.requestsList, {}, { id: 'pending-requests' }));
  if (owner) actions.push(execute('Usage settings', VERB.settingsShow, {}, { id: 'usage-settings' }));
  return card([...heading('Extra usage', orgName), text('Write one of these words to me:'), factSet(commands)], { actions });
}

export function noticeCard(notice: Notice, title?: string): AdaptiveCard {
  return card([banner(notice), ...(title ? heading(title) : [])]);
}
