// All activities, built from their dependencies.
import type { ActivityDeps } from './deps.js';
import { requestActivities } from './requests.js';

export function createActivities(deps: ActivityDeps) {
  return {
    ...requestActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
