// Shared request pieces: money amounts, caps, timestamps, member references.
import { z } from 'zod';
import { parseUsd } from '../domain/money.js';
import { usdAmount, capAmount } from '../ledger/org-document.js';
import { invalid } from '../ledger/errors.js';

export { usdAmount, capAmount };

export const memberRef = z.string().min(1).max(200).describe('Our member id or the org\'s external id for the member');
export const modelName = z.string().min(1).max(200);
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
  error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }),
});
