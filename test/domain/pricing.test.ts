// Pricing at standard API rates. The price book below is typed by hand from the
// product brief's table; one test checks that the seed migration holds the same
// rows. Expected costs are worked out by hand: USD/MTok x 1000 = nanos per token.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatUsd } from '../../src/domain/money.js';
import {
  extrasOf,
  millionthsToMultiplier,
  multiplierToMillionths,
  NO_EXTRAS,
  priceExtras,
  selectModifier,
  type PriceModifierRow,
  type UsageExtras,
  nanosPerTokenToRatePerMillion,
  priceTokens,
  promptTokens,
  ratePerMillionToNanosPerToken,
  selectPriceTier,
  readUsage,
  tokenCountsOf,
  type MessagesUsage,
  type PriceTier,
  type TokenCounts,
} from '../../src/domain/pricing.js';

const SEEDED_AT = new Date('2025-01-01T00:00:00Z');
const AT = new Date('2026-11-27T12:00:00Z');

function tier(id: string, model: string, minPromptTokensExclusive: number, rates: [bigint, bigint, bigint, bigint, bigint], effectiveFrom = SEEDED_AT): PriceTier {
  const [input, w5, w1, read, output] = rates;
  return {
    id,
    model,
    effectiveFrom,
    minPromptTokensExclusive,
    inputNanosPerToken: input,
    cacheWrite5mNanosPerToken: w5,
    cacheWrite1hNanosPerToken: w1,
    cacheReadNanosPerToken: read,
    outputNanosPerToken: output,
  };
}

const SEED: PriceTier[] = [
  tier('seed-claude-opus-4-5-0', 'claude-opus-4-5', 0, [5000n, 6250n, 10000n, 500n, 25000n]),
  tier('seed-claude-opus-4-1-0', 'claude-opus-4-1', 0, [15000n, 18750n, 30000n, 1500n, 75000n]),
  tier('seed-claude-sonnet-4-5-0', 'claude-sonnet-4-5', 0, [3000n, 3750n, 6000n, 300n, 15000n]),
  tier('seed-claude-sonnet-4-5-200000', 'claude-sonnet-4-5', 200000, [6000n, 7500n, 12000n, 600n, 22500n]),
  tier('seed-claude-haiku-4-5-0', 'claude-haiku-4-5', 0, [1000n, 1250n, 2000n, 100n, 5000n]),
  tier('seed-claude-haiku-3-5-0', 'claude-haiku-3-5', 0, [800n, 1000n, 1600n, 80n, 4000n]),
];

const KINDS = ['input', 'cacheWrite5m', 'cacheWrite1h', 'cacheRead', 'output'] as const;
type Kind = (typeof KINDS)[number];

const counts = (partial: Partial<TokenCounts>): TokenCounts => ({ input: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 0, ...partial });

/** One token of a kind, as the Messages API reports it. */
function usageOf(kind: Kind, n: number): MessagesUsage {
  switch (kind) {
    case 'input':
      return { input_tokens: n, output_tokens: 0 };
    case 'cacheWrite5m':
      return { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: n, cache_creation: { ephemeral_5m_input_tokens: n, ephemeral_1h_input_tokens: 0 } };
    case 'cacheWrite1h':
      return { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: n, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: n } };
    case 'cacheRead':
      return { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: n };
    case 'output':
      return { input_tokens: 0, output_tokens: n };
  }
}

// Published standard rates (USD per million tokens) and the price of exactly one
// token of each kind, worked out by hand (rate / 1,000,000).
const PUBLISHED: Record<string, { perMillion: Record<Kind, string>; oneToken: Record<Kind, string>; tierId: string }> = {
  'claude-opus-4-5': {
    tierId: 'seed-claude-opus-4-5-0',
    perMillion: { input: '5.00', cacheWrite5m: '6.25', cacheWrite1h: '10.00', cacheRead: '0.50', output: '25.00' },
    oneToken: { input: '0.000005', cacheWrite5m: '0.00000625', cacheWrite1h: '0.00001', cacheRead: '0.0000005', output: '0.000025' },
  },
  'claude-opus-4-1': {
    tierId: 'seed-claude-opus-4-1-0',
    perMillion: { input: '15.00', cacheWrite5m: '18.75', cacheWrite1h: '30.00', cacheRead: '1.50', output: '75.00' },
    oneToken: { input: '0.000015', cacheWrite5m: '0.00001875', cacheWrite1h: '0.00003', cacheRead: '0.0000015', output: '0.000075' },
  },
  'claude-sonnet-4-5': {
    tierId: 'seed-claude-sonnet-4-5-0',
    perMillion: { input: '3.00', cacheWrite5m: '3.75', cacheWrite1h: '6.00', cacheRead: '0.30', output: '15.00' },
    oneToken: { input: '0.000003', cacheWrite5m: '0.00000375', cacheWrite1h: '0.000006', cacheRead: '0.0000003', output: '0.000015' },
  },
  'claude-haiku-4-5': {
    tierId: 'seed-claude-haiku-4-5-0',
    perMillion: { input: '1.00', cacheWrite5m: '1.25', cacheWrite1h: '2.00', cacheRead: '0.10', output: '5.00' },
    oneToken: { input: '0.000001', cacheWrite5m: '0.00000125', cacheWrite1h: '0.000002', cacheRead: '0.0000001', output: '0.000005' },
  },
  'claude-haiku-3-5': {
    tierId: 'seed-claude-haiku-3-5-0',
    perMillion: { input: '0.80', cacheWrite5m: '1.00', cacheWrite1h: '1.60', cacheRead: '0.08', output: '4.00' },
    oneToken: { input: '0.0000008', cacheWrite5m: '0.000001', cacheWrite1h: '0.0000016', cacheRead: '0.00000008', output: '0.000004' },
  },
};

