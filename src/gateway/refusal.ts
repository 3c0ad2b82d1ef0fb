// The one place the gateway words a refusal of extra usage (a cap, the seat limit, a
// product, an unpriced model) for the person whose Claude Code it stops. When the
// authorize decision carries the shared wording (`message`) it is used as it is;
// otherwise a sentence is built from the reason and the reset time in the org's zone.
import { formatWhen } from '../domain/display.js';
import { GatewayRefusal, NO_RETRY } from './anthropic-error.js';

export interface RefusedDecision {
  reason: string;
  resetsAt: Date | string | null;
  canRequestExtraUsage?: boolean;
  /** The shared wording of refusals, when the authorize answer carries it. */
  message?: string;
}

export interface RefusalContext {
  /** The org's timezone: reset times are read in it. */
  timezone: string;
  /** The console's address, for the next step (null: no console link). */
  consoleUrl: string | null;
  now: Date;
}

const WHAT: Record<string, string> = {
  extra_usage_disabled: 'You have used the usage included in your seat, and extra usage is turned off for your organisation',
  seat_limit_reached: 'You have used the usage included in your seat, and extra usage is not enabled for you',
  continue_on_extra_usage_off: 'You have used the usage included in your seat, and you chose not to continue on extra usage',
  product_not_enabled: 'Extra usage in Claude Code is not enabled for you',
  product_cap_reached: 'You have reached your monthly extra-usage cap for Claude Code',
  member_cap_reached: 'You have reached your monthly extra-usage cap',
  seat_tier_cap_reached: 'Your seat tier has reached its monthly extra-usage cap',
  org_cap_reached: 'Your organisation has reached its monthly extra-usage cap',
  balance_exhausted: 'Your organisation\'s extra-usage balance is used up',
  model_unpriced: 'This model has no price in your organisation\'s price book, so its usage cannot be capped',
};

function sentenceOf(d: RefusedDecision, ctx: RefusalContext): string {
  const what = WHAT[d.reason] ?? `Extra usage was refused (${d.reason})`;
  const resetsAt = d.resetsAt === null ? null : new Date(d.resetsAt);
  const when = resetsAt
    ? ` It lifts on ${formatWhen(resetsAt, ctx.timezone)}.`
    : d.reason === 'balance_exhausted' ? ' It lifts when an owner adds balance.' : '';
  const page = ctx.consoleUrl ? `${ctx.consoleUrl.replace(/\/$/, '')}/me` : null;
  const next = d.canRequestExtraUsage
    ? ` To keep working now, ask for extra usage${page ? ` at ${page}` : ' in Slack or Teams (/usage request)'}.`
    : d.reason === 'model_unpriced' ? ' Choose another model, or ask an owner to add a price for it.'
    : d.reason === 'balance_exhausted' ? ` Ask an owner to add balance${page ? `; your usage is at ${page}` : ''}.`
    : ` Ask an owner or admin to raise the limit${page ? `; your usage is at ${page}` : ''}.`;
  return `${what}.${when}${next}`;
}

/** The refusal text for a decision: the shared wording when present, else built here. */
export function refusalMessage(d: RefusedDecision, ctx: RefusalContext): string {
  return d.message ?? sentenceOf(d, ctx);
}

/**
 * A refusal as the gateway answers it: a cap or the seat limit is a 429, no retry,
 * retry-after where a reset exists; a model without a price is the request's own
 * fault (400), as the Messages API answers a model it does not serve.
 */
export function refusalAnswer(d: RefusedDecision, ctx: RefusalContext): GatewayRefusal {
  const headers: Record<string, string> = { ...NO_RETRY };
  if (d.reason === 'model_unpriced') return new GatewayRefusal(400, 'invalid_request_error', refusalMessage(d, ctx), headers);
  if (d.resetsAt !== null) {
    const seconds = Math.max(1, Math.ceil((new Date(d.resetsAt).getTime() - ctx.now.getTime()) / 1000));
    headers['retry-after'] = String(seconds);
  }
  return new GatewayRefusal(429, 'rate_limit_error', refusalMessage(d, ctx), headers);
}
