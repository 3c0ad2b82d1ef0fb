// Products (surfaces) of an org: the list with their caps (admins and owners), and
// the owner settings that declare an org-defined product and cap extra usage on a
// product, for everyone or one member (docs/api.md "Products").
import { z } from 'zod';
import { requireAdmin } from '../../ledger/actors.js';
import { productBreakdown } from '../../ledger/reports/reports.js';
import { productsView, setMemberProductCap, setProductCap } from '../../ledger/metering/products.js';
import { PRODUCT_PATTERN, PRODUCT_RULE } from '../../domain/products.js';
import { defineRoute } from '../route.js';
import { capAmount, memberRef, nanosOrNull } from '../schemas.js';
import type { ApiDeps } from '../server.js';

/** The `product` a usage call may name: claude, claude_code, api, or a name the org declared. */
export const productName = z.string().regex(PRODUCT_PATTERN, `must be ${PRODUCT_RULE}`).meta({
  description: 'The product or surface the request came from: claude, claude_code, api, or a name the org declared (PUT /v1/settings/products/:product). Left out: unspecified',
  examples: ['claude_code'],
});

const productView = z.object({
  product: z.string(),
  builtIn: z.boolean(),
  memberCap: z.string().nullable().describe('Each member\'s monthly cap of extra usage on this product unless they have their own: null = none, "0.00" = off'),
  members: z.array(z.object({ memberId: z.string(), externalId: z.string(), name: z.string(), cap: z.string().nullable().describe('null: no product cap for this member') })),
});

const spendView = z.object({
  product: z.string().describe('The product, or "unspecified" for usage that named none'),
  cost: z.string(), included: z.string(), extra: z.string(),
  requests: z.number().int().describe('Priced requests (unpriced usage counts once priced)'),
});

export function productRoutes(deps: ApiDeps) {
  const list = async (orgId: string) => ({ products: await productsView(deps.db, orgId) });
  return [
    defineRoute({
      method: 'GET', url: '/v1/reports/products', tag: 'reports', auth: 'person',
      summary: 'Spend per product for a month: the org\'s and each member\'s cost, included and extra usage and requests, usage without a product as "unspecified" (admins and owners)',
      query: z.object({ period: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month as YYYY-MM').optional().describe('Billing month, YYYY-MM in the org\'s timezone; default the current one') }),
      response: z.object({
        period: z.string(),
        products: z.array(spendView),
        members: z.array(z.object({ memberId: z.string(), externalId: z.string().nullable(), name: z.string().nullable(), products: z.array(spendView) })),
      }),
      async handler({ auth, query }) {
        requireAdmin(auth.actor!);
        return productBreakdown(deps.db, auth.org!, query.period, deps.now());
      },
    }),
    defineRoute({
      method: 'GET', url: '/v1/settings/products', tag: 'settings', auth: 'person',
      summary: 'The org\'s products (built in and declared) with their caps (admins and owners)',
      response: z.object({ products: z.array(productView) }),
      async handler({ auth }) {
        requireAdmin(auth.actor!);
        return list(auth.org!.id);
      },
    }),
    defineRoute({
      method: 'PUT', url: '/v1/settings/products/:product', tag: 'settings', auth: 'person',
      summary: 'Declare a product (an org-defined name) and set the monthly cap of each member\'s extra usage on it: null = none, "0.00" = off unless a member has their own (owners)',
      params: z.object({ product: productName }),
      body: z.object({ memberCap: capAmount.describe('USD amount per member and month, "0.00" = off, or null for no product cap') }).strict(),
      response: z.object({ products: z.array(productView) }),
      async handler({ auth, params, body }) {
        await setProductCap(deps.db, auth.org!, auth.actor!, params.product, nanosOrNull(body.memberCap));
        return list(auth.org!.id);
      },
    }),
    defineRoute({
      method: 'PUT', url: '/v1/settings/products/:product/members/:member', tag: 'settings', auth: 'person',
      summary: 'One member\'s own monthly cap on a product ("0.00" = off, null = no product cap for them), or "default" to follow the product\'s (owners)',
      params: z.object({ product: productName, member: memberRef }),
      body: z.object({ cap: z.union([capAmount, z.literal('default')]).describe('USD amount, "0.00" = off, null = no product cap, or "default"') }).strict(),
      response: z.object({ products: z.array(productView) }),
      refusals: { 404: 'member names no active member', 422: 'the product is neither built in nor declared' },
      async handler({ auth, params, body }) {
        await setMemberProductCap(deps.db, auth.org!, auth.actor!, params.product, params.member, body.cap === 'default' ? 'default' : { capNanos: nanosOrNull(body.cap) });
        return list(auth.org!.id);
      },
    }),
  ];
}
