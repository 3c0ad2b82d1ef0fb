// The check before a model request: may this member proceed, and on what terms?
// The hot path: one SQL round trip for the member, their org, seat tier and the three
// month-to-date rows, then the pure rules.
import type { Db } from '../db/client.js';
import { big, bigOrNull, sqlOf } from '../db/sql.js';
import { decideAuthorize, type AuthorizeDecision, type MemberLimitsState } from '../domain/caps.js';
import { periodOf } from '../domain/periods.js';
import { invalid, notFound } from './errors.js';
import { knownModel } from './prices.js';

export interface AuthorizeInput {
  orgId: string;
  member: string;
  model: string;
  at: Date;
  /** The org's billing timezone, when the caller already knows it. */
  timezone?: string;
}

// Member by our id or the org's external id (our id first), with everything the rules need.
const AUTHORIZE_SQL = `
SELECT m."id", m."seatTier"::text AS "seatTier", m."extraUsageEnabled", m."extraUsageCapNanos",
  (EXTRACT(EPOCH FROM m."windowStartedAt") * 1000)::bigint AS "windowStartedMs", m."windowUsedNanos", m."windowHeldNanos",
  o."plan"::text AS "plan", o."timezone", o."extraUsageEnabled" AS "orgExtraUsageEnabled", o."extraUsageScope"::text AS "extraUsageScope",
  o."orgMonthlyCapNanos", o."standardTierCapNanos", o."premiumTierCapNanos", o."balanceNanos", o."heldBalanceNanos",
  t."includedAllowanceNanos", t."windowMinutes",
  ms."extraNanos" AS "memberExtra", ms."reservedNanos" AS "memberReserved",
  ts."extraNanos" AS "tierExtra", ts."reservedNanos" AS "tierReserved",
  os."extraNanos" AS "orgExtra", os."reservedNanos" AS "orgReserved"
FROM "Member" m
JOIN "Organization" o ON o."id" = m."orgId"
LEFT JOIN "SeatTierConfig" t ON t."orgId" = m."orgId" AND t."tier" = m."seatTier"
LEFT JOIN "MonthlySpend" ms ON ms."orgId" = m."orgId" AND ms."period" = $3 AND ms."scope" = 'member' AND ms."subject" = m."id"
LEFT JOIN "MonthlySpend" ts ON ts."orgId" = m."orgId" AND ts."period" = $3 AND ts."scope" = 'tier' AND ts."subject" = m."seatTier"::text
LEFT JOIN "MonthlySpend" os ON os."orgId" = m."orgId" AND os."period" = $3 AND os."scope" = 'org' AND os."subject" = 'org'
WHERE m."orgId" = $1 AND (m."id" = $2 OR m."externalId" = $2) AND m."removedAt" IS NULL
ORDER BY (m."id" = $2) DESC
LIMIT 1`;

type Row = Record<string, unknown>;

/** The state the check-mode rules decide on; open reservations count as used or spent. */
function stateOf(r: Row): MemberLimitsState {
  const premium = r.seatTier === 'premium';
  return {
    plan: r.plan as MemberLimitsState['plan'],
    timezone: r.timezone as string,
    orgExtraUsageEnabled: r.orgExtraUsageEnabled as boolean,
    extraUsageScope: r.extraUsageScope as MemberLimitsState['extraUsageScope'],
    memberExtraUsageEnabled: r.extraUsageEnabled as boolean,
    allowanceNanos: big(r.includedAllowanceNanos),
    windowMinutes: r.windowMinutes === null || r.windowMinutes === undefined ? 300 : Number(r.windowMinutes),
    window: {
      startedAt: r.windowStartedMs === null || r.windowStartedMs === undefined ? null : new Date(Number(r.windowStartedMs)),
      usedNanos: big(r.windowUsedNanos) + big(r.windowHeldNanos),
    },
    memberCapNanos: bigOrNull(r.extraUsageCapNanos),
    tierCapNanos: bigOrNull(premium ? r.premiumTierCapNanos : r.standardTierCapNanos),
    orgCapNanos: bigOrNull(r.orgMonthlyCapNanos),
    memberSpendNanos: big(r.memberExtra) + big(r.memberReserved),
    tierSpendNanos: big(r.tierExtra) + big(r.tierReserved),
    orgSpendNanos: big(r.orgExtra) + big(r.orgReserved),
    balanceNanos: big(r.balanceNanos) - big(r.heldBalanceNanos),
  };
}

export async function authorizeUsage(db: Db, input: AuthorizeInput): Promise<AuthorizeDecision & { memberId: string }> {
  const timezone = input.timezone ?? (await db.organization.findUniqueOrThrow({ where: { id: input.orgId }, select: { timezone: true } })).timezone;
  const [rows, modelKnown] = await Promise.all([
    sqlOf(db).query<Row>(AUTHORIZE_SQL, [input.orgId, input.member, periodOf(input.at, timezone)], 'authorize'),
    knownModel(db, input.model, input.at),
  ]);
  const row = rows[0];
  if (!row) throw notFound(`member '${input.member}'`, 'member');
  if (!modelKnown) throw invalid('model', `model '${input.model}' has no price in the price book`);
  return { ...decideAuthorize(stateOf(row), input.at), memberId: row.id as string };
}
