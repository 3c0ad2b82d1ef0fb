// One metered model call, as SDK middleware: it runs around each HTTP attempt
// inside the SDK's retry loop. The first attempt authorizes (later attempts reuse
// that answer); the first successful response is read on an independent copy of
// its body and recorded once, so retried attempts never add a record.
import type { Middleware, MiddlewareContext } from '@anthropic-ai/sdk';
import type { Stream } from '@anthropic-ai/sdk/core/streaming';
import type { Message, MessageCreateParamsBase, RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import type { AuthorizeAllowed, ControlPlane, Estimate, RecordRequest } from './control-plane.js';
import { ExtraUsageRefusedError } from './errors.js';
import type { Recorder } from './recorder.js';
import { StreamUsage, usageForRecord } from './usage.js';

export type EnforcementMode = 'check' | 'reserve';

export interface MeterConfig {
  controlPlane: ControlPlane;
  recorder: Recorder;
  member: string;
  /** Sent with authorize and record when set. */
  product?: string;
  mode: EnforcementMode;
  estimate: (params: MessageCreateParamsBase) => Promise<Estimate>;
}

/** A fresh id for a reservation, made before the response (and its msg_ id) exists. */
export const newRequestId = () => `eu_req_${globalThis.crypto.randomUUID()}`;

export function meterCall(config: MeterConfig, params: MessageCreateParamsBase): Middleware {
  // Reservation: one id for the hold and its record, whatever the SDK retries.
  const requestId = config.mode === 'reserve' ? newRequestId() : null;
  let authorized: Promise<AuthorizeAllowed> | undefined;
  let recorded = false;

  const authorize = async (signal: AbortSignal | undefined | null): Promise<AuthorizeAllowed> => {
    const estimate = requestId ? await config.estimate(params) : undefined;
    const decision = await config.controlPlane.authorize(
      { member: config.member, model: params.model, ...(config.product && { product: config.product }), ...(requestId && { requestId, estimate }) },
      signal ? { signal } : {},
    );
    if (!decision.allowed) {
      throw new ExtraUsageRefusedError({
        member: config.member,
        memberId: decision.memberId,
        reason: decision.reason,
        resetsAt: decision.resetsAt === null ? null : new Date(decision.resetsAt),
        canRequestExtraUsage: decision.canRequestExtraUsage,
        text: decision.message ?? null,
      });
    }
    return decision;
  };

  return async (request, next, ctx) => {
    // A failed authorize (control plane unreachable) is tried again by the next attempt.
    authorized ??= authorize(request.signal).catch((err: unknown) => {
      if (!(err instanceof ExtraUsageRefusedError)) authorized = undefined;
      throw err;
    });
    await authorized;
    const response = await next(request);
    if (response.ok && !recorded) {
      recorded = true;
      // ctx.parse clones the body now, before the SDK starts reading it.
      const body = ctx.parse<unknown>(response);
      config.recorder.track(recordFrom(body, ctx, config, requestId));
    }
    return response;
  };
}

async function recordFrom(body: Promise<unknown>, ctx: MiddlewareContext, config: MeterConfig, requestId: string | null): Promise<void> {
  const record = (id: string, model: string, usage: Record<string, unknown>): RecordRequest => ({
    requestId: requestId ?? id,
    member: config.member,
    model,
    usage: usageForRecord(usage),
    ...(config.product ? { product: config.product } : {}),
  });
  if (!ctx.options?.stream) {
    const message = (await body) as Partial<Message>;
    if (typeof message.id !== 'string' || typeof message.model !== 'string' || typeof message.usage !== 'object' || message.usage === null) {
      throw new Error(`the Messages API answered without id, model or usage; nothing recorded: ${JSON.stringify(message).slice(0, 200)}`);
    }
    await config.recorder.record(record(message.id, message.model, message.usage as unknown as Record<string, unknown>));
    return;
  }
  const seen = new StreamUsage();
  try {
    for await (const event of (await body) as Stream<RawMessageStreamEvent>) seen.add(event);
  } catch {
    // Failed or aborted: the caller gets the error on its own stream; here what the
    // stream last said it used is still recorded.
  }
  // Before message_start nothing was produced, and there is nothing to record.
  if (seen.id !== null && seen.model !== null && seen.usage !== null) {
    await config.recorder.record(record(seen.id, seen.model, seen.usage));
  }
}