const SONNET_LONG = {
  perMillion: { input: '6.00', cacheWrite5m: '7.50', cacheWrite1h: '12.00', cacheRead: '0.60', output: '22.50' },
  oneToken: { input: '0.000006', cacheWrite5m: '0.0000075', cacheWrite1h: '0.000012', cacheRead: '0.0000006', output: '0.0000225' },
};

const RATE_FIELD: Record<Kind, keyof PriceTier & `${string}NanosPerToken`> = {
  input: 'inputNanosPerToken',
  cacheWrite5m: 'cacheWrite5mNanosPerToken',
  cacheWrite1h: 'cacheWrite1hNanosPerToken',
  cacheRead: 'cacheReadNanosPerToken',
  output: 'outputNanosPerToken',
};

/** The tier an ordinary (short) request for this model gets. */
function baseTier(model: string): PriceTier {
  const t = selectPriceTier(SEED, model, AT, counts({ input: 1000, output: 100 }));
  expect(t).not.toBeNull();
  return t!;
}

describe('the seed migration', () => {
  it('holds exactly the rates this test prices with', () => {
    const sql = readFileSync(fileURLToPath(new URL('../../prisma/migrations/20261127000100_seed_price_book/migration.sql', import.meta.url)), 'utf8');
    const rows = [...sql.matchAll(/\('([^']+)', '([^']+)', '([^']+)', (\d+), (\d+), (\d+), (\d+), (\d+), (\d+)\)/g)].map((m) => ({
      id: m[1],
      model: m[2],
      effectiveFrom: new Date(`${m[3]!.replace(' ', 'T')}Z`).toISOString(),
      min: Number(m[4]),
      rates: [m[5], m[6], m[7], m[8], m[9]].map((x) => BigInt(x!)),
    }));
    expect(rows).toEqual(
      SEED.map((t) => ({
        id: t.id,
        model: t.model,
        effectiveFrom: t.effectiveFrom.toISOString(),
        min: t.minPromptTokensExclusive,
        rates: [t.inputNanosPerToken, t.cacheWrite5mNanosPerToken, t.cacheWrite1hNanosPerToken, t.cacheReadNanosPerToken, t.outputNanosPerToken],
      })),
    );
  });
});

