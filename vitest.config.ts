import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import { LongestFirstSequencer } from './test/support/sequencer.js';

// The suite by kind (`vitest run --project <name>`, CONTRIBUTING.md). A file belongs to
// the first kind whose patterns match it; `ledger` takes every file no other kind takes,
// so a new test file always runs somewhere.
export const KINDS = {
  // Pure rules and renderings: no database, no server, no process.
  unit: [
    'test/domain/**/*.test.ts',
    'test/bot/slack/views/**/*.test.ts',
    'test/bot/audit-log/**/*.test.ts',
    'test/bot/slack/manifest.test.ts',
    'test/bot/slack/settings.test.ts',
    'test/bot/teams/card-limits.test.ts',
    'test/bot/teams/manifest-schema.test.ts',
    'test/bot/teams/sdk-boundary.test.ts',
    'test/api/amounts.test.ts',
    'test/bench/targets.test.ts',
    'test/docs/links.test.ts',
    'test/payments/config.test.ts',
    'test/scale/roles.test.ts',
  ],
  // Whole programs started as processes: the service, its compiled build, LiteLLM,
  // schemathesis, docker-compose, PgBouncer, the Temporal CLI, the price-map command,
  // the Claude Code CLI and the Python SDK through the gateway, the gateway killed mid-outage.
  e2e: [
    'test/service*.test.ts',
    'test/deploy/**/*.test.ts',
    'test/integrations/**/*.test.ts',
    'test/api/openapi-conformance.test.ts',
    'test/api/price-import-cli.test.ts',
    'test/docs/temporal-commands.test.ts',
    'test/docs/quick-start.test.ts',
    'test/temporal/dev-server.test.ts',
    'test/scale/multi-process.test.ts',
    'test/scale/pooler.test.ts',
    'test/bot/teams/package.test.ts',
    'test/gateway/claude-code.test.ts',
    'test/gateway/python-sdk.test.ts',
    'test/gateway/fail-open-restart.test.ts',
  ],
  // Chromium: the console's pages and the Teams cards in the official renderer.
  browser: ['test/console/**/*.test.ts', 'test/bot/teams/cards.test.ts'],
  // Temporal workflows and the chat apps driving them (Bolt, botbuilder), in process.
  flows: ['test/workflows/**/*.test.ts', 'test/bot/**/*.test.ts', 'test/temporal/**/*.test.ts', 'test/observability/**/*.test.ts', 'test/scale/**/*.test.ts', 'test/clients/**/*.test.ts', 'test/bench/**/*.test.ts'],
} as const;

const ORDER = ['unit', 'e2e', 'browser', 'flows'] as const;

function project(name: (typeof ORDER)[number] | 'ledger'): TestProjectInlineConfiguration {
  const index = name === 'ledger' ? ORDER.length : ORDER.indexOf(name);
  const taken = ORDER.slice(0, index).flatMap((k) => KINDS[k]);
  const include = name === 'ledger' ? ['test/**/*.test.ts'] : [...KINDS[name]];
  // One process runs many files (imports, Prisma and PGlite's WebAssembly loaded once per
  // worker instead of once per file: about half the suite's CPU). Every file still opens
  // its own databases, servers and Temporal environments and closes them. The end-to-end
  // files keep a process each: they start programs and set process-wide state.
  const isolate = name === 'e2e';
  return { extends: true, test: { name, include, exclude: ['**/node_modules/**', ...taken], isolate } };
}

export default defineConfig({
  test: {
    projects: [...ORDER.map(project), project('ledger')],
    // Once per run: migrated databases to copy and the workflow bundle (test/support/global-setup.ts).
    globalSetup: ['test/support/global-setup.ts'],
    // Longest kinds first, so two workers end together (test/support/sequencer.ts).
    sequence: { sequencer: LongestFirstSequencer },
    // Generous: CI may share the cores with other work, and a test that makes its own
    // database (PGlite, migrations) can take tens of seconds then. Tests wait for
    // conditions, never for time, so a longer bound only costs time when one fails.
    testTimeout: 90_000,
    hookTimeout: 120_000,
    // Three files at a time on two cores: a third of the suite's time is waiting (services
    // starting, outages held for a minute, Chromium), not CPU, so a third worker fills it.
    maxWorkers: 3,
  },
});
