import type { App } from '@slack/bolt';
import type { RecentMessages } from '../../clicks.js';
import type { SlackDeps } from '../../deps.js';
import { VIEW } from '../../views/ids.js';
import { submitDeny, submitEnableExtraUsage, submitIncreaseLimit } from './decision-modals.js';
import { submitAdjustLimit, submitAutoReload, submitBuyBalance } from './owner-modals.js';
import { submitRequestNote } from './request-note.js';
import { submitRaiseLimit } from './raise-limit.js';

const register = (app: App, deps: SlackDeps, recent: RecentMessages) => {
  app.view(VIEW.enableExtraUsage, submitEnableExtraUsage(deps, recent));
  app.view(VIEW.deny, submitDeny(deps, recent));
  app.view(VIEW.increaseLimit, submitIncreaseLimit(deps, recent));
  app.view(VIEW.requestNote, submitRequestNote(deps, recent));
  app.view(VIEW.raiseLimit, submitRaiseLimit(deps, recent));
  app.view(VIEW.adjustLimit, submitAdjustLimit(deps));
  app.view(VIEW.autoReload, submitAutoReload(deps));
  app.view(VIEW.buyBalance, submitBuyBalance(deps));
};

export default { register };