describe('every token kind of every seeded model', () => {
  for (const [model, p] of Object.entries(PUBLISHED)) {
    describe(model, () => {
      it('an ordinary request gets the base tier', () => {
        expect(baseTier(model).id).toBe(p.tierId);
      });

      for (const kind of KINDS) {
        it(`1 ${kind} token costs $${p.oneToken[kind]}; 1,000,000 cost $${p.perMillion[kind]}`, () => {
          const t = baseTier(model);
          expect(formatUsd(priceTokens(tokenCountsOf(usageOf(kind, 1)), t))).toBe(p.oneToken[kind]);
          expect(formatUsd(priceTokens(tokenCountsOf(usageOf(kind, 1_000_000)), t))).toBe(p.perMillion[kind]);
        });

        it(`the ${kind} rate converts both ways between $${p.perMillion[kind]}/MTok and nanos per token`, () => {
          const t = baseTier(model);
          expect(nanosPerTokenToRatePerMillion(t[RATE_FIELD[kind]])).toBe(p.perMillion[kind]);
          expect(ratePerMillionToNanosPerToken(p.perMillion[kind])).toBe(t[RATE_FIELD[kind]]);
        });
      }
    });
  }

  describe('claude-sonnet-4-5 long context (over 200,000 prompt tokens)', () => {
    const long = () => {
      const t = selectPriceTier(SEED, 'claude-sonnet-4-5', AT, counts({ input: 200_001 }));
      expect(t?.id).toBe('seed-claude-sonnet-4-5-200000');
      return t!;
    };
    for (const kind of KINDS) {
      it(`1 ${kind} token costs $${SONNET_LONG.oneToken[kind]}; 1,000,000 cost $${SONNET_LONG.perMillion[kind]}`, () => {
        expect(formatUsd(priceTokens(tokenCountsOf(usageOf(kind, 1)), long()))).toBe(SONNET_LONG.oneToken[kind]);
        expect(formatUsd(priceTokens(tokenCountsOf(usageOf(kind, 1_000_000)), long()))).toBe(SONNET_LONG.perMillion[kind]);
        expect(nanosPerTokenToRatePerMillion(long()[RATE_FIELD[kind]])).toBe(SONNET_LONG.perMillion[kind]);
      });
    }
  });

  it('1 output token of claude-opus-4-5 is $0.000025 = 25,000 nanos exactly', () => {
    expect(priceTokens(counts({ output: 1 }), baseTier('claude-opus-4-5'))).toBe(25_000n);
  });
});

describe('realistic mixed requests, to the nano-dollar', () => {
  it('claude-opus-4-5 with input, both cache writes, cache reads and output', () => {
    const usage: MessagesUsage = {
      input_tokens: 1_537,
      cache_creation_input_tokens: 4_098,
      cache_creation: { ephemeral_5m_input_tokens: 3_001, ephemeral_1h_input_tokens: 1_097 },
      cache_read_input_tokens: 48_123,
      output_tokens: 813,
    };
    const tokens = tokenCountsOf(usage);
    expect(tokens).toEqual({ input: 1_537, cacheWrite5m: 3_001, cacheWrite1h: 1_097, cacheRead: 48_123, output: 813 });
    const t = selectPriceTier(SEED, 'claude-opus-4-5', AT, tokens);
    expect(t?.id).toBe('seed-claude-opus-4-5-0');
    //   1,537 x  5,000 =  7,685,000
    //   3,001 x  6,250 = 18,756,250
    //   1,097 x 10,000 = 10,970,000
    //  48,123 x    500 = 24,061,500
    //     813 x 25,000 = 20,325,000
    //                    81,797,750 nanos = $0.08179775
    expect(priceTokens(tokens, t!)).toBe(81_797_750n);
    expect(formatUsd(priceTokens(tokens, t!))).toBe('0.08179775');
  });

  it('claude-haiku-3-5 with small odd counts and a plain cache-write total', () => {
    const tokens = tokenCountsOf({ input_tokens: 7, cache_creation_input_tokens: 3, cache_read_input_tokens: 11, output_tokens: 13 });
    // 7x800 + 3x1000 + 11x80 + 13x4000 = 5,600 + 3,000 + 880 + 52,000 = 61,480
    expect(formatUsd(priceTokens(tokens, selectPriceTier(SEED, 'claude-haiku-3-5', AT, tokens)!))).toBe('0.00006148');
  });

  it('claude-opus-4-1 long request stays on its only (base) tier', () => {
    const tokens = tokenCountsOf({ input_tokens: 500_000, output_tokens: 2_000 });
    const t = selectPriceTier(SEED, 'claude-opus-4-1', AT, tokens);
    expect(t?.id).toBe('seed-claude-opus-4-1-0');
    // 500,000 x 15,000 + 2,000 x 75,000 = 7,500,000,000 + 150,000,000
    expect(formatUsd(priceTokens(tokens, t!))).toBe('7.65');
  });
});

