// Owner settings and admin reports, the API behind "Admin settings > Usage".
// The acting member comes from X-Actor; their stored role decides.
import { z } from 'zod';
import { formatUsd, MAX_BALANCE_NANOS } from '../../domain/money.js';
import { auditLog } from '../../ledger/audit.js';
import { balanceWarningView, setBalanceWarning } from '../../ledger/settings/balance-warning.js';
import { ledgerPurchases } from '../../payments/purchases.js';
import { requireAdmin, requireOwner } from '../../ledger/actors.js';
import { seatLimits, usageOverview } from '../../ledger/reports/reports.js';
import { setAutoReload, setExtraUsage, setMemberCap, setMemberExtraUsage, setMemberSeatTier, setOrgCap, setTierCap } from '../../ledger/settings/settings.js';
import { loadOrg } from '../../ledger/limits-state.js';
import { defineRoute } from '../route.js';
import { capAmount, memberRef, nanosOf, nanosOrNull, positiveUsdAmount, text, usdAmount } from '../schemas.js';
import type { ApiDeps } from '../server.js';
import { withDollarAmounts } from '../amounts.js';

const capBody = z.object({ cap: capAmount.describe('USD amount, or null for unlimited') }).strict();

export function settingsRoutes(deps: ApiDeps) {
  const overview = async (orgId: string) => usageOverview(deps.db, await loadOrg(deps.db, orgId), deps.now());
  return [
    defineRoute({
      method: 'GET', url: '/v1/settings/usage', tag: 'settings', auth: 'person',
      summary: 'Extra usage settings, caps, balance and month-to-date spend (admins and owners)',
      async handler({ auth }) {
        requireAdmin(auth.actor!);
        return overview(auth.org!.id);
      },
    }),
    defineRoute({
      method: 'PUT', url: '/v1/settings/extra-usage', tag: 'settings', auth: 'person',
      summary: 'Turn extra usage on or off, for the whole org or selected members (owners)',
      body: z.object({ enabled: z.boolean(), scope: z.enum(['all_members', 'selected_members']).optional() }).strict(),
      async handler({ auth, body }) {
        await setExtraUsage(deps.db, auth.org!, auth.actor!, body);
        return overview(auth.org!.id);
      },
    }),
    defineRoute({
      method: 'PUT', url: '/v1/settings/caps/org', tag: 'settings', auth: 'person',
      summary: 'Set the org-wide monthly cap on extra usage, or null for unlimited (owners)',
      body: capBody,
      async handler({ auth, body }) {
        await setOrgCap(deps.db, auth.org!, auth.actor!, nanosOrNull(body.cap));
        return overview(auth.org!.id);
      },
    }),
    defineRoute({
      method: 'PUT', url: '/v1/settings/caps/tiers/:tier', tag: 'settings', auth: 'person',
      summary: 'Set a seat tier\'s monthly cap, or null for unlimited (enterprise owners)',
      params: z.object({ tier: z.enum(['standard', 'premium']) }), body: capBody,
      refusals: { 422: 'The organisation is on the team plan' },
      async handler({ auth, params, body }) {
        await setTierCap(deps.db, auth.org!, auth.actor!, params.tier, nanosOrNull(body.cap));
        return overview(auth.org!.id);
      },
    }),
    defineRoute({
      method: 'PUT', url: '/v1/settings/caps/members/:member', tag: 'settings', auth: 'person',
      summary: 'Set a member\'s monthly cap, or null for unlimited; tier and org caps still apply (owners)',
      params: z.object({ member: memberRef }), body: capBody,
      refusals: { 404: 'member names no active member' },
      async handler({ auth, params, body }) {
        const m = await setMemberCap(deps.db, auth.org!, auth.actor!, params.member, nanosOrNull(body.cap));
        return { memberId: m.id, cap: body.cap };
      },
    }),
    defineRoute({
      method: 'PUT', url: '/v1/settings/members/:member/extra-usage', tag: 'settings', auth: 'person',
      summary: 'Give or take away extra usage for one member when the org uses selected members (owners)',
      params: z.object({ member: memberRef }), body: z.object({ enabled: z.boolean() }).strict(),
      refusals: { 404: 'member names no active member' },
      async handler({ auth, params, body }) {
        const m = await setMemberExtraUsage(deps.db, auth.org!, auth.actor!, params.member, body.enabled);
        return { memberId: m.id, extraUsageEnabled: m.extraUsageEnabled };
      },
    }),
    defineRoute({
      method: 'PUT', url: '/v1/settings/members/:member/seat', tag: 'settings', auth: 'person',
      summary: 'Move a member to another seat tier, up or down: their included allowance and tier cap change at once (owners)',
      params: z.object({ member: memberRef }), body: z.object({ seatTier: z.enum(['standard', 'premium']) }).strict(),
      refusals: { 404: 'member names no active member' },
      async handler({ auth, params, body }) {
        const m = await setMemberSeatTier(deps.db, auth.org!, auth.actor!, params.member, body.seatTier);
        return { memberId: m.id, seatTier: m.seatTier };
      },
    }),
    defineRoute({
      method: 'POST', url: '/v1/settings/balance/purchases', tag: 'settings', auth: 'person', status: 201,
      summary: 'Buy prepaid balance (team owners). The idempotency key makes a retry count once. With Stripe (docs/payments.md) '
        + 'the answer is 202 with the Checkout link to pay at; the balance is credited when Stripe confirms the payment.',
      body: z.object({ amount: positiveUsdAmount, idempotencyKey: text(200) }).strict(),
      otherSuccess: {
        200: 'A retry with the same idempotencyKey: the first purchase, counted once (header idempotent-replayed)',
        202: 'Payments through Stripe: { status: "awaiting_payment", checkoutUrl, amount, idempotencyKey }; nothing is credited until paid',
      },
      refusals: {
        409: 'The idempotencyKey was used for a different amount',
        422: `The organisation is on the enterprise plan, the balance would pass its maximum of ${formatUsd(MAX_BALANCE_NANOS)}, or (Stripe) the amount is not whole cents`,
      },
      async handler({ auth, body, reply }) {
        const purchases = deps.payments?.purchases ?? ledgerPurchases(deps.db);
        const outcome = await purchases.buy(auth.org!, auth.actor!, { amountNanos: nanosOf(body.amount), idempotencyKey: body.idempotencyKey });
        if (outcome.kind === 'checkout') {
          reply.status(202);
          if (outcome.replayed) reply.header('idempotent-replayed', 'true');
          return { status: 'awaiting_payment', checkoutUrl: outcome.checkoutUrl, amount: formatUsd(outcome.amountNanos), idempotencyKey: body.idempotencyKey };
        }
        const { entry, replayed } = outcome;
        if (replayed) reply.status(200).header('idempotent-replayed', 'true');
        return { id: entry.id, amount: formatUsd(entry.amountNanos), balanceAfter: formatUsd(entry.balanceAfterNanos), createdAt: entry.createdAt };
      },
    }),
    defineRoute({
      method: 'PUT', url: '/v1/settings/balance/warning', tag: 'settings', auth: 'person',
      summary: 'Tell owners once when the prepaid balance (less holds) falls below `level` while auto-reload is off; null = no warning (team owners)',
      body: z.object({ level: usdAmount.nullable().describe('USD amount, or null for no warning') }).strict(),
      refusals: { 422: 'The organisation is on the enterprise plan' },
      async handler({ auth, body }) {
        return balanceWarningView(await setBalanceWarning(deps.db, auth.org!, auth.actor!, nanosOrNull(body.level)));
      },
    }),
    defineRoute({
      method: 'PUT', url: '/v1/settings/auto-reload', tag: 'settings', auth: 'person',
      summary: 'Reload the prepaid balance by `amount` when it reaches `threshold` (team owners)',
      body: z.object({
        enabled: z.boolean(),
        threshold: usdAmount.nullable().default(null),
        amount: usdAmount.nullable().default(null),
        monthlyMax: usdAmount.nullable().optional().describe('At most this much auto-reloaded per calendar month (USD); null = no limit; left out = unchanged'),
        monthlyLimit: z.number().int().min(1).max(1000).nullable().optional().describe('Deprecated: at most this many reloads of `amount` per calendar month, stored as monthlyMax = monthlyLimit × amount; null = no limit'),
      }).strict().describe('threshold and amount are required when enabled'),
      refusals: { 422: 'The organisation is on the enterprise plan, auto-reload is enabled without both threshold and amount, or the monthly limit is less than one reload' },
      async handler({ auth, body }) {
        await setAutoReload(deps.db, auth.org!, auth.actor!, { enabled: body.enabled, thresholdNanos: nanosOrNull(body.threshold), amountNanos: nanosOrNull(body.amount), monthlyMaxNanos: body.monthlyMax === undefined ? undefined : nanosOrNull(body.monthlyMax), monthlyLimit: body.monthlyLimit });
        return overview(auth.org!.id);
      },
    }),
    defineRoute({
      method: 'GET', url: '/v1/reports/seat-limits', tag: 'reports', auth: 'person',
      summary: 'Individual seat limits: each member\'s cap and month-to-date spend (admins and owners)',
      async handler({ auth }) {
        requireAdmin(auth.actor!);
        return seatLimits(deps.db, auth.org!, deps.now());
      },
    }),
    defineRoute({
      method: 'GET', url: '/v1/reports/audit-log', tag: 'reports', auth: 'person',
      summary: 'Every settings change and decision: who, what, before, after (owners), newest first; page with `before` = the previous page\'s nextCursor',
      query: z.object({
        limit: z.coerce.number().int().min(1).max(500).default(100),
        before: z.string().regex(/^\d{1,18}$/, 'must be a nextCursor from a previous page').optional().describe('nextCursor of the previous page'),
      }),
      async handler({ auth, query }) {
        requireOwner(auth.actor!);
        const page = await auditLog(deps.db, auth.org!.id, query.limit, query.before === undefined ? undefined : BigInt(query.before));
        return { entries: page.entries.map((r) => ({ ...r, id: String(r.id), before: withDollarAmounts(r.before), after: withDollarAmounts(r.after) })), nextCursor: page.nextCursor };
      },
    }),
  ];
}
