// The operators' alert for usage kept unpriced: once per model (or fee) per UTC day,
// to the operators' email and the log (never to an org's chat or people), naming the
// model, the orgs and counts, and the API call that prices it. The workflow id already
// makes it once a day; the AlertDelivery row makes a retried activity send it once.
import { unpricedAlertKey, unpricedAlertText, unpricedSubjectOf } from '../domain/unpriced-alert.js';
import { claimDelivery, markDelivered } from '../ledger/notices/deliveries.js';
import { pinnedMapPriceOf } from '../ledger/metering/seed-prices.js';
import type { AlertView, Person } from '../notify/port.js';
import type { ActivityDeps } from './deps.js';
import type { DeliveryOutcome } from './alerts.js';

export interface UnpricedAlertInput {
  /** The org and outbox event that started it (the delivery row is kept under that org). */
  orgId: string;
  eventId: string;
  model: string;
  family: string;
  /** The stored reason: model_unpriced, or fee_unpriced:… / modifier_unpriced:… */
  reason: string;
  /** UTC day, YYYY-MM-DD. */
  day: string;
}

/** The operators as recipients: one per OPERATOR_EMAIL address, or one without email (the log only). */
export function operatorPeople(emails: readonly string[]): Person[] {
  const person = (email: string | null, i: number): Person => ({
    memberId: `operator-${i}`, externalId: 'operator', name: 'Operators', role: 'owner', seatTier: 'standard', email, slackUserId: null, teamsUserId: null,
  });
  return emails.length ? emails.map((e, i) => person(e, i)) : [person(null, 0)];
}

export function operatorAlertActivities(deps: ActivityDeps) {
  const { db } = deps;

  async function deliverUnpricedAlert(input: UnpricedAlertInput): Promise<DeliveryOutcome> {
    const operators = deps.operators;
    if (!operators) return 'not_applicable';
    const subject = unpricedSubjectOf(input.family, input.reason);
    const where = subject.kind === 'model' ? { pricedAt: null, family: subject.name, reason: 'model_unpriced' } : { pricedAt: null, reason: subject.reason };
    const [byOrg, first] = await Promise.all([
      db.unpricedUsage.groupBy({ by: ['orgId'], where, _count: { _all: true } }),
      db.unpricedUsage.findFirst({ where, orderBy: { occurredAt: 'asc' }, select: { occurredAt: true } }),
    ]);
    const orgs = await db.organization.findMany({ where: { id: { in: [...byOrg.map((g) => g.orgId), input.orgId] } }, select: { id: true, name: true, slug: true } });
    const named = new Map(orgs.map((o) => [o.id, o]));
    const counts = {
      orgs: byOrg
        .map((g) => ({ name: named.get(g.orgId)?.name ?? g.orgId, slug: named.get(g.orgId)?.slug ?? g.orgId, count: g._count._all }))
        .sort((a, b) => b.count - a.count || (a.slug < b.slug ? -1 : 1)),
      firstAt: first?.occurredAt ?? null,
    };
    // Priced since the event (a price arrived first): nothing to tell.
    if (counts.orgs.length === 0) return 'not_applicable';
    // The pinned map may price it (a dated id it does not list, or a family the seed could not add).
    const text = unpricedAlertText(subject, input.model, counts, subject.kind === 'model' ? pinnedMapPriceOf(input.model) : null);
    const org = named.get(input.orgId);
    const view: AlertView = { kind: 'usage_unpriced', orgId: input.orgId, orgName: org?.name ?? input.orgId, ...text };
    const row = await claimDelivery(db, input.orgId, unpricedAlertKey(subject, input.day), 'usage_unpriced', { eventId: input.eventId, view } as object);
    const claimed = row.payload as { eventId: string; view: AlertView };
    if (claimed.eventId !== input.eventId) return 'duplicate';
    if (row.sentAt) return 'already_sent';
    // What was stored first is sent, so a retry says exactly the same thing.
    await operators.notifier.alert(claimed.view, operatorPeople(operators.emails), { deliveryKey: `alert:${row.id}` });
    await markDelivered(db, row.id, deps.now());
    return 'sent';
  }

  return { deliverUnpricedAlert };
}

export type OperatorAlertActivities = ReturnType<typeof operatorAlertActivities>;
