import type { App, BlockAction, ButtonAction, ConversationsSelectAction, StaticSelectAction } from '@slack/bolt';
import type { RecentMessages } from '../../clicks.js';
import type { SlackDeps } from '../../deps.js';
import { ACTION, HOME_NAVIGATION } from '../../views/ids.js';
import { auditPaging } from './audit-log.js';
import { openDecisionModal, upgradeSeat } from './decide-request.js';
import { homeNavigation } from './home-navigation.js';
import { alertsByDm, openAdjustLimit, openAutoReload, openBuyBalance, pickAlertChannel, setExtraUsageScope, setExtraUsageSwitch, setMemberExtraUsageSwitch, setSeatTier, setUnlimited } from './owner-settings.js';
import { requestExtraUsage, requestRaiseLimit } from './request-extra-usage.js';
import { setContinueChoice } from './continue-choice.js';

const register = (app: App, deps: SlackDeps, recent: RecentMessages) => {
  app.action<BlockAction<ButtonAction>>(ACTION.requestExtraUsage, requestExtraUsage(deps, recent));
  app.action<BlockAction<ButtonAction>>(ACTION.requestRaiseLimit, requestRaiseLimit(deps, recent));
  app.action<BlockAction<ButtonAction>>(ACTION.setContinue, setContinueChoice(deps));
  app.action<BlockAction<ButtonAction>>(ACTION.upgradeSeat, upgradeSeat(deps));
  app.action<BlockAction<ButtonAction>>(ACTION.enableExtraUsage, openDecisionModal(deps, recent, 'enable'));
  app.action<BlockAction<ButtonAction>>(ACTION.deny, openDecisionModal(deps, recent, 'deny'));
  app.action<BlockAction<ButtonAction>>(ACTION.increaseLimit, openDecisionModal(deps, recent, 'increase'));
  app.action<BlockAction<ButtonAction>>(HOME_NAVIGATION, homeNavigation(deps));
  app.action<BlockAction<ButtonAction>>(ACTION.setExtraUsage, setExtraUsageSwitch(deps));
  app.action<BlockAction<ButtonAction>>(ACTION.adjustLimit, openAdjustLimit(deps));
  app.action<BlockAction<ButtonAction>>(ACTION.editAutoReload, openAutoReload(deps));
  app.action<BlockAction<ButtonAction>>(ACTION.buyBalance, openBuyBalance(deps));
  app.action<BlockAction<ConversationsSelectAction>>(ACTION.alertChannel, pickAlertChannel(deps));
  app.action<BlockAction<ButtonAction>>(ACTION.alertsByDm, alertsByDm(deps));
  app.action<BlockAction<ButtonAction>>(ACTION.setUnlimited, setUnlimited(deps));
  app.action<BlockAction<ButtonAction>>(ACTION.setScope, setExtraUsageScope(deps));
  app.action<BlockAction<ButtonAction>>(ACTION.setMemberExtraUsage, setMemberExtraUsageSwitch(deps));
  app.action<BlockAction<StaticSelectAction>>(ACTION.setSeatTier, setSeatTier(deps));
  app.action<BlockAction<ButtonAction>>(ACTION.auditOlder, auditPaging(deps));
  app.action<BlockAction<ButtonAction>>(ACTION.auditNewer, auditPaging(deps));
};

export default { register };
