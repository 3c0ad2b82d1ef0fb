// Spend and seat-advice reports (admins and owners; the console's Spend and Seat
// advice pages show the same functions' answers), and the operator's seat prices.
import { z } from 'zod';
import { requireAdmin } from '../../ledger/actors.js';
import { seatAdviceReport, seatPricesOf, seatPricesView, setSeatPrices } from '../../ledger/reports/seat-advice.js';
import { memberSpendReport, spendReport } from '../../ledger/reports/spend.js';
import { orgBySlug, slugParams } from '../org-params.js';
import { defineRoute } from '../route.js';
import { memberRef, nanosOf, usdAmount } from '../schemas.js';
import type { ApiDeps } from '../server.js';

export const periodQuery = z.object({
  period: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month as YYYY-MM').optional().describe('Billing month, YYYY-MM in the org\'s timezone; default the current one'),
});

const pricesView = z.object({ standard: z.string(), premium: z.string() }).nullable().describe('null until the operator has entered both');

export function spendRoutes(deps: ApiDeps) {
  return [
    defineRoute({
      method: 'GET', url: '/v1/reports/spend', tag: 'reports', auth: 'person',
      summary: 'A month\'s spend per day (org timezone) against the org cap with the day the cap is reached at the month\'s rate, top members, by model and by product (admins and owners)',
      query: periodQuery,
      async handler({ auth, query }) {
        requireAdmin(auth.actor!);
        return spendReport(deps.db, auth.org!, deps.now(), query.period);
      },
    }),
    defineRoute({
      method: 'GET', url: '/v1/reports/spend/members/:member', tag: 'reports', auth: 'person',
      summary: 'One member\'s month: spend per day, by model and by product (admins and owners)',
      params: z.object({ member: memberRef }), query: periodQuery,
      refusals: { 404: 'member names no member of the org' },
      async handler({ auth, params, query }) {
        requireAdmin(auth.actor!);
        return memberSpendReport(deps.db, auth.org!, params.member, deps.now(), query.period);
      },
    }),
    defineRoute({
      method: 'GET', url: '/v1/reports/seat-advice', tag: 'reports', auth: 'person',
      summary: 'Members who would cost less on the other seat tier over the last 3 complete months, from the operator\'s seat prices (admins and owners)',
      async handler({ auth }) {
        requireAdmin(auth.actor!);
        return seatAdviceReport(deps.db, auth.org!, deps.now());
      },
    }),
    defineRoute({
      method: 'GET', url: '/v1/operator/orgs/:slug/seat-prices', tag: 'operator', auth: 'operator',
      summary: 'The monthly price of one seat per tier, for seat advice',
      params: slugParams, response: z.object({ prices: pricesView }),
      refusals: { 404: 'No organisation has this slug' },
      async handler({ params }) {
        const org = await orgBySlug(deps.db, params.slug);
        return { prices: seatPricesView(await seatPricesOf(deps.db, org.id)) };
      },
    }),
    defineRoute({
      method: 'PUT', url: '/v1/operator/orgs/:slug/seat-prices', tag: 'operator', auth: 'operator',
      summary: 'Set the monthly price of one seat per tier (what the org pays for a standard and a premium seat); seat advice compares members\' costs on each (audited)',
      params: slugParams,
      body: z.object({ standard: usdAmount, premium: usdAmount }).strict(),
      response: z.object({ prices: pricesView }),
      refusals: { 404: 'No organisation has this slug' },
      async handler({ params, body }) {
        const org = await orgBySlug(deps.db, params.slug);
        const prices = await setSeatPrices(deps.db, org.id, { standard: nanosOf(body.standard), premium: nanosOf(body.premium) });
        return { prices: seatPricesView(prices) };
      },
    }),
  ];
}