describe('Sonnet long-context tier: more than 200,000 prompt tokens', () => {
  // prompt tokens = input + 5m cache writes + 1h cache writes + cache reads (output never counts)
  it('does not apply at exactly 200,000 prompt tokens', () => {
    const tokens = tokenCountsOf({ input_tokens: 150_000, cache_creation_input_tokens: 30_000, cache_read_input_tokens: 20_000, output_tokens: 1_000 });
    expect(promptTokens(tokens)).toBe(200_000);
    const t = selectPriceTier(SEED, 'claude-sonnet-4-5', AT, tokens);
    expect(t?.id).toBe('seed-claude-sonnet-4-5-0');
    // 150,000x3,000 + 30,000x3,750 + 20,000x300 + 1,000x15,000
    // = 450,000,000 + 112,500,000 + 6,000,000 + 15,000,000 = 583,500,000
    expect(formatUsd(priceTokens(tokens, t!))).toBe('0.5835');
  });

  it('applies at 200,001 prompt tokens, to every token kind of the request', () => {
    const tokens = tokenCountsOf({ input_tokens: 150_001, cache_creation_input_tokens: 30_000, cache_read_input_tokens: 20_000, output_tokens: 1_000 });
    expect(promptTokens(tokens)).toBe(200_001);
    const t = selectPriceTier(SEED, 'claude-sonnet-4-5', AT, tokens);
    expect(t?.id).toBe('seed-claude-sonnet-4-5-200000');
    // 150,001x6,000 + 30,000x7,500 + 20,000x600 + 1,000x22,500
    // = 900,006,000 + 225,000,000 + 12,000,000 + 22,500,000 = 1,159,506,000
    expect(formatUsd(priceTokens(tokens, t!))).toBe('1.159506');
  });

  it('counts cache reads toward the threshold (1 input + 200,000 cache reads)', () => {
    const tokens = tokenCountsOf({ input_tokens: 1, cache_read_input_tokens: 200_000, output_tokens: 10 });
    const t = selectPriceTier(SEED, 'claude-sonnet-4-5', AT, tokens);
    expect(t?.id).toBe('seed-claude-sonnet-4-5-200000');
    // 1x6,000 + 200,000x600 + 10x22,500 = 6,000 + 120,000,000 + 225,000
    expect(formatUsd(priceTokens(tokens, t!))).toBe('0.120231');
  });

  it('counts 1-hour cache writes toward the threshold', () => {
    const tokens = tokenCountsOf({
      input_tokens: 100_000,
      cache_creation_input_tokens: 100_001,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 100_001 },
      output_tokens: 0,
    });
    expect(selectPriceTier(SEED, 'claude-sonnet-4-5', AT, tokens)?.id).toBe('seed-claude-sonnet-4-5-200000');
  });

  it('does not count output tokens toward the threshold', () => {
    const tokens = tokenCountsOf({ input_tokens: 200_000, output_tokens: 64_000 });
    const t = selectPriceTier(SEED, 'claude-sonnet-4-5', AT, tokens);
    expect(t?.id).toBe('seed-claude-sonnet-4-5-0');
    // 200,000x3,000 + 64,000x15,000 = 600,000,000 + 960,000,000
    expect(formatUsd(priceTokens(tokens, t!))).toBe('1.56');
  });

  it('does not depend on the order of the price-book rows', () => {
    const reversed = [...SEED].reverse();
    expect(selectPriceTier(reversed, 'claude-sonnet-4-5', AT, counts({ input: 200_001 }))?.id).toBe('seed-claude-sonnet-4-5-200000');
    expect(selectPriceTier(reversed, 'claude-sonnet-4-5', AT, counts({ input: 200_000 }))?.id).toBe('seed-claude-sonnet-4-5-0');
  });
});

