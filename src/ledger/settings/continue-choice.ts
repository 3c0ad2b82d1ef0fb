// "Continue on extra usage when my seat's included usage runs out": the member's own
// choice (only they change it, from their verified identity), and the default the org's
// owners choose for members who made none. Each change in one transaction with its audit
// entry (who, what, before, after); authorize reads it fresh on the next request.
import type { Db } from '../../db/client.js';
import type { Member, Organization } from '../../generated/prisma/client.js';
import { continuesOnExtraUsage, extraUsageAvailable } from '../../domain/caps.js';
import { actorLabel, requireOwner } from '../actors.js';
import { writeAudit } from '../audit.js';
import { conflict } from '../errors.js';
import { inTransaction } from '../transactions.js';

export interface ContinueChoice {
  /** What applies to the member now: their own choice, else the org's default. */
  enabled: boolean;
  /** Whose choice it is: the member's own, or the org's default (they made none). */
  setBy: 'member' | 'org_default';
  /** The org's default (owners choose it). */
  orgDefault: boolean;
  /** Whether extra usage is on for them at all: without it, the choice has no effect until it is. */
  extraUsageAvailable: boolean;
}

type OrgFacts = Pick<Organization, 'continueOnExtraUsageDefault' | 'extraUsageEnabled' | 'extraUsageScope'>;

export function continueChoiceOf(org: OrgFacts, member: Pick<Member, 'continueOnExtraUsage' | 'extraUsageEnabled'>): ContinueChoice {
  return {
    enabled: continuesOnExtraUsage(member.continueOnExtraUsage, org.continueOnExtraUsageDefault),
    setBy: member.continueOnExtraUsage === null ? 'org_default' : 'member',
    orgDefault: org.continueOnExtraUsageDefault,
    extraUsageAvailable: extraUsageAvailable({ orgExtraUsageEnabled: org.extraUsageEnabled, extraUsageScope: org.extraUsageScope, memberExtraUsageEnabled: member.extraUsageEnabled }),
  };
}

const audited = (c: ContinueChoice) => ({ enabled: c.enabled, setBy: c.setBy });

/**
 * The member's own choice, for themselves only (`member` is the verified caller). `via`
 * says where they chose it (console, slack, teams, api) in the audit entry. Choosing what
 * already applies is kept as their own choice (it no longer follows the default).
 */
export async function setOwnContinueChoice(db: Db, orgId: string, member: Member, enabled: boolean, via?: string): Promise<ContinueChoice> {
  return inTransaction(db, async (tx) => {
    const before = await tx.member.findUniqueOrThrow({ where: { id: member.id } });
    if (before.removedAt) throw conflict(`${before.name} has left the organisation: nothing was changed`);
    const org = await tx.organization.findUniqueOrThrow({ where: { id: orgId } });
    const after = await tx.member.update({ where: { id: member.id }, data: { continueOnExtraUsage: enabled } });
    const was = continueChoiceOf(org, before);
    const now = continueChoiceOf(org, after);
    if (was.setBy !== now.setBy || was.enabled !== now.enabled) {
      await writeAudit(tx, orgId, [{ actor: actorLabel({ ...member, ...(via ? { via } : {}) }), action: 'continue.member.set', subject: `member:${member.id}`, before: audited(was), after: audited(now) }]);
    }
    return now;
  });
}

/** Owners: the default for members who made no choice of their own. */
export async function setContinueDefault(db: Db, org: Organization, actor: Member, enabled: boolean, via?: string): Promise<Organization> {
  requireOwner(actor);
  return inTransaction(db, async (tx) => {
    const before = await tx.organization.findUniqueOrThrow({ where: { id: org.id } });
    const after = await tx.organization.update({ where: { id: org.id }, data: { continueOnExtraUsageDefault: enabled } });
    if (before.continueOnExtraUsageDefault !== enabled) {
      await writeAudit(tx, org.id, [{ actor: actorLabel({ ...actor, ...(via ? { via } : {}) }), action: 'continue.default.set', subject: 'org', before: { enabled: before.continueOnExtraUsageDefault }, after: { enabled } }]);
    }
    return after;
  });
}
