// The official SDK's client for one connected org's Admin API key. Only our own code
// holds the key in clear, for the length of a call; it is never logged.
import Anthropic from '@anthropic-ai/sdk';

export interface AnthropicSettings {
  /** ANTHROPIC_API_BASE: protocol, host, port. */
  baseUrl: string;
  /** Per call; the SDK's own retries stay off for writes (see approve). */
  timeoutMs?: number;
}

/** `maxRetries` 0 for a write whose retry must go through our read-then-write check. */
export function adminClient(apiKey: string, settings: AnthropicSettings, maxRetries = 2): Anthropic {
  return new Anthropic({ apiKey, baseURL: settings.baseUrl, maxRetries, timeout: settings.timeoutMs ?? 20_000, logLevel: 'off' });
}

export type AdminClient = Anthropic;
