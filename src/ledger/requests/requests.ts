// Extra-usage requests in the database: opened by the request workflow, decided by
// an admin (applied once, in one transaction with its audit entries), or closed by
// expiry or cancellation. Every function here is safe to run twice.
import type { Db } from '../../db/client.js';
import type { ExtraUsageRequest, Member, Organization } from '../../generated/prisma/client.js';
import { decisionProblem, statusAfter, type DecisionInput } from '../../domain/requests.js';
import { formatUsd, formatUsdOrNull, maxNanos, parseUsd } from '../../domain/money.js';
import { periodOf } from '../../domain/periods.js';
import type { AnthropicRequestFacts, RequestView } from '../../notify/port.js';
import { suggestedLimit } from '../../domain/minor-units.js';
import type { RaiseScope } from '../../domain/limit-raise.js';
import { extraUsageAvailable } from '../../domain/caps.js';
import { roleWords, actorLabel, isAdmin, isOwner, SYSTEM_ACTOR } from '../actors.js';
import { writeAudit, type AuditRecord } from '../audit.js';
import { appendEvents } from '../outbox.js';
import { conflict, forbidden, invalid, notFound } from '../errors.js';
import { findMember } from '../settings/members.js';
import { personOf } from '../settings/people.js';
import { inTransaction, isUniqueViolation } from '../transactions.js';

export interface OpenRequestInput {
  orgId: string;
  memberId: string;
  workflowId: string;
  runId: string;
  requestedAt: Date;
  note: string | null;
  /** The Anthropic spend limit increase request this one mirrors (a connected org). */
  anthropic?: AnthropicOpening;
  /** A request to raise the cap that stopped the member (src/ledger/requests/limit-raise.ts). */
  raise?: RaiseOpening;
}

/** Which cap, its amount when asked and the new limit asked for (nano-dollars as decimal strings: workflow inputs are JSON). */
export interface RaiseOpening {
  scope: RaiseScope;
  fromNanos: string;
  toNanos: string;
}

export interface AnthropicOpening {
  requestId: string;
  period: 'daily' | 'weekly' | 'monthly';
  /** USD decimal strings from its spend summary, or null. */
  summary: { limit: string | null; spent: string | null; source: string | null; currency: string } | null;
}

/** Creates the request row for a workflow run, or returns the one it already made. */
export async function openRequest(db: Db, input: OpenRequestInput): Promise<string> {
  const existing = await db.extraUsageRequest.findUnique({ where: { runId: input.runId } });
  if (existing) return existing.id;
  if (input.anthropic) {
    // One row per Anthropic request, whichever run made it.
    const mirrored = await db.extraUsageRequest.findUnique({ where: { orgId_anthropicRequestId: { orgId: input.orgId, anthropicRequestId: input.anthropic.requestId } } });
    if (mirrored?.status === 'untracked') return retrackRequest(db, mirrored.id, input);
    if (mirrored) return mirrored.id;
  }
  const member = await db.member.findUniqueOrThrow({ where: { id: input.memberId } });
  try {
    const row = await db.extraUsageRequest.create({
      data: {
        orgId: input.orgId,
        memberId: input.memberId,
        workflowId: input.workflowId,
        runId: input.runId,
        // Anthropic may hold several pending requests of one member (one per period): each is its own.
        openForMember: input.anthropic ? null : input.memberId,
        seatTierAtRequest: member.seatTier,
        note: input.note,
        requestedAt: input.requestedAt,
        ...(input.raise ? { raiseScope: input.raise.scope, raiseFromNanos: BigInt(input.raise.fromNanos), raiseToNanos: BigInt(input.raise.toNanos) } : {}),
        ...(input.anthropic
          ? { anthropicRequestId: input.anthropic.requestId, limitPeriod: input.anthropic.period, ...(input.anthropic.summary ? { anthropicSummary: input.anthropic.summary } : {}) }
          : {}),
      },
    });
    return row.id;
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const raced = await db.extraUsageRequest.findUnique({ where: { runId: input.runId } });
    if (raced) return raced.id;
    if (input.anthropic) {
      const mirrored = await db.extraUsageRequest.findUnique({ where: { orgId_anthropicRequestId: { orgId: input.orgId, anthropicRequestId: input.anthropic.requestId } } });
      if (mirrored) return mirrored.id;
    }
    throw conflict(`${member.name} already has an open request`);
  }
}

type RequestRow = ExtraUsageRequest & { member: Member; org: Organization };