describe('cache writes: 5-minute / 1-hour breakdown vs the plain total', () => {
  const sonnet = () => baseTier('claude-sonnet-4-5');

  it('uses the breakdown when the API gives one', () => {
    const tokens = tokenCountsOf({
      input_tokens: 10,
      output_tokens: 5,
      cache_creation_input_tokens: 300,
      cache_creation: { ephemeral_5m_input_tokens: 100, ephemeral_1h_input_tokens: 200 },
    });
    expect(tokens).toEqual({ input: 10, cacheWrite5m: 100, cacheWrite1h: 200, cacheRead: 0, output: 5 });
    // 10x3,000 + 100x3,750 + 200x6,000 + 5x15,000 = 30,000 + 375,000 + 1,200,000 + 75,000
    expect(formatUsd(priceTokens(tokens, sonnet()))).toBe('0.00168');
  });

  it('treats a plain total (no breakdown) as 5-minute writes', () => {
    const tokens = tokenCountsOf({ input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 300 });
    expect(tokens).toEqual({ input: 10, cacheWrite5m: 300, cacheWrite1h: 0, cacheRead: 0, output: 5 });
    // 10x3,000 + 300x3,750 + 5x15,000 = 30,000 + 1,125,000 + 75,000
    expect(formatUsd(priceTokens(tokens, sonnet()))).toBe('0.00123');
  });

  it('treats a null or empty breakdown like no breakdown', () => {
    const expected = { input: 10, cacheWrite5m: 300, cacheWrite1h: 0, cacheRead: 0, output: 5 };
    expect(tokenCountsOf({ input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 300, cache_creation: null })).toEqual(expected);
    expect(tokenCountsOf({ input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 300, cache_creation: {} })).toEqual(expected);
    expect(
      tokenCountsOf({
        input_tokens: 10,
        output_tokens: 5,
        cache_creation_input_tokens: 300,
        cache_creation: { ephemeral_5m_input_tokens: null, ephemeral_1h_input_tokens: null },
      }),
    ).toEqual(expected);
  });

  it('accepts a breakdown without the total, and a breakdown with one part missing', () => {
    expect(tokenCountsOf({ input_tokens: 1, output_tokens: 1, cache_creation: { ephemeral_1h_input_tokens: 40 } })).toEqual({
      input: 1,
      cacheWrite5m: 0,
      cacheWrite1h: 40,
      cacheRead: 0,
      output: 1,
    });
    expect(tokenCountsOf({ input_tokens: 1, output_tokens: 1, cache_creation_input_tokens: 40, cache_creation: { ephemeral_5m_input_tokens: 40 } })).toEqual({
      input: 1,
      cacheWrite5m: 40,
      cacheWrite1h: 0,
      cacheRead: 0,
      output: 1,
    });
  });

  it('treats missing or null cache fields as zero', () => {
    expect(tokenCountsOf({ input_tokens: 12, output_tokens: 34 })).toEqual({ input: 12, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 34 });
    expect(tokenCountsOf({ input_tokens: 12, output_tokens: 34, cache_creation_input_tokens: null, cache_read_input_tokens: null })).toEqual({
      input: 12,
      cacheWrite5m: 0,
      cacheWrite1h: 0,
      cacheRead: 0,
      output: 34,
    });
  });

  // The documented rule: the total is billed; its 1-hour part is the breakdown's 1-hour
  // writes (at most the total), the rest 5-minute writes. Flagged, never refused.
  it('bills the total of a disagreeing breakdown, the excess as 5-minute writes, and flags it', () => {
    const bad: MessagesUsage = {
      input_tokens: 10,
      output_tokens: 5,
      cache_creation_input_tokens: 300,
      cache_creation: { ephemeral_5m_input_tokens: 100, ephemeral_1h_input_tokens: 100 },
    };
    const { tokens, flags } = readUsage(bad);
    expect(flags).toEqual(['cache_breakdown_mismatch']);
    expect(tokens).toEqual({ input: 10, cacheWrite5m: 200, cacheWrite1h: 100, cacheRead: 0, output: 5 });
    // 10x3,000 + 200x3,750 + 100x6,000 + 5x15,000 = 30,000 + 750,000 + 600,000 + 75,000
    expect(formatUsd(priceTokens(tokens, baseTier('claude-sonnet-4-5')))).toBe('0.001455');
  });

  it('cuts a breakdown larger than the total to it, 1-hour writes first', () => {
    expect(readUsage({ input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 150, cache_creation: { ephemeral_5m_input_tokens: 100, ephemeral_1h_input_tokens: 100 } })).toEqual({
      tokens: { input: 0, cacheWrite5m: 50, cacheWrite1h: 100, cacheRead: 0, output: 0 },
      flags: ['cache_breakdown_mismatch'],
    });
    expect(readUsage({ input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 60, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 100 } })).toEqual({
      tokens: { input: 0, cacheWrite5m: 0, cacheWrite1h: 60, cacheRead: 0, output: 0 },
      flags: ['cache_breakdown_mismatch'],
    });
  });

  it('bills a non-zero total with an all-zero breakdown as 5-minute writes, flagged', () => {
    expect(readUsage({ input_tokens: 1, output_tokens: 1, cache_creation_input_tokens: 5, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 } })).toEqual({
      tokens: { input: 1, cacheWrite5m: 5, cacheWrite1h: 0, cacheRead: 0, output: 1 },
      flags: ['cache_breakdown_mismatch'],
    });
  });

  it('flags nothing when the breakdown adds up, or is missing', () => {
    expect(readUsage({ input_tokens: 1, output_tokens: 1, cache_creation_input_tokens: 5, cache_creation: { ephemeral_5m_input_tokens: 2, ephemeral_1h_input_tokens: 3 } }).flags).toEqual([]);
    expect(readUsage({ input_tokens: 1, output_tokens: 1, cache_creation_input_tokens: 5 }).flags).toEqual([]);
  });

  it('takes null input and output counts (as a streamed message_delta types them) as zero', () => {
    expect(tokenCountsOf({ input_tokens: null, output_tokens: null })).toEqual({ input: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, output: 0 });
  });
});

