// App Home tabs and pages. The Home is rebuilt for the clicking user's stored role:
// asking for a tab that role does not allow shows "My usage" with a notice.
import { originOf, parseJson, type ButtonArgs } from '../../clicks.js';
import type { SlackDeps } from '../../deps.js';
import { identify, idsOf } from '../../identity.js';
import { publishHome } from '../../surfaces.js';
import type { HomeTab } from '../../views/home.js';

const TABS: HomeTab[] = ['me', 'requests', 'settings', 'audit'];

export const homeNavigation = (deps: SlackDeps) => async ({ ack, body, client, context, action }: ButtonArgs) => {
  await ack();
  if (originOf(body).kind !== 'home') return;
  const who = await identify(deps, idsOf(context, body, body.user.id), client);
  const wanted = parseJson<{ tab?: unknown; page?: unknown }>(action.value, {});
  const tab = TABS.includes(wanted.tab as HomeTab) ? (wanted.tab as HomeTab) : 'me';
  const page = Number.isInteger(wanted.page) ? Math.max(0, wanted.page as number) : 0;
  await publishHome(client, deps, who, { tab, page });
};
