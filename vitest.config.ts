import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Generous: CI may share the cores with other work, and a test that makes its own
    // database (PGlite, migrations) can take tens of seconds then. Tests wait for
    // conditions, never for time, so a longer bound only costs time when one fails.
    testTimeout: 90_000,
    hookTimeout: 120_000,
    // Two cores: a couple of files at a time keeps the Temporal and PostgreSQL tests honest.
    maxWorkers: 2,
  },
});