async function viewOf(db: Db, row: RequestRow, at = new Date()): Promise<RequestView> {
  const decider = row.decidedById ? await db.member.findUnique({ where: { id: row.decidedById } }) : null;
  const denied = await db.extraUsageRequest.findFirst({
    where: { memberId: row.memberId, status: 'denied', id: { not: row.id }, requestedAt: { lt: row.requestedAt } },
    orderBy: { decidedAt: 'desc' },
  });
  const deniedBy = denied?.decidedById ? await db.member.findUnique({ where: { id: denied.decidedById } }) : null;
  return {
    requestId: row.id,
    workflowId: row.workflowId,
    orgId: row.orgId,
    orgName: row.org.name,
    requester: personOf(row.member),
    seatTier: row.seatTierAtRequest,
    requestedAt: row.requestedAt.toISOString(),
    note: row.note,
    status: row.status,
    decision: row.decision,
    decisionCap: formatUsdOrNull(row.decisionCapNanos),
    reason: row.reason,
    decidedBy: decider ? personOf(decider) : null,
    decidedAt: row.decidedAt?.toISOString() ?? null,
    previousDenial: denied ? { at: (denied.decidedAt ?? denied.requestedAt).toISOString(), by: deniedBy ? personOf(deniedBy) : null, reason: denied.reason } : null,
    context: await deciderContext(db, row, at),
    ...(row.raiseScope ? { raise: { scope: row.raiseScope as RaiseScope, from: formatUsd(row.raiseFromNanos ?? 0n), suggested: formatUsd(row.raiseToNanos ?? 0n) } } : {}),
    ...(row.anthropicRequestId ? { anthropic: anthropicFacts(row), decisionPeriod: (row.decisionPeriod as RequestView['decisionPeriod']) ?? null } : {}),
  };
}

/** The spend summary kept when the request was found, and the suggested new limit. */
function anthropicFacts(row: ExtraUsageRequest): AnthropicRequestFacts {
  const s = (row.anthropicSummary ?? null) as AnthropicOpening['summary'];
  const limit = s?.limit ?? null;
  const spent = s?.spent ?? null;
  return {
    period: (row.limitPeriod ?? 'monthly') as AnthropicRequestFacts['period'],
    limit,
    spent,
    source: s?.source ?? null,
    suggestedAmount: formatUsd(suggestedLimit(limit === null ? null : parseUsd(limit), spent === null ? null : parseUsd(spent))),
  };
}

/** The member's month so far and the org's room left: what a decider weighs. */
async function deciderContext(db: Db, row: RequestRow, at: Date): Promise<NonNullable<RequestView['context']>> {
  const period = periodOf(at, row.org.timezone);
  const rows = await db.monthlySpend.findMany({
    where: { orgId: row.orgId, period, OR: [{ scope: 'member', subject: row.memberId }, { scope: 'org', subject: 'org' }] },
  });
  const member = rows.find((r) => r.scope === 'member');
  const org = rows.find((r) => r.scope === 'org');
  const orgCap = row.org.orgMonthlyCapNanos;
  const orgUsed = (org?.extraNanos ?? 0n) + (org?.reservedNanos ?? 0n);
  return {
    monthToDateExtra: formatUsd(member?.extraNanos ?? 0n),
    cap: formatUsdOrNull(row.member.extraUsageCapNanos),
    extraUsage: extraUsageAvailable({ orgExtraUsageEnabled: row.org.extraUsageEnabled, extraUsageScope: row.org.extraUsageScope, memberExtraUsageEnabled: row.member.extraUsageEnabled }),
    orgRemaining: orgCap === null ? null : formatUsd(maxNanos(0n, orgCap - orgUsed)),
  };
}

/** `at`: the instant whose month the decider's context is read for (now by default). */
export async function requestView(db: Db, requestId: string, at = new Date()): Promise<RequestView> {
  const row = await db.extraUsageRequest.findUnique({ where: { id: requestId }, include: { member: true, org: true } });
  if (!row) throw notFound(`request '${requestId}'`, 'requestId');
  return viewOf(db, row, at);
}

/** A request of this org, or null (an unknown id, or another org's): what a chat click may name. */
export async function orgRequest(db: Db, orgId: string, requestId: string): Promise<RequestView | null> {
  const row = await db.extraUsageRequest.findFirst({ where: { id: requestId, orgId }, include: { member: true, org: true } });
  return row ? viewOf(db, row) : null;
}

export async function pendingRequests(db: Db, orgId: string): Promise<RequestView[]> {
  const rows = await db.extraUsageRequest.findMany({ where: { orgId, status: 'pending' }, include: { member: true, org: true }, orderBy: { requestedAt: 'asc' } });
  return Promise.all(rows.map((r) => viewOf(db, r)));
}