describe('price changes by effective date', () => {
  const CHANGE = new Date('2027-01-01T00:00:00Z');
  // A hypothetical price cut for Opus 4.5 from 2027.
  const BOOK = [...SEED, tier('opus-4-5-2027', 'claude-opus-4-5', 0, [4000n, 5000n, 8000n, 400n, 20000n], CHANGE)];
  const tokens = counts({ input: 1_000, output: 1_000 });

  it('an event just before the change keeps the old price', () => {
    const t = selectPriceTier(BOOK, 'claude-opus-4-5', new Date('2026-12-31T23:59:59.999Z'), tokens);
    expect(t?.id).toBe('seed-claude-opus-4-5-0');
    // 1,000x5,000 + 1,000x25,000 = 30,000,000
    expect(formatUsd(priceTokens(tokens, t!))).toBe('0.03');
  });

  it('an event at the effective instant and after gets the new price', () => {
    for (const at of [CHANGE, new Date('2027-06-15T08:00:00Z')]) {
      const t = selectPriceTier(BOOK, 'claude-opus-4-5', at, tokens);
      expect(t?.id).toBe('opus-4-5-2027');
      // 1,000x4,000 + 1,000x20,000 = 24,000,000
      expect(formatUsd(priceTokens(tokens, t!))).toBe('0.024');
    }
  });

  it('leaves other models on their price', () => {
    expect(selectPriceTier(BOOK, 'claude-opus-4-1', new Date('2027-06-15T08:00:00Z'), tokens)?.id).toBe('seed-claude-opus-4-1-0');
  });

  it('a new Sonnet price set (base and long-context) replaces both tiers from its date', () => {
    const book = [
      ...SEED,
      tier('sonnet-2027-0', 'claude-sonnet-4-5', 0, [2000n, 2500n, 4000n, 200n, 10000n], CHANGE),
      tier('sonnet-2027-200000', 'claude-sonnet-4-5', 200000, [4000n, 5000n, 8000n, 400n, 15000n], CHANGE),
    ];
    const before = new Date('2026-12-31T23:59:59Z');
    expect(selectPriceTier(book, 'claude-sonnet-4-5', before, counts({ input: 200_000 }))?.id).toBe('seed-claude-sonnet-4-5-0');
    expect(selectPriceTier(book, 'claude-sonnet-4-5', before, counts({ input: 200_001 }))?.id).toBe('seed-claude-sonnet-4-5-200000');
    expect(selectPriceTier(book, 'claude-sonnet-4-5', CHANGE, counts({ input: 200_000 }))?.id).toBe('sonnet-2027-0');
    expect(selectPriceTier(book, 'claude-sonnet-4-5', CHANGE, counts({ input: 200_001 }))?.id).toBe('sonnet-2027-200000');
  });

  it('has no price before the first effective date, nor for an unknown model', () => {
    expect(selectPriceTier(SEED, 'claude-opus-4-5', new Date('2024-12-31T23:59:59.999Z'), tokens)).toBeNull();
    expect(selectPriceTier(SEED, 'claude-opus-4-5', SEEDED_AT, tokens)?.id).toBe('seed-claude-opus-4-5-0');
    expect(selectPriceTier(SEED, 'gpt-4o', AT, tokens)).toBeNull();
    expect(selectPriceTier(SEED, 'Claude-Opus-4-5', AT, tokens)).toBeNull();
    expect(selectPriceTier([], 'claude-opus-4-5', AT, tokens)).toBeNull();
  });

  // Regression: the base tier (threshold 0) also applies to a usage with no prompt
  // tokens at all (all zeros, or output only), instead of "model has no price".
  it('a usage with zero prompt tokens is priced at the base tier', () => {
    expect(selectPriceTier(SEED, 'claude-opus-4-5', AT, counts({}))?.id).toBe('seed-claude-opus-4-5-0');
    const t = selectPriceTier(SEED, 'claude-opus-4-5', AT, tokenCountsOf({ input_tokens: 0, output_tokens: 1 }));
    expect(t?.id).toBe('seed-claude-opus-4-5-0');
    expect(formatUsd(priceTokens(counts({ output: 1 }), t!))).toBe('0.000025');
    expect(selectPriceTier(SEED, 'claude-sonnet-4-5', AT, counts({ output: 300_000 }))?.id).toBe('seed-claude-sonnet-4-5-0');
  });
});

describe('priceTokens', () => {
  it('is exact far beyond float precision', () => {
    // 9,007,199,254,740,993 (2^53 + 1) output tokens of Opus 4.1 at 75,000 nanos
    const t = baseTier('claude-opus-4-1');
    expect(priceTokens(counts({ output: 2 ** 53 }), t) + 75_000n).toBe(9_007_199_254_740_993n * 75_000n);
    expect(priceTokens(counts({ output: 2 ** 53 }), t)).toBe(675_539_944_105_574_400_000n);
  });

  it('zero tokens cost nothing', () => {
    expect(priceTokens(counts({}), baseTier('claude-opus-4-5'))).toBe(0n);
    expect(formatUsd(priceTokens(counts({}), baseTier('claude-opus-4-5')))).toBe('0.00');
  });
});

