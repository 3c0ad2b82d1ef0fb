import type { App } from '@slack/bolt';
import type { SlackDeps } from '../../deps.js';
import { usageCommand } from './usage.js';

export const USAGE_COMMAND = '/usage';

const register = (app: App, deps: SlackDeps) => {
  app.command(USAGE_COMMAND, usageCommand(deps));
};

export default { register };
