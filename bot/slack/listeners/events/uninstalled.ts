// The app removed from a workspace (app_uninstalled) or its bot token revoked
// (tokens_revoked): the stored installation is deleted at once, so nothing keeps
// trying a dead token and the workspace is no longer tied to the org (a later
// install starts afresh from an install link). One workspace mode stores nothing:
// it only says in the log that SLACK_BOT_TOKEN no longer works.
import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { SlackDeps } from '../../deps.js';

type Args<E extends 'app_uninstalled' | 'tokens_revoked'> = SlackEventMiddlewareArgs<E> & AllMiddlewareArgs;

function workspaceOf(body: unknown, context: { teamId?: string; enterpriseId?: string; isEnterpriseInstall?: boolean }) {
  const b = body as { team_id?: string; enterprise_id?: string; is_enterprise_install?: boolean };
  return { teamId: context.teamId ?? b.team_id, enterpriseId: context.enterpriseId ?? b.enterprise_id, orgWide: !!(context.isEnterpriseInstall ?? b.is_enterprise_install) };
}

async function forget(deps: SlackDeps, why: string, body: unknown, context: Args<'app_uninstalled'>['context']) {
  const w = workspaceOf(body, context);
  const removed = await deps.workspaces.forget(w.orgWide ? undefined : w.teamId, w.enterpriseId, w.orgWide);
  deps.log(`slack: ${why} in ${w.orgWide ? `Enterprise Grid org ${w.enterpriseId}` : `workspace ${w.teamId}`}; ${removed > 0 ? `${removed} installation(s) removed` : 'no stored installation (SLACK_BOT_TOKEN no longer works: install the app again and restart with the new token)'}`);
}

export const appUninstalled = (deps: SlackDeps) => async ({ body, context }: Args<'app_uninstalled'>) => {
  await forget(deps, 'the app was uninstalled', body, context);
};

export const tokensRevoked = (deps: SlackDeps) => async ({ event, body, context }: Args<'tokens_revoked'>) => {
  // Only the bot token matters to us: a user token revoked changes nothing here.
  if (!(event.tokens.bot ?? []).length) return;
  await forget(deps, 'the bot token was revoked', body, context);
};
