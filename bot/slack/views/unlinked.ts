// What a Slack user sees when we cannot tell who they are in the ledger.
import { context, esc, section, type Block } from './blocks.js';

export function unlinkedBlocks(who: { kind: 'no_org'; slackUserId: string; teamId: string | undefined } | { kind: 'unlinked'; slackUserId: string; orgName: string }): Block[] {
  if (who.kind === 'no_org') {
    return [
      section(`:link: This Slack workspace is not connected to an organisation yet. Ask the operator of the extra usage service to install the app for your organisation.`, { blockId: 'unlinked' }),
      context([`Workspace id \`${esc(who.teamId ?? 'unknown')}\` · your Slack user id \`${esc(who.slackUserId)}\``], 'unlinked_ids'),
    ];
  }
  return [
    section(
      `:link: Your Slack account is not linked to a member of *${esc(who.orgName)}*, so I cannot show your usage or act for you.\n` +
        `Ask an admin or owner to add your Slack user id \`${esc(who.slackUserId)}\` as \`slackUserId\` on your entry in the organisation document (members list), then try again.`,
      { blockId: 'unlinked' },
    ),
    context([`Your Slack user id: \`${esc(who.slackUserId)}\``], 'unlinked_ids'),
  ];
}

export const unlinkedText = (slackUserId: string) => `Your Slack account (${slackUserId}) is not linked to a member: ask an admin to add your Slack user id to the organisation document.`;
