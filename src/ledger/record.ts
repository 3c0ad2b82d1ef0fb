// The record after a model request: price its usage, split it into included and
// extra, add it to month-to-date spend, all in one transaction with the usage event
// and any domain events. The same requestId twice counts once. In reservation mode
// the record settles its own member's hold (never another member's) and reports a
// cost past the hold.
import { createHash } from 'node:crypto';
import type { Db } from '../db/client.js';
import { extraUsageAvailable, splitCost, type SeatTier } from '../domain/caps.js';
import { eventsFor } from '../domain/events.js';
import { formatUsd } from '../domain/money.js';
import { periodOf, windowResetsAt } from '../domain/periods.js';
import { priceTokens, tokenCountsOf, UsageShapeError, type MessagesUsage } from '../domain/pricing.js';
import { overHoldFlag, overHoldOf, reservationExceeded, type OverHold } from '../domain/reservations.js';
import { invalid, notFound } from './errors.js';
import { loadOrg, tierCapOf, tierConfigOf } from './limits-state.js';
import { requireActiveMember } from './members.js';
import { appendEvents } from './outbox.js';
import { priceFor } from './prices.js';
import { inTransaction, isOutOfRange, isUniqueViolation, type Tx } from './transactions.js';
import { lockHoldOf, releaseHold } from './reservations.js';
import { memberIdOf, repeatedWithDifferentBody, requestOfAnotherMember } from './request-owner.js';

export interface RecordInput {
  orgId: string;
  requestId: string;
  member: string;
  model: string;
  usage: MessagesUsage;
  /** When the request happened, if the gateway said so. */
  at?: Date;
}

export interface RecordResponse {
  requestId: string;
  memberId: string;
  /** The model id as sent. */
  model: string;
  /** The price-book family that priced it. */
  family: string;
  period: string;
  cost: string;
  included: string;
  extra: string;
  memberMonthToDateExtra: string;
  /** Team plans: the prepaid balance after this request. */
  balance?: string;
  /** Reservation mode: the request cost more than its hold (held, and the excess counted past it). */
  overHold?: { held: string; excess: string };
}

export interface RecordResult {
  response: RecordResponse;
  /** True when this requestId was recorded before and nothing was counted now. */
  replayed: boolean;
  /** Set when this call settled a hold the cost went past (not on a replay). */
  overHold?: OverHold;
}

/** Fingerprint of the request as the gateway sent it: a retry must match it exactly. */
export function bodyHashOf(input: RecordInput): string {
  const canonical = JSON.stringify({
    member: input.member,
    model: input.model,
    usage: {
      input_tokens: input.usage.input_tokens,
      output_tokens: input.usage.output_tokens,
      cache_creation_input_tokens: input.usage.cache_creation_input_tokens ?? null,
      cache_read_input_tokens: input.usage.cache_read_input_tokens ?? null,
      ephemeral_5m_input_tokens: input.usage.cache_creation?.ephemeral_5m_input_tokens ?? null,
      ephemeral_1h_input_tokens: input.usage.cache_creation?.ephemeral_1h_input_tokens ?? null,
    },
    at: input.at?.toISOString() ?? null,
  });
  return createHash('sha256').update(canonical).digest('hex');
}

/** The first answer for a repeated requestId; a different body is a 409 (`member` when another member's). */
async function earlierAnswer(db: Db | Tx, input: RecordInput, bodyHash: string, memberId?: string): Promise<RecordResult | null> {
  const prior = await db.usageEvent.findUnique({ where: { orgId_requestId: { orgId: input.orgId, requestId: input.requestId } } });
  if (!prior) return null;
  if (prior.bodyHash !== bodyHash) {
    throw repeatedWithDifferentBody(input.requestId, prior.memberId, memberId ?? (await memberIdOf(db, input.orgId, input.member)));
  }
  return { response: prior.response as unknown as RecordResponse, replayed: true };
}

interface LockedMember {
  seatTier: SeatTier;
  extraUsageEnabled: boolean;
  extraUsageCapNanos: bigint | null;
  windowStartedAt: Date | null;
  windowUsedNanos: bigint;
  windowHeldNanos: bigint;
  removedAt: Date | null;
}

