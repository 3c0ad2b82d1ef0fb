// The App Home tab: the member's usage, plus requests (admins) and usage settings (owners).
import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { SlackDeps } from '../../deps.js';
import { identify, idsOf } from '../../identity.js';
import { publishHome } from '../../surfaces.js';

export const appHomeOpened = (deps: SlackDeps) => async ({ event, body, client, context }: SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs) => {
  if (event.tab !== 'home') return;
  const who = await identify(deps, idsOf(context, body, event.user), client);
  await publishHome(client, deps, who);
};
