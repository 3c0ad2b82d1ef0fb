// The operators' alert for usage kept unpriced (workflow id usage_unpriced/<day>/<subject>,
// so at most one a day per model or fee, however many records arrive).
import { proxyActivities } from '@temporalio/workflow';
import type { DeliveryOutcome } from '../src/activities/alerts.js';
import type { OperatorAlertActivities, UnpricedAlertInput } from '../src/activities/operator-alerts.js';

const acts = proxyActivities<OperatorAlertActivities>({
  startToCloseTimeout: '30 seconds',
  // As cap alerts: an SMTP outage must not drop it; each retry sends only through the channels still missing.
  scheduleToCloseTimeout: '1 day',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

export async function unpricedAlert(input: UnpricedAlertInput): Promise<DeliveryOutcome> {
  return acts.deliverUnpricedAlert(input);
}
