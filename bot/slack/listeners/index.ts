// Every listener of the app, each kind registering its own.
import type { App } from '@slack/bolt';
import { RecentMessages } from '../clicks.js';
import type { SlackDeps } from '../deps.js';
import actions from './actions/index.js';
import commands from './commands/index.js';
import events from './events/index.js';
import views from './views/index.js';

export function registerListeners(app: App, deps: SlackDeps): void {
  const recent = new RecentMessages();
  commands.register(app, deps);
  events.register(app, deps);
  actions.register(app, deps, recent);
  views.register(app, deps, recent);
}