describe('ratePerMillionToNanosPerToken', () => {
  it.each([
    ['3.00', 3000n],
    ['3', 3000n],
    ['3.0', 3000n],
    ['0.08', 80n],
    ['0.3', 300n],
    ['22.50', 22500n],
    ['0.001', 1n],
    ['999999.999', 999_999_999n],
  ])('%s USD/MTok = %s nanos per token', (text, nanos) => {
    expect(ratePerMillionToNanosPerToken(text)).toBe(nanos);
  });

  it.each(['3.0001', '0.0005', '-3.00', '+3', '3.', '.5', 'abc', '', '1,000', '1e3', '1234567', ' 3.00'])(
    'rejects %j (not a whole number of nanos per token, or not a rate)',
    (text) => {
      expect(ratePerMillionToNanosPerToken(text)).toBeNull();
    },
  );

  it('renders rates back with at least two decimals', () => {
    expect(nanosPerTokenToRatePerMillion(3000n)).toBe('3.00');
    expect(nanosPerTokenToRatePerMillion(80n)).toBe('0.08');
    expect(nanosPerTokenToRatePerMillion(300n)).toBe('0.30');
    expect(nanosPerTokenToRatePerMillion(1n)).toBe('0.001');
    expect(nanosPerTokenToRatePerMillion(22500n)).toBe('22.50');
    expect(nanosPerTokenToRatePerMillion(0n)).toBe('0.00');
  });
});

