// Usage that names nobody (Claude Code telemetry signed in with an API key sends no
// user.email nor user.account_uuid): kept, never lost, until someone says whose it is.
// A member claims their Claude Code user.id, or an owner or operator maps it; the kept
// events are then recorded as that member's through the record path (idempotent on
// requestId, so each is counted once however often attribution runs), and later events
// from that user.id are theirs at once.
import type { Db } from '../../db/client.js';
import { formatUsd } from '../../domain/money.js';
import type { MessagesUsage } from '../../domain/pricing.js';
import { writeAudit } from '../audit.js';
import { conflict, LedgerError, notFound } from '../errors.js';
import { findMember } from '../settings/members.js';
import { inTransaction } from '../transactions.js';
import { recordUsage } from './record.js';

export interface UnattributedEvent {
  requestId: string;
  sessionId?: string;
  clientUserId?: string;
  model: string;
  usage: MessagesUsage;
  at: Date;
  clientCostNanos?: bigint;
}

/** Keeps events that name nobody (the same requestId twice: kept once). Returns how many are new. */
export async function keepUnattributed(db: Db, orgId: string, events: UnattributedEvent[], now: Date): Promise<number> {
  if (events.length === 0) return 0;
  const r = await db.unattributedUsage.createMany({
    data: events.map((e) => ({
      orgId, requestId: e.requestId, sessionId: e.sessionId ?? null, clientUserId: e.clientUserId ?? null, model: e.model,
      usage: e.usage as object, occurredAt: e.at, clientCostNanos: e.clientCostNanos ?? null, createdAt: now,
    })),
    skipDuplicates: true,
  });
  return r.count;
}

/** The members the org's Claude Code user.ids are mapped to. */
export async function membersOfClientUsers(db: Db, orgId: string, clientUserIds: string[]): Promise<Map<string, string>> {
  if (clientUserIds.length === 0) return new Map();
  const rows = await db.claudeCodeUser.findMany({ where: { orgId, clientUserId: { in: [...new Set(clientUserIds)] } } });
  return new Map(rows.map((r) => [r.clientUserId, r.memberId]));
}

export interface AttributionResult {
  clientUserId: string;
  memberId: string;
  member: string;
  /** Whether this call made the mapping (false: it was there already, or was re-mapped). */
  created: boolean;
  /** Re-mapped by an owner or operator: the member it was mapped to before. */
  previousMember: string | null;
  /** Kept events recorded as the member's now. */
  attributed: number;
  /** Kept events that could not be recorded (e.g. a time before their model's first price), still listed. */
  notRecorded: number;
}

/**
 * Who maps: a member claiming for themselves may claim only a user.id whose usage was
 * kept here (so nobody stakes out ids never seen) and never one that is another
 * member's; an owner or the operator may map any user.id and re-map one.
 */
export type MappedBy = 'member' | 'admin';

/**
 * Maps a Claude Code user.id to a member (audited) and records the kept events of it
 * as theirs. A user.id mapped to another member is a 409 for a member's own claim; an
 * owner or operator re-maps it (audited, before and after): later events are the new
 * member's, usage recorded already stays whose it was recorded as.
 */
export async function attributeClientUser(db: Db, orgId: string, clientUserId: string, memberRef: string, actor: string, now: Date, by: MappedBy = 'member'): Promise<AttributionResult> {
  const member = await findMember(db, orgId, memberRef);
  if (!member || member.removedAt) throw notFound(`member '${memberRef}'`, 'member');
  if (by === 'member' && !(await db.unattributedUsage.findFirst({ where: { orgId, clientUserId }, select: { id: true } }))) {
    throw new LedgerError(404, 'not_found', `no Claude Code usage from user.id '${clientUserId}' was seen here yet: use Claude Code once, then claim it (an owner can map it beforehand)`, 'userId');
  }
  const outcome = await inTransaction(db, async (tx) => {
    // ON CONFLICT DO NOTHING: a claim racing this one waits for it, then finds its row
    // (never a unique violation, which would abort the transaction and answer 500).
    const made = await tx.claudeCodeUser.createMany({ data: [{ orgId, clientUserId, memberId: member.id, createdBy: actor, createdAt: now }], skipDuplicates: true });
    if (made.count === 1) {
      await writeAudit(tx, orgId, [{ actor, action: 'claude_code_user.mapped', subject: `claude_code_user:${clientUserId}`, before: null, after: { member: member.externalId, memberId: member.id } }]);
      return { created: true, previousMember: null };
    }
    const existing = await tx.claudeCodeUser.findUnique({ where: { orgId_clientUserId: { orgId, clientUserId } }, include: { member: { select: { externalId: true } } } });
    if (!existing) throw conflict(`Claude Code user.id '${clientUserId}' was unmapped meanwhile; try again`, 'userId');
    if (existing.memberId === member.id) return { created: false, previousMember: null };
    if (by === 'member') throw conflict(`Claude Code user.id '${clientUserId}' is already another member's; an owner can re-map it`, 'userId');
    await tx.claudeCodeUser.update({ where: { orgId_clientUserId: { orgId, clientUserId } }, data: { memberId: member.id, createdBy: actor, createdAt: now } });
    await writeAudit(tx, orgId, [{
      actor, action: 'claude_code_user.remapped', subject: `claude_code_user:${clientUserId}`,
      before: { member: existing.member.externalId, memberId: existing.memberId }, after: { member: member.externalId, memberId: member.id },
    }]);
    return { created: false, previousMember: existing.member.externalId };
  });
  const pass = await recordAttributed(db, orgId, [clientUserId], now);
  // Kept events of other mapped user.ids that a claim which failed after its commit left behind.
  await recordPendingAttributions(db, now, orgId);
  return { clientUserId, memberId: member.id, member: member.externalId, ...outcome, ...pass };
}

