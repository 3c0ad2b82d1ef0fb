// Every workflow the worker runs. Workflow code imports nothing from Node.
export { extraUsageRequest } from './extra-usage-request.js';
export { dailyDigest } from './daily-digest.js';
export { capAlert } from './alerts.js';
export { unpricedAlert } from './operator-alerts.js';
export { autoReload } from './auto-reload.js';
export { monthEnd } from './month-end.js';
export { teamAutoReload } from './team-auto-reload.js';
export { anthropicPoll } from './anthropic-poll.js';
