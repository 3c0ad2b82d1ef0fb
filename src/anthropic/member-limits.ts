// An owner's "Edit limit" / "Set to unlimited" for one member of a connected org: the
// member's own (user scope) spend limit for a period, written at Anthropic with `set`
// (an upsert keyed on scope and period, so a retry writes the same) inside the
// transaction that audits and mirrors it. Seat-tier, group and organization defaults are changed in claude.ai only.
import type { Db } from '../db/client.js';
import type { Member } from '../generated/prisma/client.js';
import { formatUsdOrNull } from '../domain/money.js';
import { nanosToWholeMinor, type LimitPeriod } from '../domain/minor-units.js';
import { actorLabel, requireOwner } from '../ledger/actors.js';
import { writeAudit } from '../ledger/audit.js';
import { conflict, forbidden, invalid, LedgerError, notFound } from '../ledger/errors.js';
import { findMember } from '../ledger/settings/members.js';
import { inTransaction } from '../ledger/transactions.js';
import { clientForOrg, type AnthropicDeps } from './connection.js';
import { anthropicFault, AnthropicUnavailable } from './errors.js';

export interface MemberLimitChange {
  /** Nano-dollars in whole cents, or null for no limit ("Set to unlimited") for this period. */
  amountNanos: bigint | null;
  period: LimitPeriod;
  via?: string;
  /** The caller's clock (deps.now()). */
  at?: Date;
}

export async function setMemberLimit(db: Db, deps: AnthropicDeps, orgId: string, actor: Member, memberRef: string, change: MemberLimitChange) {
  requireOwner(actor);
  const member = await findMember(db, orgId, memberRef);
  if (!member || member.removedAt) throw notFound(`member '${memberRef}'`, 'member');
  if (!member.anthropicUserId) throw invalid('member', `${member.name} is not a member of the connected Claude organization (no Anthropic user); nothing was changed`);
  const amount = change.amountNanos === null ? null : nanosToWholeMinor(change.amountNanos);
  if (change.amountNanos !== null && amount === null) throw invalid('amount', 'the limit must be whole cents');
  const client = await clientForOrg(db, deps, orgId);
  if (!client) throw conflict('this organisation is not connected to Claude');
  const now = change.at ?? new Date();
  // Audited and mirrored in the transaction that wraps the write: a database failure before
  // it sends nothing, and an Anthropic refusal rolls the audit back (nothing changed).
  await inTransaction(db, async (tx) => {
    const before = await tx.anthropicEffectiveLimit.findUnique({ where: { memberId_period: { memberId: member.id, period: change.period } } });
    await writeAudit(tx, orgId, [{
      actor: actorLabel({ ...actor, via: change.via }),
      action: 'anthropic.spend_limit.user.set',
      subject: `member:${member.id}`,
      before: { limit: before ? formatUsdOrNull(before.amountNanos) : null, period: change.period, source: before?.sourceType ?? null },
      after: { limit: formatUsdOrNull(change.amountNanos), period: change.period, source: 'user' },
    }]);
    // Mirrored at once; the next effective-limits read confirms it.
    await tx.anthropicEffectiveLimit.upsert({
      where: { memberId_period: { memberId: member.id, period: change.period } },
      create: { orgId, memberId: member.id, period: change.period, amountNanos: change.amountNanos, spentNanos: 0n, sourceType: 'user', sourceRef: member.anthropicUserId, currency: before?.currency ?? 'USD', fetchedAt: now },
      update: { amountNanos: change.amountNanos, sourceType: 'user', sourceRef: member.anthropicUserId },
    });
    // Last: `set` is an upsert keyed on scope and period, so a retry after a lost commit writes the same.
    try {
      await client.beta.organization.spendLimits.set({ scope: { type: 'user', user_id: member.anthropicUserId! }, period: change.period, amount });
    } catch (err) {
      const fault = anthropicFault(err);
      if (!fault) throw err;
      if (fault.transient) throw new AnthropicUnavailable(fault);
      if (fault.kind === 'writes_not_enabled') throw new LedgerError(409, 'writes_not_enabled', `${fault.message}. Nothing was changed.`);
      if (fault.kind === 'no_permission' || fault.kind === 'key_refused') throw forbidden(`${fault.message}. Nothing was changed.`);
      throw invalid('amount', `${fault.message}. Nothing was changed.`);
    }
  });
  return { memberId: member.id, externalId: member.externalId, period: change.period, limit: formatUsdOrNull(change.amountNanos), source: 'user' };
}