export async function listRequests(db: Db, orgId: string, status?: RequestView['status'], limit = 100): Promise<RequestView[]> {
  const rows = await db.extraUsageRequest.findMany({
    where: { orgId, ...(status ? { status } : {}) },
    include: { member: true, org: true },
    orderBy: { requestedAt: 'desc' },
    take: limit,
  });
  return Promise.all(rows.map((r) => viewOf(db, r)));
}

/** The member deciding, checked against their stored role: only admins and owners of the org. */
export async function requireDecider(db: Db, orgId: string, deciderRef: string): Promise<Member> {
  const decider = await findMember(db, orgId, deciderRef);
  if (!decider || decider.removedAt) throw forbidden(`'${deciderRef}' is not a member of this organisation`);
  if (!isAdmin(decider)) throw forbidden(`${decider.name} is ${roleWords(decider.role)}: only an admin or owner can decide requests`);
  return decider;
}

export interface DecideInput extends DecisionInput {
  requestId: string;
  deciderRef: string;
  /** How the decider proved who they are (the audit log's "via"). */
  via?: string;
}

/**
 * Applies an admin's decision once: a retry of the same decision returns the same
 * result; a different decision on a decided request is a conflict.
 */
export async function applyDecision(db: Db, input: DecideInput, now: Date): Promise<RequestView> {
  const request = await db.extraUsageRequest.findUnique({ where: { id: input.requestId } });
  if (!request) throw notFound(`request '${input.requestId}'`, 'requestId');
  // A request from Claude is decided through Anthropic (src/activities/anthropic.ts), never here.
  if (request.anthropicRequestId) throw invalid('decision', 'this request came from Claude: it is decided with increase_limit or deny through Anthropic');
  // A request to raise a limit: owners decide it (only owners change caps).
  if (request.raiseScope) throw invalid('decision', 'a request to raise a limit is decided by applyRaise (src/ledger/requests/limit-raise.ts)');
  if (input.decision === 'increase_limit') throw invalid('decision', 'increase_limit is for requests from a connected Claude organization, or a request to raise a limit');
  const decider = await requireDecider(db, request.orgId, input.deciderRef);
  // Separation of duties: an admin or owner cannot grant themself more usage.
  if (decider.id === request.memberId) throw forbidden('Nobody decides their own request: another admin or an owner must. Nothing was changed.');
  const capNanos = input.cap === undefined || input.cap === null ? null : parseUsd(input.cap, 2);

  await inTransaction(db, async (tx) => {
    const locked = (await tx.$queryRaw<{ status: string }[]>`SELECT "status" FROM "ExtraUsageRequest" WHERE "id" = ${request.id} FOR UPDATE`)[0]!;
    if (locked.status !== 'pending') {
      const current = await tx.extraUsageRequest.findUniqueOrThrow({ where: { id: request.id } });
      if (current.decision === input.decision && current.decidedById === decider.id) return; // a retry: already applied
      throw conflict(`this request is already ${current.status}`);
    }
    const member = await tx.member.findUniqueOrThrow({ where: { id: request.memberId } });
    if (member.removedAt) throw conflict(`${member.name} has left the organisation`);
    const problem = decisionProblem('pending', member.seatTier, input);
    if (problem) throw invalid('decision', problem);

    const actor = actorLabel({ ...decider, via: input.via });
    const audits: AuditRecord[] = [];
    if (input.decision === 'enable_extra_usage') {
      // Checked against the state it produces: "approved" must mean the member can use it.
      const org = await tx.organization.findUniqueOrThrow({ where: { id: request.orgId } });
      if (!org.extraUsageEnabled) {
        if (!input.turnOnForSelectedMembers) {
          throw conflict(`Extra usage is off for ${org.name}, so enabling it for ${member.name} would change nothing they can use. An owner must turn extra usage on first${isOwner(decider) ? ' (or approve with turnOnForSelectedMembers to turn it on for selected members only in the same step)' : ''}. Nothing was changed.`);
        }
        if (!isOwner(decider)) throw forbidden(`${decider.name} is ${roleWords(decider.role)}: only an owner can turn extra usage on. Nothing was changed.`);
        await tx.organization.update({ where: { id: org.id }, data: { extraUsageEnabled: true, extraUsageScope: 'selected_members' } });
        audits.push({ actor, action: 'extra_usage.set', subject: 'org', before: { enabled: false, scope: org.extraUsageScope }, after: { enabled: true, scope: 'selected_members', viaRequest: request.id } });
        // As when an owner flips the switch: other members' requests made moot are closed.
        await appendEvents(tx, org.id, [{ type: 'org_extra_usage_enabled' }]);
      }
    }
    if (input.decision === 'upgrade_seat') {
      await tx.member.update({ where: { id: member.id }, data: { seatTier: 'premium' } });
      audits.push({ actor, action: 'member.seat_tier.set', subject: `member:${member.id}`, before: { seatTier: member.seatTier }, after: { seatTier: 'premium', viaRequest: request.id } });
    } else if (input.decision === 'enable_extra_usage') {
      const cap = input.cap === undefined ? member.extraUsageCapNanos : capNanos;
      await tx.member.update({ where: { id: member.id }, data: { extraUsageEnabled: true, extraUsageCapNanos: cap } });
      audits.push({
        actor,
        action: 'extra_usage.member.set',
        subject: `member:${member.id}`,
        before: { enabled: member.extraUsageEnabled, cap: formatUsdOrNull(member.extraUsageCapNanos) },
        after: { enabled: true, cap: formatUsdOrNull(cap), viaRequest: request.id },
      });
    }
    // Every decision is in the audit log, a denial included.
    audits.push({
      actor,
      action: 'request.decided',
      subject: `request:${request.id}`,
      before: { status: 'pending' },
      after: { status: statusAfter(input.decision), decision: input.decision, cap: input.decision === 'enable_extra_usage' ? formatUsdOrNull(capNanos) : null, reason: input.reason ?? null, member: `member:${member.id}` },
    });
    await writeAudit(tx, request.orgId, audits);
    await tx.extraUsageRequest.update({
      where: { id: request.id },
      data: {
        status: statusAfter(input.decision),
        openForMember: null,
        decidedAt: now,
        decidedById: decider.id,
        decision: input.decision,
        decisionCapNanos: input.decision === 'enable_extra_usage' ? capNanos : null,
        reason: input.reason ?? null,
      },
    });
  });
  return requestView(db, request.id);
}

