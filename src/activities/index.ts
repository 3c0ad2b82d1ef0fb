// All activities, built from their dependencies.
import type { ActivityDeps } from './deps.js';
import { requestActivities } from './requests.js';
import { alertActivities } from './alerts.js';
import { autoReloadActivities } from './auto-reload.js';
import { digestActivities } from './digest.js';
import { billingActivities } from './billing.js';
import { operatorAlertActivities } from './operator-alerts.js';
import { anthropicActivities } from './anthropic.js';
import { keptInInbox } from './inbox.js';

export function createActivities(given: ActivityDeps) {
  // Every notice is also kept in its recipients' console inbox (src/activities/inbox.ts).
  const deps: ActivityDeps = { ...given, notifier: keptInInbox(given) };
  return {
    ...requestActivities(deps),
    ...alertActivities(deps),
    ...autoReloadActivities(deps),
    ...digestActivities(deps),
    ...billingActivities(deps),
    ...operatorAlertActivities(deps),
    ...anthropicActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
