// LiteLLM's model map read as exact decimals: never through a binary float.
import { describe, expect, it } from 'vitest';
import { familyOfModelId, parseLosslessJson, readAnthropicMap, scaledDecimal, seedMapOf, NumberText } from '../../src/domain/litellm-map.js';

const entry = (over: Record<string, unknown> = {}) => ({
  litellm_provider: 'anthropic', input_cost_per_token: 3e-6, output_cost_per_token: 1.5e-5, cache_creation_input_token_cost: 3.75e-6,
  cache_creation_input_token_cost_above_1hr: 6e-6, cache_read_input_token_cost: 3e-7, ...over,
});

describe('the model map as price-book data', () => {
  it('reads every number as the decimal its text writes', () => {
    expect(parseLosslessJson('{"a": 3.75e-06, "b": [0.1, -2], "c": "3e-06"}')).toEqual({ a: new NumberText('3.75e-06'), b: [new NumberText('0.1'), new NumberText('-2')], c: '3e-06' });
    expect(scaledDecimal('3.75e-06', 9)).toBe(3750n);
    expect(scaledDecimal('0.000003', 9)).toBe(3000n);
    expect(scaledDecimal('1.1', 6)).toBe(1_100_000n);
    expect(scaledDecimal('3.125e-07', 9)).toBeNull(); // 312.5 nano-dollars: no whole number
    // 0.1 + 0.2 in binary floats is 0.30000000000000004; as decimals it is exact.
    expect(scaledDecimal('0.3', 1)).toBe(3n);
  });

  it('names the family of dated ids and -latest aliases', () => {
    expect(['claude-opus-4-7-20260416', 'claude-3-5-haiku-latest', 'claude-opus-4-8'].map(familyOfModelId)).toEqual(['claude-opus-4-7', 'claude-3-5-haiku', 'claude-opus-4-8']);
    // Never an empty family: a suffix alone names itself, and the map refuses such an id.
    expect(['-latest', '-20250101', 'x--latest', 'a-latest'].map(familyOfModelId)).toEqual(['-latest', '-20250101', 'x--latest', 'a']);
    for (const id of ['-latest', '-20250101', '.x']) {
      expect(() => readAnthropicMap(JSON.stringify({ [id]: entry() }))).toThrow(`${id}: is not a model id`);
    }
  });

  it('takes tiers, 1-hour writes, batch, web search and provider multipliers; refuses bad rates naming the entry', () => {
    const map = readAnthropicMap(JSON.stringify({
      'claude-x-1': entry({
        input_cost_per_token_above_200k_tokens: 6e-6, output_cost_per_token_above_200k_tokens: 2.25e-5, cache_creation_input_token_cost_above_200k_tokens: 7.5e-6,
        cache_creation_input_token_cost_above_1hr_above_200k_tokens: 1.2e-5, cache_read_input_token_cost_above_200k_tokens: 6e-7,
        input_cost_per_token_batches: 1.5e-6, output_cost_per_token_batches: 7.5e-6,
        search_context_cost_per_query: { search_context_size_low: 0.01, search_context_size_high: 0.01 },
        provider_specific_entry: { us: 1.1, fast: 6 },
      }),
      'gpt-x': { litellm_provider: 'openai', input_cost_per_token: -1 },
    }));
    expect(map.entries).toHaveLength(1);
    const [e] = map.entries;
    expect(e!.tiers.map((t) => [t.above, t.rates.inputNanosPerToken, t.rates.cacheWrite1hNanosPerToken])).toEqual([[0, 3000n, 6000n], [200000, 6000n, 12000n]]);
    expect(e!.modifiers).toEqual([
      { dimension: 'service_tier', value: 'batch', multiplierMillionths: 500000n },
      { dimension: 'web_search_requests', value: '', nanosPerRequest: 10_000_000n },
      { dimension: 'inference_geo', value: 'us', multiplierMillionths: 1_100_000n },
      { dimension: 'speed', value: 'fast', multiplierMillionths: 6_000_000n },
    ]);
    expect(() => readAnthropicMap(JSON.stringify({ 'claude-x-1': entry({ output_cost_per_token: -1.5e-5 }) }))).toThrow('claude-x-1: output_cost_per_token is negative (-0.000015)');
    expect(() => readAnthropicMap(JSON.stringify({ 'claude-x-1': entry({ cache_read_input_token_cost: 'free' }) }))).toThrow('claude-x-1: cache_read_input_token_cost is not a number');
    expect(() => readAnthropicMap(JSON.stringify({ 'claude-x-1': entry({ input_cost_per_token: null }) }))).toThrow('claude-x-1: input_cost_per_token is not a number (null)');
    expect(() => readAnthropicMap('{"gpt-x": {"litellm_provider": "openai"}}')).toThrow('has no entry whose litellm_provider is "anthropic"');
    expect(() => readAnthropicMap('not json')).toThrow(/not JSON/);
    // An entry without a rate the book needs is skipped, and said.
    expect(readAnthropicMap(JSON.stringify({ 'claude-y': { litellm_provider: 'anthropic', input_cost_per_token: 1e-6 } })).skipped).toEqual([
      { id: 'claude-y', reason: expect.stringContaining('output_cost_per_token') },
    ]);
  });

  it('writes the seed with the map\'s own number text', () => {
    const text = seedMapOf('{"claude-x-1": {"litellm_provider": "anthropic", "input_cost_per_token": 3.75e-06, "max_tokens": 8192, "mode": "chat"}, "gpt": {"litellm_provider": "openai"}}', { package: 'litellm', version: '1.0.0', file: 'm.json' });
    expect(text).toContain('"input_cost_per_token": 3.75e-06');
    expect(text).not.toContain('max_tokens');
    expect(text).not.toContain('gpt');
  });
});

