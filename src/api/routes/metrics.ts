// GET /metrics: operator metrics in the Prometheus text format, for a scraper holding
// the operator token.
import { metricsOf } from '../../observability/metrics.js';
import { defineRoute } from '../route.js';
import type { ApiDeps } from '../server.js';

export function metricsRoutes(deps: ApiDeps) {
  return [
    defineRoute({
      method: 'GET', url: '/metrics', tag: 'service', auth: 'operator',
      summary: 'Operator metrics (Prometheus text format, text/plain; version=0.0.4), e.g. records that ran past their reservation',
      // No `response` schema: the document would call it JSON; the answer is text.
      async handler({ reply }) {
        const { contentType, body } = await metricsOf(deps).exposition();
        reply.type(contentType);
        return body;
      },
    }),
  ];
}