/**
 * Records every kept event whose user.id is mapped but that is not recorded yet (of one
 * org, or of all): a claim that failed after committing its mapping leaves such events
 * behind. Run by every claim or mapping and at start; safe to repeat (recordAttributed).
 */
export async function recordPendingAttributions(db: Db, now: Date, orgId?: string): Promise<{ attributed: number; notRecorded: number }> {
  const pending = await db.$queryRaw<{ orgId: string; clientUserId: string }[]>`
    SELECT DISTINCT u."orgId", u."clientUserId" FROM "UnattributedUsage" u
      JOIN "ClaudeCodeUser" c ON c."orgId" = u."orgId" AND c."clientUserId" = u."clientUserId"
     WHERE u."attributedAt" IS NULL AND (${orgId ?? null}::text IS NULL OR u."orgId" = ${orgId ?? null}::text)`;
  const byOrg = new Map<string, string[]>();
  for (const p of pending) byOrg.set(p.orgId, [...(byOrg.get(p.orgId) ?? []), p.clientUserId]);
  const total = { attributed: 0, notRecorded: 0 };
  for (const [org, ids] of byOrg) {
    const r = await recordAttributed(db, org, ids, now);
    total.attributed += r.attributed;
    total.notRecorded += r.notRecorded;
  }
  return total;
}

/**
 * Removes a user.id's mapping (owners and the operator; audited): its later events are
 * kept unattributed again, until claimed or mapped. Usage recorded already stays whose
 * it was recorded as. 404 when the user.id is mapped to nobody.
 */
export async function unmapClientUser(db: Db, orgId: string, clientUserId: string, actor: string): Promise<{ clientUserId: string; member: string }> {
  return inTransaction(db, async (tx) => {
    const existing = await tx.claudeCodeUser.findUnique({ where: { orgId_clientUserId: { orgId, clientUserId } }, include: { member: { select: { externalId: true } } } });
    if (!existing) throw new LedgerError(404, 'not_found', `Claude Code user.id '${clientUserId}' is mapped to nobody`, 'userId');
    await tx.claudeCodeUser.delete({ where: { orgId_clientUserId: { orgId, clientUserId } } });
    await writeAudit(tx, orgId, [{ actor, action: 'claude_code_user.unmapped', subject: `claude_code_user:${clientUserId}`, before: { member: existing.member.externalId, memberId: existing.memberId }, after: null }]);
    return { clientUserId, member: existing.member.externalId };
  });
}

/**
 * Records the kept events of mapped user.ids as their members', each once: the record
 * path counts a requestId once (a second pass replays it), and the row is marked after.
 */
export async function recordAttributed(db: Db, orgId: string, clientUserIds: string[], now: Date): Promise<{ attributed: number; notRecorded: number }> {
  const owners = await membersOfClientUsers(db, orgId, clientUserIds);
  let attributed = 0;
  let notRecorded = 0;
  for (const [clientUserId, memberId] of owners) {
    const rows = await db.unattributedUsage.findMany({ where: { orgId, clientUserId, attributedAt: null }, orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }] });
    for (const row of rows) {
      try {
        await recordUsage(db, {
          orgId, requestId: row.requestId, member: memberId, model: row.model, usage: row.usage as unknown as MessagesUsage, at: row.occurredAt,
          product: 'claude_code', ...(row.clientCostNanos !== null ? { clientCostNanos: row.clientCostNanos } : {}),
        }, now);
      } catch (err) {
        if (err instanceof LedgerError) {
          notRecorded++;
          continue;
        }
        throw err;
      }
      const marked = await db.unattributedUsage.updateMany({ where: { id: row.id, attributedAt: null }, data: { attributedAt: now, memberId } });
      attributed += marked.count;
    }
  }
  return { attributed, notRecorded };
}

/** What is kept unattributed, per Claude Code user.id (newest first), and the latest events. */
export async function listUnattributed(db: Db, orgId: string, limit: number) {
  const groups = await db.unattributedUsage.groupBy({
    by: ['clientUserId'], where: { orgId, attributedAt: null },
    _count: { _all: true }, _min: { occurredAt: true }, _max: { occurredAt: true }, _sum: { clientCostNanos: true },
  });
  const events = await db.unattributedUsage.findMany({ where: { orgId, attributedAt: null }, orderBy: [{ occurredAt: 'desc' }, { id: 'asc' }], take: limit });
  return {
    users: groups
      .map((g) => ({
        userId: g.clientUserId, events: g._count._all, firstAt: g._min.occurredAt!.toISOString(), lastAt: g._max.occurredAt!.toISOString(),
        clientCost: formatUsd(g._sum.clientCostNanos ?? 0n),
      }))
      .sort((a, b) => (a.lastAt < b.lastAt ? 1 : a.lastAt > b.lastAt ? -1 : 0)),
    events: events.map((e) => ({
      requestId: e.requestId, userId: e.clientUserId, sessionId: e.sessionId, model: e.model, at: e.occurredAt.toISOString(),
      usage: e.usage as Record<string, unknown>, clientCost: e.clientCostNanos === null ? null : formatUsd(e.clientCostNanos),
    })),
  };
}