describe('numbers beyond any price', () => {
  // Each of these once hung the process (a loop per power of ten, or a huge BigInt) or threw a RangeError (500).
  it.each(['0e-99999999999', `1e-${'9'.repeat(400)}`, '1e300000000', '1e31', '1e-31', `0.${'0'.repeat(60)}1`])('refuses %s naming the entry and the key, at once', (n) => {
    const text = `{"claude-x-1": ${JSON.stringify(entry()).slice(0, -1)}, "output_cost_per_token_batches": ${n}}}`;
    expect(() => readAnthropicMap(text)).toThrow(/^claude-x-1: output_cost_per_token_batches \(.*\) has (an exponent beyond ±30|more than 40 digits)$/);
    expect(scaledDecimal(n, 9)).toBeNull();
  }, 2000);

  it('refuses them in web search fees and provider multipliers too', () => {
    expect(() => readAnthropicMap(`{"claude-x-1": ${JSON.stringify(entry({ provider_specific_entry: { fast: 0 } })).replace('"fast":0', '"fast":1e999999')}}`))
      .toThrow('claude-x-1: provider_specific_entry.fast (1e999999) has an exponent beyond ±30');
    expect(scaledDecimal('3e30', 0)).toBe(3n * 10n ** 30n);
  });
});

describe('prices beyond what the price book holds', () => {
  // The manual price routes' bounds: past them a BIGINT / Int overflows (500, a failed seed) or every later record is refused.
  it('refuses a rate, threshold, multiplier or fee above the manual routes\' bounds, naming the entry and key', () => {
    expect(() => readAnthropicMap(JSON.stringify({ 'claude-x-1': entry({ output_cost_per_token: 1 }) })))
      .toThrow('claude-x-1: output_cost_per_token (1) is above the most the price book takes (999999999 nano-dollars)');
    expect(readAnthropicMap(JSON.stringify({ 'claude-x-1': entry({ output_cost_per_token: 0.999999999 }) })).entries[0]!.tiers[0]!.rates.outputNanosPerToken).toBe(999_999_999n);
    expect(() => readAnthropicMap(JSON.stringify({ 'claude-x-1': entry({ input_cost_per_token_above_3000000k_tokens: 1e-6 }) })))
      .toThrow('claude-x-1: input_cost_per_token_above_3000000k_tokens: a long-context threshold above 2000000000 prompt tokens');
    expect(() => readAnthropicMap(JSON.stringify({ 'claude-x-1': entry({ input_cost_per_token_above_99999999999999999999k_tokens: 1e-6 }) })))
      .toThrow(/a long-context threshold above 2000000000 prompt tokens/);
    expect(() => readAnthropicMap(JSON.stringify({ 'claude-x-1': entry({ provider_specific_entry: { fast: 1000 } }) })))
      .toThrow('claude-x-1: provider_specific_entry.fast (1000) is above the most the price book takes (999999999 millionths)');
    expect(() => readAnthropicMap(JSON.stringify({ 'claude-x-1': entry({ search_context_cost_per_query: { search_context_size_low: 1000 } }) })))
      .toThrow('claude-x-1: search_context_cost_per_query.search_context_size_low (1000) is above the most');
    expect(() => readAnthropicMap(JSON.stringify({ 'claude-x-1': entry({ input_cost_per_token: 1e-9, input_cost_per_token_batches: 1e-6 }) })))
      .toThrow('claude-x-1: its batch rates are above 999.999999 times its rates');
  });
});
