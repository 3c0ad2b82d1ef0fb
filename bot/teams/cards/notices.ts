// Short cards: not linked yet, tenant unknown, help, and a plain notice.
import type { Role } from '../../../src/ledger/actors.js';
import { VERB } from '../actions.js';
import { banner, card, execute, factSet, heading, plainText, text, type AdaptiveCard, type CardAction, type Notice } from './card.js';

/**
 * A Teams user no member of the org is linked to: their email (from the tenant's
 * roster) matches no member, or matches one the operator's document links to another
 * Teams account. Written for the employee: who can fix it and what to tell them.
 */
export function unlinkedCard(aadObjectId: string, org: { name: string; slug: string }, email: string | null = null): AdaptiveCard {
  return card([
    ...heading('Your Teams account is not linked yet', org.name),
    plainText([
      email
        ? `No member of ${org.name} has the email ${email}, the address Microsoft Teams gives your account. Ask an owner of ${org.name} to add you with that address (or to correct the one they have), then write "usage" again.`
        : `Microsoft Teams did not give an email address for your account, so it cannot be matched to a member of ${org.name}. Ask an owner of ${org.name} to link your Teams account, then write "usage" again.`,
    ], { id: 'unlinked-text' }),
    factSet([
      ...(email ? ([['Your email', email]] as [string, string][]) : []),
      ['Your Teams object id', aadObjectId],
    ], { id: 'link-facts' }),
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
    ['continue', 'continue on extra usage when your seat\'s included usage runs out ("continue off": stop at your seat\'s limit)'],
    ...(admin ? ([['requests', 'requests waiting for a decision']] as [string, string][]) : []),
    ...(owner ? ([['settings', 'extra usage switch, limits, balance and auto-reload'], ['audit', 'the audit log: who changed what, newest first'], ['alerts here', 'in a team channel (mention me): owners\' alerts are posted there too; "alerts off" stops it']] as [string, string][]) : []),
    ['signin', 'a single-use token to sign in to the API as yourself'],
    ['key', 'a personal key for Claude Code through this service (shown once); "key list", "key revoke <prefix>"'],
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
