// Orders test files so the workers finish together: the slow kinds (whole processes,
// Chromium, Temporal) start first and the many quick files fill the gaps at the end,
// instead of a five-minute file starting last. Within a kind, longest first: by the last
// run's duration where vitest has one, else by test/support/durations.json (measured here
// and committed, because a fresh clone, as CI runs, has no timings of its own), else the
// file is new and goes first with the files vitest knows nothing of.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const KINDS_FIRST = ['e2e', 'browser', 'flows', 'ledger', 'unit'];

/** Seconds per file in a whole-suite run on this machine, keyed `<kind>:<path>` (scripts/test-durations.mjs writes it). */
const COMMITTED: Record<string, number> = (() => {
  try {
    return JSON.parse(readFileSync(new URL('./durations.json', import.meta.url), 'utf8')) as Record<string, number>;
  } catch {
    return {};
  }
})();

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const byKind = new Map<string, TestSpecification[]>();
    for (const file of files) byKind.set(file.project.name, [...(byKind.get(file.project.name) ?? []), file]);
    const sorted: TestSpecification[] = [];
    for (const kind of [...byKind.keys()].sort((a, b) => rank(KINDS_FIRST, a) - rank(KINDS_FIRST, b))) {
      const own = byKind.get(kind)!.map((f) => ({ f, seconds: this.seconds(f) }));
      // Unknown (new) files first, as vitest does, then the longest.
      own.sort((a, b) => (b.seconds ?? Infinity) - (a.seconds ?? Infinity));
      sorted.push(...own.map(({ f }) => f));
    }
    return sorted;
  }

  private seconds(file: TestSpecification): number | undefined {
    const key = `${file.project.name}:${relative(this.ctx.config.root, file.moduleId)}`;
    const last = this.ctx.cache.getFileTestResults(key);
    return last ? last.duration / 1000 : COMMITTED[key];
  }
}

const rank = (list: string[], name: string) => (list.includes(name) ? list.indexOf(name) : list.length);