/**
 * A request from Claude no longer tracked (its org disconnected) picked up again by a
 * reconnected org's poll: pending again under this workflow run, in one conditional
 * update (a second run finding it pending already is not this one's).
 */
async function retrackRequest(db: Db, id: string, input: OpenRequestInput): Promise<string> {
  await inTransaction(db, async (tx) => {
    const moved = await tx.extraUsageRequest.updateMany({
      where: { id, status: 'untracked' },
      data: { status: 'pending', workflowId: input.workflowId, runId: input.runId, reason: null, ...(input.anthropic?.summary ? { anthropicSummary: input.anthropic.summary } : {}) },
    });
    if (moved.count === 0) return;
    const row = await tx.extraUsageRequest.findUniqueOrThrow({ where: { id } });
    await writeAudit(tx, row.orgId, [{ actor: SYSTEM_ACTOR, action: 'request.tracked_again', subject: `request:${id}`, before: { status: 'untracked' }, after: { status: 'pending', workflowId: input.workflowId } }]);
  });
  return id;
}

/**
 * A request from Claude of an org that disconnected: no longer tracked here (still
 * pending in claude.ai). Left pending when the org is connected again by now (the
 * disconnect's event arrived late): the request stays tracked.
 */
export async function untrackRequest(db: Db, requestId: string): Promise<RequestView> {
  await inTransaction(db, async (tx) => {
    const row = await tx.extraUsageRequest.findUniqueOrThrow({ where: { id: requestId } });
    if (row.status !== 'pending' || !row.anthropicRequestId) return;
    if (await tx.anthropicConnection.findUnique({ where: { orgId: row.orgId }, select: { orgId: true } })) return;
    const moved = await tx.extraUsageRequest.updateMany({ where: { id: requestId, status: 'pending' }, data: { status: 'untracked', openForMember: null } });
    if (moved.count === 0) return;
    await writeAudit(tx, row.orgId, [{ actor: SYSTEM_ACTOR, action: 'request.untracked', subject: `request:${row.id}`, before: { status: 'pending' }, after: { status: 'untracked', member: `member:${row.memberId}` } }]);
  });
  return requestView(db, requestId);
}

/** Expires or cancels a pending request; a request already closed is left as it is. */
export async function closeRequest(db: Db, requestId: string, status: 'expired' | 'cancelled', reason: string | null): Promise<RequestView> {
  await inTransaction(db, async (tx) => {
    const closed = await tx.extraUsageRequest.updateMany({ where: { id: requestId, status: 'pending' }, data: { status, reason, openForMember: null } });
    if (closed.count === 0) return; // already closed: audited then
    const row = await tx.extraUsageRequest.findUniqueOrThrow({ where: { id: requestId } });
    await writeAudit(tx, row.orgId, [{ actor: SYSTEM_ACTOR, action: 'request.closed', subject: `request:${row.id}`, before: { status: 'pending' }, after: { status, reason, member: `member:${row.memberId}` } }]);
  });
  return requestView(db, requestId);
}
