// Delivers one alert at most once per dedupe key. The AlertDelivery row is claimed
// by the first event that wants the key; a retry of that same event sends again
// only while sentAt is null (at-least-once towards the notifier, never a flood).
// A member reaching their cap is also told to the owners (their own key), while the
// owners' "member reached their cap" notice choice is on (src/ledger/settings/notice-settings.ts).
import { alertFor, memberIdOf, ownersAlertFor, type AlertEvent, type AlertRule } from '../domain/alerts.js';
import { continuesOnExtraUsage, extraUsageAvailable } from '../domain/caps.js';
import { personOf, ownersOf } from '../ledger/settings/people.js';
import type { AlertView, Person } from '../notify/port.js';
import type { Member } from '../generated/prisma/client.js';
import type { ActivityDeps } from './deps.js';
import { claimDelivery, markDelivered } from '../ledger/notices/deliveries.js';

export interface DeliverAlertInput {
  orgId: string;
  /** The outbox event id (or the workflow's own id for reload outcomes). */
  eventId: string;
  event: AlertEvent;
}

export type DeliveryOutcome =
  | 'sent'
  /** Another event already claimed this dedupe key. */
  | 'duplicate'
  /** This event's alert went out before (a retry or a redelivery). */
  | 'already_sent'
  /** Nothing to say, or nobody to say it to. */
  | 'not_applicable';

interface StoredAlert {
  eventId: string;
  audience: AlertRule['audience'];
  memberId: string | null;
  view: AlertView;
}

export function alertActivities(deps: ActivityDeps) {
  const { db, notifier } = deps;

  async function recipients(orgId: string, stored: StoredAlert): Promise<Person[]> {
    if (stored.audience === 'owners') return ownersOf(db, orgId);
    const member = stored.memberId ? await db.member.findUnique({ where: { id: stored.memberId } }) : null;
    return member && !member.removedAt ? [personOf(member)] : [];
  }

  async function deliverAlert(input: DeliverAlertInput): Promise<DeliveryOutcome> {
    const org = await db.organization.findUniqueOrThrow({ where: { id: input.orgId } });
    const memberId = memberIdOf(input.event);
    const member = memberId ? await db.member.findUnique({ where: { id: memberId } }) : null;
    const ctx = {
      eventId: input.eventId,
      org: { name: org.name, plan: org.plan, timezone: org.timezone, extraUsageEnabled: org.extraUsageEnabled },
      consoleUrl: deps.publicUrl ?? null,
      ...(member ? { member: { name: member.name, extraUsageAvailable: extraUsageAvailable({ orgExtraUsageEnabled: org.extraUsageEnabled, extraUsageScope: org.extraUsageScope, memberExtraUsageEnabled: member.extraUsageEnabled }), continuesOnExtraUsage: continuesOnExtraUsage(member.continueOnExtraUsage, org.continueOnExtraUsageDefault) } } : {}),
    };
    const rule = alertFor(input.event, ctx);
    const owners = org.noticeMemberCapReached ? ownersAlertFor(input.event, ctx) : null;
    if (!rule) return 'not_applicable';
    // Each has its own delivery row: a retry sends only the one still unsent.
    const outcome = await deliverRule(input, org, member, rule);
    if (owners) await deliverRule(input, org, member, owners);
    return outcome;
  }

  async function deliverRule(input: DeliverAlertInput, org: { id: string; name: string }, member: Member | null, rule: AlertRule): Promise<DeliveryOutcome> {
    const view: AlertView = {
      kind: rule.kind,
      orgId: org.id,
      orgName: org.name,
      title: rule.title,
      text: rule.text,
      facts: rule.facts,
      audience: rule.audience,
      // The owners' copy names the member too: its "Adjust limit" opens that member's limit.
      ...(member ? { member: personOf(member) } : {}),
      ...(rule.canRequestExtraUsage !== undefined ? { canRequestExtraUsage: rule.canRequestExtraUsage } : {}),
    };
    const stored: StoredAlert = { eventId: input.eventId, audience: rule.audience, memberId: rule.memberId ?? null, view };
    // The unique (orgId, dedupeKey) decides which event owns the alert, even under races.
    const row = await claimDelivery(db, org.id, rule.dedupeKey, rule.kind, stored as object);
    const claimed = row.payload as unknown as StoredAlert;
    if (claimed.eventId !== input.eventId) return 'duplicate';
    if (row.sentAt) return 'already_sent';

    // Send what was stored first, so a retry says exactly the same thing.
    const to = await recipients(org.id, claimed);
    if (to.length > 0) await notifier.alert(claimed.view, to, { deliveryKey: `alert:${row.id}` });
    await markDelivered(db, row.id, deps.now());
    return to.length > 0 ? 'sent' : 'not_applicable';
  }

  return { deliverAlert };
}

export type AlertActivities = ReturnType<typeof alertActivities>;