describe('fees and multipliers (price-book rows, not code)', () => {
  const row = (id: string, family: string, dimension: string, value: string, over: Partial<PriceModifierRow> = {}): PriceModifierRow => ({
    id, family, dimension, value, effectiveFrom: SEEDED_AT, nanosPerRequest: null, multiplierMillionths: null, ...over,
  });
  // As the seed migration holds them.
  const MODS: PriceModifierRow[] = [
    row('seed-web-search', '*', 'web_search_requests', '', { nanosPerRequest: 10_000_000n }),
    row('seed-web-fetch', '*', 'web_fetch_requests', '', { nanosPerRequest: 0n }),
    row('seed-tier-standard', '*', 'service_tier', 'standard', { multiplierMillionths: 1_000_000n }),
    row('seed-tier-batch', '*', 'service_tier', 'batch', { multiplierMillionths: 500_000n }),
    row('seed-geo-global', '*', 'inference_geo', 'global', { multiplierMillionths: 1_000_000n }),
    row('seed-geo-us', '*', 'inference_geo', 'us', { multiplierMillionths: 1_100_000n }),
    row('seed-speed-standard', '*', 'speed', 'standard', { multiplierMillionths: 1_000_000n }),
  ];
  const extras = (over: Partial<UsageExtras>): UsageExtras => ({ ...NO_EXTRAS, ...over });

  it('the seed migration holds exactly these rows', () => {
    const sql = readFileSync(fileURLToPath(new URL('../../prisma/migrations/20261203030000_price_modifiers/migration.sql', import.meta.url)), 'utf8');
    const rows = [...sql.matchAll(/\('([^']+)', '([^']+)', '([^']+)', '([^']*)', '([^']+)', (\d+|NULL), (\d+|NULL)\)/g)].map((m) =>
      row(m[1]!, m[2]!, m[3]!, m[4]!, { nanosPerRequest: m[6] === 'NULL' ? null : BigInt(m[6]!), multiplierMillionths: m[7] === 'NULL' ? null : BigInt(m[7]!) }));
    expect(rows).toEqual(MODS);
  });

  it('web searches cost $10 per 1,000, on top of the tokens, never multiplied', () => {
    // 1,000 output tokens of Sonnet = $0.015; 3 searches = $0.03.
    expect(priceExtras(15_000_000n, extras({ webSearchRequests: 3 }), MODS, 'claude-sonnet-4-5', AT)).toEqual({ priced: true, cost: 45_000_000n, feesNanos: 30_000_000n, modifierIds: ['seed-web-search'] });
    expect(priceExtras(15_000_000n, extras({ webSearchRequests: 3, serviceTier: 'batch' }), MODS, 'claude-sonnet-4-5', AT)).toMatchObject({ cost: 7_500_000n + 30_000_000n });
    // Web fetches: no charge beyond their tokens.
    expect(priceExtras(15_000_000n, extras({ webFetchRequests: 7 }), MODS, 'claude-sonnet-4-5', AT)).toMatchObject({ cost: 15_000_000n });
  });

  it('the batch tier halves every token, rounded once, half up, to the nano-dollar', () => {
    expect(priceExtras(81_797_750n, extras({ serviceTier: 'batch' }), MODS, 'claude-opus-4-5', AT)).toMatchObject({ cost: 40_898_875n });
    expect(priceExtras(61_481n, extras({ serviceTier: 'batch' }), MODS, 'claude-haiku-3-5', AT)).toMatchObject({ cost: 30_741n }); // 30,740.5 up
    expect(priceExtras(15_000_000n, extras({ serviceTier: 'standard', inferenceGeo: 'global', speed: 'standard' }), MODS, 'x', AT)).toMatchObject({ cost: 15_000_000n });
  });

  it('stacks multipliers before rounding (batch x US-only = 0.55)', () => {
    // 12,345 x 0.55 = 6,789.75 -> 6,790
    expect(priceExtras(12_345n, extras({ serviceTier: 'batch', inferenceGeo: 'us' }), MODS, 'x', AT)).toMatchObject({ cost: 6_790n });
    // 9 x 0.55 = 4.95 -> 5 (rounding after each step would give 4.5 -> 5, x 1.1 = 5.5 -> 6)
    expect(priceExtras(9n, extras({ serviceTier: 'batch', inferenceGeo: 'us' }), MODS, 'x', AT)).toMatchObject({ cost: 5n });
    expect(priceExtras(1n, extras({ serviceTier: 'batch', inferenceGeo: 'us' }), MODS, 'x', AT)).toMatchObject({ cost: 1n }); // 0.55 -> 1
  });

  it('a value or fee without a row leaves the request unpriced; a count of zero needs no row', () => {
    expect(priceExtras(100n, extras({ serviceTier: 'priority' }), MODS, 'x', AT)).toEqual({ priced: false, reason: 'modifier_unpriced', missing: 'service_tier=priority' });
    expect(priceExtras(100n, extras({ speed: 'fast' }), MODS, 'x', AT)).toEqual({ priced: false, reason: 'modifier_unpriced', missing: 'speed=fast' });
    expect(priceExtras(100n, extras({ webSearchRequests: 1 }), [], 'x', AT)).toEqual({ priced: false, reason: 'fee_unpriced', missing: 'web_search_requests' });
    expect(priceExtras(100n, extras({}), [], 'x', AT)).toEqual({ priced: true, cost: 100n, feesNanos: 0n, modifierIds: [] });
  });

  it('a family\'s own row wins over "*", each by its effective date', () => {
    const later = new Date('2027-01-01T00:00:00Z');
    const book = [...MODS, row('opus-batch', 'claude-opus-4-5', 'service_tier', 'batch', { multiplierMillionths: 400_000n, effectiveFrom: later })];
    expect(selectModifier(book, 'claude-opus-4-5', 'service_tier', 'batch', AT)?.id).toBe('seed-tier-batch');
    expect(selectModifier(book, 'claude-opus-4-5', 'service_tier', 'batch', later)?.id).toBe('opus-batch');
    expect(selectModifier(book, 'claude-haiku-4-5', 'service_tier', 'batch', later)?.id).toBe('seed-tier-batch');
    expect(selectModifier(book, 'claude-haiku-4-5', 'service_tier', 'batch', new Date('2024-12-31T00:00:00Z'))).toBeNull();
  });

  it('reads the extras of a usage object, null as nothing', () => {
    expect(extrasOf({ input_tokens: 1, output_tokens: 1, server_tool_use: { web_search_requests: 2, web_fetch_requests: null }, service_tier: 'batch', inference_geo: null })).toEqual(
      { webSearchRequests: 2, webFetchRequests: 0, serviceTier: 'batch', inferenceGeo: null, speed: null });
    expect(extrasOf({ input_tokens: 1, output_tokens: 1, server_tool_use: null })).toEqual(NO_EXTRAS);
  });

  it('converts multipliers both ways', () => {
    expect(multiplierToMillionths('0.5')).toBe(500_000n);
    expect(multiplierToMillionths('1.1')).toBe(1_100_000n);
    expect(multiplierToMillionths('2')).toBe(2_000_000n);
    expect(multiplierToMillionths('0.1234567')).toBeNull();
    expect(millionthsToMultiplier(500_000n)).toBe('0.5');
    expect(millionthsToMultiplier(1_100_000n)).toBe('1.1');
    expect(millionthsToMultiplier(2_000_000n)).toBe('2');
  });
});
