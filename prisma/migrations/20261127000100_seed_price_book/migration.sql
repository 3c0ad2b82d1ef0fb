-- Seeds the price book with the published standard API rates (USD per million
-- tokens, stored as nano-dollars per token: $3.00 / MTok = 3000). Long-context
-- rows apply to requests with more than 200,000 prompt tokens.
INSERT INTO "PriceEntry" ("id", "model", "effectiveFrom", "minPromptTokensExclusive", "inputNanosPerToken", "cacheWrite5mNanosPerToken", "cacheWrite1hNanosPerToken", "cacheReadNanosPerToken", "outputNanosPerToken") VALUES
    ('seed-claude-opus-4-5-0', 'claude-opus-4-5', '2025-01-01 00:00:00', 0, 5000, 6250, 10000, 500, 25000),
    ('seed-claude-opus-4-1-0', 'claude-opus-4-1', '2025-01-01 00:00:00', 0, 15000, 18750, 30000, 1500, 75000),
    ('seed-claude-sonnet-4-5-0', 'claude-sonnet-4-5', '2025-01-01 00:00:00', 0, 3000, 3750, 6000, 300, 15000),
    ('seed-claude-sonnet-4-5-200000', 'claude-sonnet-4-5', '2025-01-01 00:00:00', 200000, 6000, 7500, 12000, 600, 22500),
    ('seed-claude-haiku-4-5-0', 'claude-haiku-4-5', '2025-01-01 00:00:00', 0, 1000, 1250, 2000, 100, 5000),
    ('seed-claude-haiku-3-5-0', 'claude-haiku-3-5', '2025-01-01 00:00:00', 0, 800, 1000, 1600, 80, 4000)
ON CONFLICT DO NOTHING;
