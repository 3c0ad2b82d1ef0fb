// What a member sees about their own usage ("/usage" in chat): their seat and its
// allowance window, whether extra usage is on for them, month-to-date extra spend
// against every cap that applies, and which limit will stop them next.
import type { Db } from '../../db/client.js';
import type { Member } from '../../generated/prisma/client.js';
import { decideAuthorize, effectiveTierCap, extraUsageAvailable } from '../../domain/caps.js';
import { formatUsd, formatUsdOrNull } from '../../domain/money.js';
import { currentWindow, monthResetsAt, periodOf, windowResetsAt } from '../../domain/periods.js';
import { askRefusal, DEFAULT_COOLDOWN_AFTER_DENIAL_MS, type AskRefusal } from '../../domain/requests.js';
import { refusalWords, type RefusalWords } from '../../domain/refusal-words.js';
import { loadLimitsState, type OrgWithTiers } from '../limits-state.js';
import { askState } from '../requests/request-eligibility.js';
import { raiseOpening } from '../requests/limit-raise.js';
import type { RaiseScope } from '../../domain/limit-raise.js';
import { LedgerError } from '../errors.js';
import { continueChoiceOf, type ContinueChoice } from '../settings/continue-choice.js';

/** The raise a member may ask for now, or null (the ledger's refusal of one, unsaid here). */
async function raiseOffer(db: Db, orgId: string, member: Member, at: Date, cooldownMs: number): Promise<MemberUsageView['raise']> {
  try {
    const r = await raiseOpening(db, orgId, member, at, cooldownMs, null);
    return { scope: r.scope, from: formatUsd(BigInt(r.fromNanos)), suggested: formatUsd(BigInt(r.toNanos)) };
  } catch (err) {
    if (err instanceof LedgerError) return null;
    throw err;
  }
}

export interface CapLine {
  scope: 'member' | 'seat_tier' | 'org' | 'balance';
  label: string;
  /** null = unlimited */
  cap: string | null;
  spent: string;
  reached: boolean;
}

export interface MemberUsageView {
  memberId: string;
  name: string;
  plan: 'team' | 'enterprise';
  seatTier: 'standard' | 'premium';
  period: string;
  allowance: { included: string; used: string; windowMinutes: number; resetsAt: string | null; exhausted: boolean };
  extraUsage: { enabled: boolean; orgEnabled: boolean };
  caps: CapLine[];
  monthResetsAt: string;
  /** What happens on the next request, as the gateway would be told. */
  next: ReturnType<typeof decideAuthorize>;
  /** The one request rule (src/domain/requests.ts): true also while a request is open (asking finds it). */
  canRequestExtraUsage: boolean;
  /** Why the member may not ask, when they may not. */
  requestRefusal: AskRefusal | null;
  requestOpen: boolean;
  /**
   * "Ask to raise my limit": offered to a member stopped by a cap (their own, their seat
   * tier's, the organisation's) with no open request; USD decimal strings, `suggested`
   * pre-fills the amount. Null when no raise may be asked for now.
   */
  raise: { scope: RaiseScope; from: string; suggested: string } | null;
  /** The open request is a request to raise a limit (owners decide it). */
  openRequestIsRaise: boolean;
  /** When the next request would be refused: the one wording of it (src/domain/refusal-words.ts), as the gateway says it. */
  refusal: RefusalWords | null;
  /** "Continue on extra usage when my seat's included usage runs out": what applies, and whose choice it is. */
  continueChoice: ContinueChoice;
}

/** `consoleUrl`: the console's public address, for the refusal's link (null: a path on this service). */
export async function memberUsageView(db: Db, org: OrgWithTiers, member: Member, at = new Date(), cooldownMs = DEFAULT_COOLDOWN_AFTER_DENIAL_MS, consoleUrl: string | null = null): Promise<MemberUsageView> {
  const s = await loadLimitsState(db, org, member, at);
  const ask = await askState(db, org, member, at, cooldownMs, s);
  const requestOpen = ask.openRequestId !== null;
  const requestRefusal = requestOpen ? null : askRefusal(ask);
  const window = currentWindow(s.window, s.windowMinutes, at);
  const tierCap = effectiveTierCap(s.plan, s.tierCapNanos);
  const caps: CapLine[] = [
    { scope: 'member', label: 'Your monthly limit', cap: formatUsdOrNull(s.memberCapNanos), spent: formatUsd(s.memberSpendNanos), reached: s.memberCapNanos !== null && s.memberSpendNanos >= s.memberCapNanos },
    ...(s.plan === 'enterprise'
      ? [{ scope: 'seat_tier' as const, label: `${member.seatTier === 'premium' ? 'Premium' : 'Standard'} seats' monthly limit`, cap: formatUsdOrNull(tierCap), spent: formatUsd(s.tierSpendNanos), reached: tierCap !== null && s.tierSpendNanos >= tierCap }]
      : []),
    { scope: 'org', label: 'Organisation monthly limit', cap: formatUsdOrNull(s.orgCapNanos), spent: formatUsd(s.orgSpendNanos), reached: s.orgCapNanos !== null && s.orgSpendNanos >= s.orgCapNanos },
    ...(s.plan === 'team' ? [{ scope: 'balance' as const, label: 'Prepaid balance', cap: null, spent: formatUsd(s.balanceNanos), reached: s.balanceNanos <= 0n }] : []),
  ];
  const next = decideAuthorize(s, at);
  const open = requestOpen ? await db.extraUsageRequest.findUnique({ where: { id: ask.openRequestId! }, select: { raiseScope: true } }) : null;
  const raise = requestOpen ? null : await raiseOffer(db, org.id, member, at, cooldownMs);
  return {
    memberId: member.id,
    name: member.name,
    plan: s.plan,
    seatTier: member.seatTier,
    period: periodOf(at, org.timezone),
    allowance: {
      included: formatUsd(s.allowanceNanos),
      used: formatUsd(window.usedNanos),
      windowMinutes: s.windowMinutes,
      resetsAt: windowResetsAt(window, s.windowMinutes)?.toISOString() ?? null,
      exhausted: window.usedNanos >= s.allowanceNanos,
    },
    extraUsage: { enabled: extraUsageAvailable(s), orgEnabled: s.orgExtraUsageEnabled },
    caps,
    monthResetsAt: monthResetsAt(at, org.timezone).toISOString(),
    next,
    canRequestExtraUsage: requestRefusal === null,
    requestRefusal,
    requestOpen,
    raise,
    openRequestIsRaise: !!open?.raiseScope,
    continueChoice: continueChoiceOf(org, member),
    refusal: next.allowed ? null : refusalWords({
      reason: next.reason, resetsAt: next.resetsAt, timezone: org.timezone, plan: s.plan, canRequestExtraUsage: requestRefusal === null,
      limit: next.limit ?? null, seatTier: member.seatTier, consoleUrl, includedBackAt: next.includedBackAt ?? null,
    }),
  };
}
