// withExtraUsage: the Anthropic client's messages.create and messages.stream, asking
// the control plane before each call and recording the real usage after it. Both
// return what the SDK returns (an APIPromise, a MessageStream): the metering rides
// on the SDK's per-request middleware, so retries, timeouts, aborts and the stream
// helpers behave exactly as without it.
import type Anthropic from '@anthropic-ai/sdk';
import type { MessageCreateParamsBase } from '@anthropic-ai/sdk/resources/messages';
import type { ControlPlane } from './control-plane.js';
import { estimateOf, type EstimateStrategy } from './estimate.js';
import { meterCall, type EnforcementMode, type MeterConfig } from './meter.js';
import { Recorder, type OnRecordError, type OnRecorded, type RecordRetry } from './recorder.js';

type Messages = Anthropic['messages'];
type RequestOptions = NonNullable<Parameters<Messages['countTokens']>[1]>;

export interface ExtraUsageOptions {
  controlPlane: ControlPlane;
  /** Who the requests are for: the control plane's member id or the org's externalId. */
  member: string;
  /**
   * The product (surface) these requests come from: `claude_code`, `claude`, `api`, or
   * a name the org declared. Sent with authorize and record; an owner's cap on the
   * product applies, and reports and invoices split by it. Left out: unspecified.
   */
  product?: string;
  /**
   * `'check'` (default): authorize compares what is already recorded with the caps.
   * `'reserve'`: authorize also holds an upper-bound estimate under a client-made
   * requestId (`eu_req_…`), and the record with that id settles the hold.
   */
  mode?: EnforcementMode;
  /** Reservation mode: how the prompt is bounded. Default `'bytes'` (see estimate.ts). */
  estimate?: EstimateStrategy;
  /** How hard a failing record is retried before onRecordError. */
  recordRetry?: RecordRetry;
  /** A record that could not be made, with the body to replay. Default: logged to console.error. */
  onRecordError?: OnRecordError;
  /** A record the control plane accepted (its cost, whether it was a replay). */
  onRecorded?: OnRecorded;
}

export interface MeteredMessages {
  /** Authorizes, calls the SDK, records the message's usage (streaming or not). */
  create: Messages['create'];
  /** Authorizes, streams through the SDK, records when the stream ends or fails. */
  stream: Messages['stream'];
  /** Not metered: counting tokens costs nothing. */
  countTokens: Messages['countTokens'];
}

export interface MeteredAnthropic {
  messages: MeteredMessages;
  /**
   * Resolves once every call that has had its response (a stream: once it has ended)
   * is recorded or handed to onRecordError.
   */
  flush(): Promise<void>;
}

export function withExtraUsage(anthropic: { messages: Messages }, options: ExtraUsageOptions): MeteredAnthropic {
  const messages = anthropic.messages;
  const recorder = new Recorder(options.controlPlane, { onRecordError: options.onRecordError, onRecorded: options.onRecorded }, options.recordRetry);
  const strategy = options.estimate ?? 'bytes';
  const config: MeterConfig = {
    controlPlane: options.controlPlane,
    recorder,
    member: options.member,
    ...(options.product ? { product: options.product } : {}),
    mode: options.mode ?? 'check',
    estimate: (params) => estimateOf(strategy, messages, params),
  };
  // Ours runs last, next to the network: it sees every attempt the SDK makes.
  const metered = (params: MessageCreateParamsBase, requestOptions: RequestOptions | undefined): RequestOptions => ({
    ...requestOptions,
    middleware: [...(requestOptions?.middleware ?? []), meterCall(config, params)],
  });
  return {
    messages: {
      create: ((params: MessageCreateParamsBase, requestOptions?: RequestOptions) => messages.create(params, metered(params, requestOptions))) as Messages['create'],
      stream: ((params: MessageCreateParamsBase, requestOptions?: RequestOptions) => messages.stream(params, metered(params, requestOptions))) as Messages['stream'],
      countTokens: (params, requestOptions) => messages.countTokens(params, requestOptions),
    },
    flush: () => recorder.flush(),
  };
}
