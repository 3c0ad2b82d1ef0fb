// What a Slack user sees when we cannot tell who they are in the ledger. People are
// linked by the email Slack holds for them (bot/slack/identity.ts); when that finds
// nobody, only whoever keeps the member list (the operator's document) can help, so
// the message says what to ask them for, and never sends people to an admin in
// Slack, who cannot link anyone.
import { context, esc, section, truncate, type Block } from './blocks.js';

export type NotLinked =
  | { kind: 'no_org'; slackUserId: string; teamId: string | undefined }
  | { kind: 'unlinked'; slackUserId: string; orgName: string; email?: string | null | undefined; command?: string | undefined };

const KEEPER = 'whoever manages your organisation\'s member list for the extra usage service (usually IT, the operator of the service)';

export function unlinkedBlocks(who: NotLinked): Block[] {
  if (who.kind === 'no_org') {
    return [
      section(`:link: This Slack workspace is not connected to an organisation yet. Ask ${KEEPER} to install the app for your organisation.`, { blockId: 'unlinked' }),
      context([`Workspace id \`${esc(who.teamId ?? 'unknown')}\` · your Slack user id \`${esc(who.slackUserId)}\``], 'unlinked_ids'),
    ];
  }
  return [section(unlinkedLine(who, true), { blockId: 'unlinked' }), context([`Your Slack user id: \`${esc(who.slackUserId)}\``], 'unlinked_ids')];
}

function unlinkedLine(who: Extract<NotLinked, { kind: 'unlinked' }>, rich: boolean): string {
  const b = (s: string) => (rich ? `*${s}*` : s);
  const again = `type \`${who.command ?? '/usage'}\` again`;
  const email = who.email ? esc(truncate(who.email, 254)) : null;
  const org = b(esc(truncate(who.orgName, 100)));
  const found = email
    ? `No member of ${org} is listed with your Slack email ${b(email)} (or that member is linked to another Slack account).`
    : `Slack did not share a confirmed email address for your account, so I could not find you in ${org}.`;
  const ask = email
    ? `Ask ${KEEPER} to list ${b(email)} as the email on your member entry, then ${again}: you are linked on your next message.`
    : `Ask ${KEEPER} to add your Slack user id \`${esc(who.slackUserId)}\` to your member entry, then ${again}.`;
  return `:link: Your Slack account is not linked to a member of ${org} yet. ${found}\n${ask} Admins and owners in Slack cannot link accounts.`;
}

export const unlinkedText = (who: Extract<NotLinked, { kind: 'unlinked' }>) => unlinkedLine(who, false).replace(/^:link: /, '');
