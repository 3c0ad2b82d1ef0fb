// Closed billing months: Enterprise invoices and Team statements, as month-end
// stored them. Amounts are exact USD strings; `total` is the subtotal rounded once
// to the cent (half away from zero).
import { z } from 'zod';
import { requireAdmin } from '../../ledger/actors.js';
import { notFound } from '../../ledger/errors.js';
import { getInvoice, invoiceSummary, invoiceView, listInvoices } from '../../ledger/reports/invoices.js';
import { defineRoute } from '../route.js';
import type { ApiDeps } from '../server.js';

const periodParam = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month as YYYY-MM').describe('Billing month, YYYY-MM in the org\'s timezone');

export function invoiceRoutes(deps: ApiDeps) {
  return [
    defineRoute({
      method: 'GET', url: '/v1/invoices', tag: 'billing', auth: 'person',
      summary: 'Closed months, newest first: invoices (enterprise) or statements (team) (admins and owners)',
      async handler({ auth }) {
        requireAdmin(auth.actor!);
        return { invoices: (await listInvoices(deps.db, auth.org!.id)).map(invoiceSummary) };
      },
    }),
    defineRoute({
      method: 'GET', url: '/v1/invoices/:period', tag: 'billing', auth: 'person',
      summary: 'One closed month with its lines per member and model (admins and owners)',
      params: z.object({ period: periodParam }),
      refusals: { 404: 'The month is not closed (yet)' },
      async handler({ auth, params }) {
        requireAdmin(auth.actor!);
        const invoice = await getInvoice(deps.db, auth.org!.id, params.period);
        if (!invoice) throw notFound(`invoice for ${params.period} (the month is not closed yet)`, 'period');
        return invoiceView(invoice);
      },
    }),
  ];
}
