import type { App } from '@slack/bolt';
import type { SlackDeps } from '../../deps.js';
import { appHomeOpened } from './app-home-opened.js';

const register = (app: App, deps: SlackDeps) => {
  app.event('app_home_opened', appHomeOpened(deps));
};

export default { register };
