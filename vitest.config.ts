import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Two cores: a couple of files at a time keeps the Temporal and PostgreSQL tests honest.
    maxWorkers: 2,
  },
});
