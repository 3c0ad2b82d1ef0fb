// Reservation estimates: an upper bound of what a request can cost, sent with
// authorize in reservation mode. The output side is exact (max_tokens caps it,
// thinking included); the prompt side is bounded without a network call by counting
// UTF-8 bytes, since a byte-level tokenizer never makes more tokens than bytes.
import type { MessageCountTokensParams, MessageCreateParamsBase } from '@anthropic-ai/sdk/resources/messages';
import type { Estimate } from './control-plane.js';

/**
 * Tokens held per image: the API scales images down to about 1.15 megapixels,
 * about 1,600 tokens. Counting the base64 bytes instead would hold hundreds of
 * times too much.
 */
export const IMAGE_TOKENS = 1_600;
/** The system prompt the API adds when tools are defined (a few hundred tokens). */
export const TOOLS_OVERHEAD_TOKENS = 1_000;
/** The most the control plane takes in one count. */
const MAX_TOKENS = 2_000_000_000;

const encoder = new TextEncoder();

/**
 * How the reservation estimate is made:
 * - `'bytes'` (default): no network call; the UTF-8 bytes of the prompt (system,
 *   messages, tools) plus a fixed bound per image. Safe but generous (English text is
 *   about 4 bytes per token), so holds are larger than the cost.
 * - `'count_tokens'`: the SDK's `messages.countTokens`: one more API call per request,
 *   close to the real count, but Anthropic calls it an estimate, so a hold may fall
 *   a little short (the control plane still records all of it and reports the excess).
 * - a function of the request params, for your own policy.
 */
export type EstimateStrategy =
  | 'bytes'
  | 'count_tokens'
  | ((params: MessageCreateParamsBase) => Estimate | Promise<Estimate>);

/** The byte-bound estimate of a request, with no network call. */
export function estimateFromBytes(params: MessageCreateParamsBase): Estimate {
  let images = 0;
  // Image payloads are counted as images, not as their base64 text.
  const prompt = JSON.stringify({ system: params.system, messages: params.messages, tools: params.tools, tool_choice: params.tool_choice }, (_key, value: unknown) => {
    if (isImageBlock(value)) {
      images++;
      return null;
    }
    return value;
  });
  const overhead = params.tools?.length ? TOOLS_OVERHEAD_TOKENS : 0;
  return { input_tokens: clamp(encoder.encode(prompt).length + images * IMAGE_TOKENS + overhead), max_tokens: clamp(params.max_tokens) };
}

interface TokenCounter {
  countTokens(params: MessageCountTokensParams): PromiseLike<{ input_tokens: number }>;
}

/** The estimate with the prompt counted by the Messages API's count_tokens endpoint. */
export async function estimateWithCountTokens(messages: TokenCounter, params: MessageCreateParamsBase): Promise<Estimate> {
  const { input_tokens } = await messages.countTokens({
    model: params.model,
    messages: params.messages,
    ...(params.system !== undefined && { system: params.system }),
    ...(params.tools !== undefined && { tools: params.tools }),
    ...(params.tool_choice !== undefined && { tool_choice: params.tool_choice }),
    ...(params.thinking !== undefined && { thinking: params.thinking }),
  } as MessageCountTokensParams);
  return { input_tokens: clamp(input_tokens), max_tokens: clamp(params.max_tokens) };
}

export function estimateOf(strategy: EstimateStrategy, messages: TokenCounter, params: MessageCreateParamsBase): Promise<Estimate> {
  if (strategy === 'bytes') return Promise.resolve(estimateFromBytes(params));
  if (strategy === 'count_tokens') return estimateWithCountTokens(messages, params);
  return Promise.resolve(strategy(params));
}

function isImageBlock(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'image';
}

function clamp(n: number): number {
  return Math.min(MAX_TOKENS, Math.max(0, Math.ceil(n)));
}
