// Owners' notice choices: whether owners are told when a member reaches their cap,
// and at which percentages of the org cap and of a seat tier's cap they are told
// (default 50, 80, 100). The thresholds decide which crossings the record path
// writes to the outbox (src/domain/events.ts): it reads them with the caps, in the
// statement it already runs, so they cost the hot path no extra round trip.
import type { Db } from '../../db/client.js';
import type { Member, Organization } from '../../generated/prisma/client.js';
import { ORG_CAP_THRESHOLDS, TIER_CAP_THRESHOLDS } from '../../domain/events.js';
import { actorLabel, requireOwner } from '../actors.js';
import { writeAudit } from '../audit.js';
import { inTransaction } from '../transactions.js';

export interface NoticeSettings {
  memberCapReached: boolean;
  orgCapThresholds: number[];
  tierCapThresholds: number[];
}

/** The stored thresholds as the record path uses them (written sorted by setNoticeSettings); null: the default. */
export const storedPercents = (value: unknown, fallback: readonly number[]): readonly number[] => (Array.isArray(value) ? (value as number[]) : fallback);

/** Sorted, each once; a value the database holds as null means the default. */
export function thresholdsOf(value: unknown, fallback: readonly number[]): number[] {
  if (!Array.isArray(value)) return [...fallback];
  return [...new Set(value.map(Number).filter((n) => Number.isInteger(n) && n >= 1 && n <= 100))].sort((a, b) => a - b);
}

export const noticeSettingsOf = (o: Pick<Organization, 'noticeMemberCapReached' | 'noticeOrgCapPercents' | 'noticeTierCapPercents'>): NoticeSettings => ({
  memberCapReached: o.noticeMemberCapReached,
  orgCapThresholds: thresholdsOf(o.noticeOrgCapPercents, ORG_CAP_THRESHOLDS),
  tierCapThresholds: thresholdsOf(o.noticeTierCapPercents, TIER_CAP_THRESHOLDS),
});

/** Owners only; what is left out stays as it was; audited when something changes. */
export async function setNoticeSettings(db: Db, org: Organization, actor: Member, change: Partial<NoticeSettings>): Promise<NoticeSettings> {
  requireOwner(actor);
  return inTransaction(db, async (tx) => {
    const before = noticeSettingsOf(await tx.organization.findUniqueOrThrow({ where: { id: org.id } }));
    const after: NoticeSettings = {
      memberCapReached: change.memberCapReached ?? before.memberCapReached,
      orgCapThresholds: change.orgCapThresholds ? thresholdsOf(change.orgCapThresholds, []) : before.orgCapThresholds,
      tierCapThresholds: change.tierCapThresholds ? thresholdsOf(change.tierCapThresholds, []) : before.tierCapThresholds,
    };
    if (JSON.stringify(after) === JSON.stringify(before)) return before; // already so: nothing to audit
    await tx.organization.update({
      where: { id: org.id },
      data: { noticeMemberCapReached: after.memberCapReached, noticeOrgCapPercents: after.orgCapThresholds, noticeTierCapPercents: after.tierCapThresholds },
    });
    await writeAudit(tx, org.id, [{ actor: actorLabel(actor), action: 'notices.set', subject: 'org', before: { ...before }, after: { ...after } }]);
    return after;
  });
}
