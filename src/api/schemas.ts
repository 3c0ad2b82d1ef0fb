// Shared request pieces: money amounts, caps, timestamps, member references, the
// error body. Every string goes through `text` (no control characters).
import { z } from 'zod';
import { capAmount, positiveUsdAmount, text, usdAmount } from '../domain/fields.js';
import { parseUsd } from '../domain/money.js';
import { invalid } from '../ledger/errors.js';

export { capAmount, positiveUsdAmount, text, usdAmount };

export const memberRef = text(200).meta({ description: 'Our member id or the org\'s external id for the member', examples: ['alice'] });
export const modelName = text(200).meta({ examples: ['claude-haiku-4-5'] });
export const isoInstant = z.iso.datetime({ offset: true }).describe('ISO 8601 instant, e.g. 2026-11-27T10:00:00Z');

export const nanosOf = (usd: string) => parseUsd(usd)!;
export const nanosOrNull = (usd: string | null) => (usd === null ? null : parseUsd(usd)!);

const MAX_FUTURE_MS = 5 * 60_000;

/** `at` as a gateway reports it: any past instant, at most 5 minutes ahead of us. */
export function requestInstant(at: string | undefined, now: Date): Date | undefined {
  if (at === undefined) return undefined;
  const d = new Date(at);
  if (d.getTime() - now.getTime() > MAX_FUTURE_MS) throw invalid('at', `at (${at}) is more than 5 minutes in the future`);
  return d;
}

export const errorResponse = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    field: z.string().optional().describe('The field at fault: a body path such as "usage.output_tokens", "params.<name>", or a header name'),
    issues: z.array(z.object({ field: z.string(), message: z.string() })).optional().describe('400 only: every field at fault, the first of which is `field`'),
  }),
});
