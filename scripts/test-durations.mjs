// Writes test/support/durations.json from vitest's results cache of the last whole-suite
// run (node_modules/.vite/vitest/*/results.json): the per-file seconds the sequencer uses
// when a fresh clone has no timings of its own. Run after `npm test` on this machine.
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const base = 'node_modules/.vite/vitest';
const dirs = existsSync(base) ? readdirSync(base).map((d) => join(base, d, 'results.json')).filter(existsSync) : [];
if (dirs.length === 0) throw new Error(`no results.json under ${base}: run the suite first`);
const durations = {};
for (const file of dirs) {
  const { results } = JSON.parse(readFileSync(file, 'utf8'));
  for (const [key, { duration }] of results) if (duration > 0) durations[key] = Math.round(duration / 100) / 10;
}
const sorted = Object.fromEntries(Object.entries(durations).sort(([a], [b]) => a.localeCompare(b)));
writeFileSync('test/support/durations.json', `${JSON.stringify(sorted, null, 1)}\n`);
console.log(`test/support/durations.json: ${Object.keys(sorted).length} files`);
