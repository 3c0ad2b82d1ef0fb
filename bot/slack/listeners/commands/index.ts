import type { App } from '@slack/bolt';
import type { SlackDeps } from '../../deps.js';
import { usageCommand } from './usage.js';

// The command's name is a setting (SLACK_COMMAND, default /usage): the manifest
// (npm run slack:manifest) and this listener take it from the same place.
const register = (app: App, deps: SlackDeps) => {
  app.command(deps.command, usageCommand(deps));
};

export default { register };