async function addSpend(tx: Tx, orgId: string, period: string, scope: 'member' | 'tier' | 'org', subject: string, extra: bigint, included: bigint): Promise<bigint> {
  const rows = await tx.$queryRaw<{ extraNanos: bigint }[]>`
    INSERT INTO "MonthlySpend" ("orgId", "period", "scope", "subject", "extraNanos", "includedNanos", "eventCount")
    VALUES (${orgId}, ${period}, ${scope}::"SpendScope", ${subject}, ${extra}, ${included}, 1)
    ON CONFLICT ("orgId", "period", "scope", "subject") DO UPDATE SET
      "extraNanos" = "MonthlySpend"."extraNanos" + EXCLUDED."extraNanos",
      "includedNanos" = "MonthlySpend"."includedNanos" + EXCLUDED."includedNanos",
      "eventCount" = "MonthlySpend"."eventCount" + 1
    RETURNING "extraNanos"`;
  return BigInt(rows[0]!.extraNanos);
}

export async function recordUsage(db: Db, input: RecordInput, now = new Date()): Promise<RecordResult> {
  const bodyHash = bodyHashOf(input);
  const replay = await earlierAnswer(db, input, bodyHash);
  if (replay) return replay;

  const at = input.at ?? now;
  let tokens;
  try {
    tokens = tokenCountsOf(input.usage);
  } catch (err) {
    if (err instanceof UsageShapeError) throw invalid(err.field, err.message);
    throw err;
  }
  const [org, member, price] = await Promise.all([
    loadOrg(db, input.orgId),
    requireActiveMember(db, input.orgId, input.member),
    priceFor(db, input.model, at, tokens),
  ]);
  const cost = priceTokens(tokens, price);
  const period = periodOf(at, org.timezone);

  try {
    return await inTransaction(db, async (tx) => {
      // The member row lock serialises this member's records, so the allowance
      // window and a duplicate requestId are decided on settled values.
      const locked = (await tx.$queryRaw<LockedMember[]>`
        SELECT "seatTier", "extraUsageEnabled", "extraUsageCapNanos", "windowStartedAt", "windowUsedNanos", "windowHeldNanos", "removedAt"
        FROM "Member" WHERE "id" = ${member.id} FOR UPDATE`)[0];
      if (!locked || locked.removedAt) throw notFound(`member '${input.member}'`, 'member');
      const again = await earlierAnswer(tx, input, bodyHash, member.id);
      if (again) return again;

      const tier = locked.seatTier;
      const config = tierConfigOf(org, tier);
      const extraAvailable = extraUsageAvailable({
        orgExtraUsageEnabled: org.extraUsageEnabled,
        extraUsageScope: org.extraUsageScope,
        memberExtraUsageEnabled: locked.extraUsageEnabled,
      });
      // A reservation for this request is settled here, if it is this member's; what
      // other open reservations hold of the allowance is not this request's to use.
      const named = await lockHoldOf(tx, org.id, input.requestId);
      if (named && named.memberId !== member.id) throw requestOfAnotherMember(input.requestId);
      const hold = named?.open ? named : null;
      const over = hold ? overHoldOf(hold.estimateNanos, cost) : null;
      const heldByOthers = BigInt(locked.windowHeldNanos) - (hold?.includedHeldNanos ?? 0n);
      const allowance = config.includedAllowanceNanos > heldByOthers ? config.includedAllowanceNanos - heldByOthers : 0n;
      const windowBefore = { startedAt: locked.windowStartedAt, usedNanos: BigInt(locked.windowUsedNanos) };
      const split = splitCost(cost, windowBefore, allowance, config.windowMinutes, at, extraAvailable);
      await tx.$executeRaw`
        UPDATE "Member" SET "windowStartedAt" = ${split.window.startedAt}, "windowUsedNanos" = ${split.window.usedNanos}
        WHERE "id" = ${member.id}`;

      // Fixed lock order (member, tier, org, balance) keeps concurrent records deadlock-free.
      const memberAfter = await addSpend(tx, org.id, period, 'member', member.id, split.extraNanos, split.includedNanos);
      const tierAfter = await addSpend(tx, org.id, period, 'tier', tier, split.extraNanos, split.includedNanos);
      const orgAfter = await addSpend(tx, org.id, period, 'org', 'org', split.extraNanos, split.includedNanos);
      if (hold) await releaseHold(tx, org.id, member.id, hold, 'settledAt', now);

      let balance: { before: bigint; after: bigint; threshold: bigint | null } | null = null;
      if (org.plan === 'team') {
        const row = (await tx.$queryRaw<{ balanceNanos: bigint; autoReloadEnabled: boolean; autoReloadThresholdNanos: bigint | null }[]>`
          UPDATE "Organization" SET "balanceNanos" = "balanceNanos" - ${split.extraNanos}
          WHERE "id" = ${org.id}
          RETURNING "balanceNanos", "autoReloadEnabled", "autoReloadThresholdNanos"`)[0]!;
        const after = BigInt(row.balanceNanos);
        balance = {
          before: after + split.extraNanos,
          after,
          threshold: row.autoReloadEnabled && row.autoReloadThresholdNanos !== null ? BigInt(row.autoReloadThresholdNanos) : null,
        };
      }

      const response: RecordResponse = {
        requestId: input.requestId,
        memberId: member.id,
        model: input.model,
        family: price.family,
        period,
        cost: formatUsd(cost),
        included: formatUsd(split.includedNanos),
        extra: formatUsd(split.extraNanos),
        memberMonthToDateExtra: formatUsd(memberAfter),
        ...(balance ? { balance: formatUsd(balance.after) } : {}),
        ...(over ? { overHold: overHoldFlag(over) } : {}),
      };
      await tx.usageEvent.create({
        data: {
          orgId: org.id,
          memberId: member.id,
          requestId: input.requestId,
          bodyHash,
          model: input.model,
          family: price.family,
          priceEntryId: price.id,
          occurredAt: at,
          period,
          inputTokens: tokens.input,
          cacheWrite5mTokens: tokens.cacheWrite5m,
          cacheWrite1hTokens: tokens.cacheWrite1h,
          cacheReadTokens: tokens.cacheRead,
          outputTokens: tokens.output,
          costNanos: cost,
          includedNanos: split.includedNanos,
          extraNanos: split.extraNanos,
          response: response as object,
        },
      });
      await appendEvents(tx, org.id, eventsFor({
        memberId: member.id,
        tier,
        period,
        seat: { before: windowBefore.startedAt === split.window.startedAt ? windowBefore.usedNanos : 0n, after: split.window.usedNanos, allowance: config.includedAllowanceNanos, resetsAt: windowResetsAt(split.window, config.windowMinutes) },
        member: { before: memberAfter - split.extraNanos, after: memberAfter, cap: locked.extraUsageCapNanos === null ? null : BigInt(locked.extraUsageCapNanos) },
        tierSpend: { before: tierAfter - split.extraNanos, after: tierAfter, cap: org.plan === 'enterprise' ? tierCapOf(org, tier) : null },
        org: { before: orgAfter - split.extraNanos, after: orgAfter, cap: org.orgMonthlyCapNanos },
        balance,
      }).concat(over ? [reservationExceeded(member.id, input.requestId, period, over)] : []));
      return { response, replayed: false, ...(over ? { overHold: over } : {}) };
    });
  } catch (err) {
    // The same requestId raced in for another member: the unique index caught it.
    if (isUniqueViolation(err)) {
      const prior = await earlierAnswer(db, input, bodyHash, member.id);
      if (prior) return prior;
    }
    // No real request costs billions; a gateway sending such counts is broken. Refused
    // whole (nothing half-written), never a 500.
    if (isOutOfRange(err)) throw invalid('usage', 'recording this usage would take a month-to-date total past what the ledger can hold (about $9.2 billion); check the token counts and the price book. Nothing was recorded');
    throw err;
  }
}
