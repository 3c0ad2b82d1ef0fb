// Routes usage_unpriced outbox events to the operators' alert: one unpricedAlert
// workflow per model (or fee) per UTC day, its id derived from both, so a burst of a
// thousand unpriced records starts one workflow (the rest are duplicates Temporal
// refuses; this process also remembers the ids it started today and skips asking).
import { alertDay, unpricedAlertKey, unpricedSubjectOf } from '../domain/unpriced-alert.js';
import type { UnpricedAlertInput } from '../activities/operator-alerts.js';
import { startOnce, type OutboxRoute } from './outbox-relay.js';
import { ALERT_KIND, visibility } from './search-attributes.js';

export function unpricedAlertRoute(): OutboxRoute {
  let today = '';
  let started = new Set<string>();
  return async (e, ctx) => {
    const p = e.payload as { model: string; family: string; reason: string };
    const day = alertDay(e.createdAt);
    if (day !== today) {
      today = day;
      started = new Set();
    }
    const id = unpricedAlertKey(unpricedSubjectOf(p.family, p.reason), day);
    if (started.has(id)) return;
    const input: UnpricedAlertInput = { orgId: e.orgId, eventId: String(e.id), model: p.model, family: p.family, reason: p.reason, day };
    await startOnce(ctx, 'unpricedAlert', id, [input], visibility(ctx.client, [{ key: ALERT_KIND, value: 'usage_unpriced' }], `usage kept unpriced: ${p.family} (${p.reason}), ${day}`));
    started.add(id);
  };
}
