// One alert per outbox event (workflow id `alert/<org slug>/<kind>/<event id>`): the activity decides
// whether it is new, a duplicate of an earlier crossing, or already sent.
import { proxyActivities } from '@temporalio/workflow';
import type { AlertActivities, DeliverAlertInput, DeliveryOutcome } from '../src/activities/alerts.js';

const acts = proxyActivities<AlertActivities>({
  startToCloseTimeout: '30 seconds',
  // A notifier outage must not drop the alert: keep trying, backing off, for a day.
  // Each retry sends only through the channels still missing (src/notify/fanout.ts);
  // after a day the workflow fails and the Temporal UI shows why.
  scheduleToCloseTimeout: '1 day',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

export async function capAlert(input: DeliverAlertInput): Promise<DeliveryOutcome> {
  return acts.deliverAlert(input);
}
