// Orders test files so the two workers finish together: the slow kinds (whole processes,
// Chromium, Temporal) start first and the many quick files fill the gaps at the end,
// instead of a five-minute file starting last. Within a kind, the files known to take
// minutes first (a fresh clone has no timings yet), then vitest's own order (the last
// run's duration when it has one, else the larger file first).
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const KINDS_FIRST = ['e2e', 'browser', 'flows', 'ledger', 'unit'];
// Measured on this machine (CONTRIBUTING.md): each takes one to three minutes.
const SLOWEST_FIRST = [
  'test/api/openapi-conformance.test.ts',
  'test/integrations/litellm.test.ts',
  'test/scale/multi-process.test.ts',
  'test/deploy/compiled.test.ts',
  'test/service-logs.test.ts',
];

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const byKind = new Map<string, TestSpecification[]>();
    for (const file of files) byKind.set(file.project.name, [...(byKind.get(file.project.name) ?? []), file]);
    const sorted: TestSpecification[] = [];
    for (const kind of [...byKind.keys()].sort((a, b) => rank(KINDS_FIRST, a) - rank(KINDS_FIRST, b))) {
      const own = await super.sort(byKind.get(kind)!);
      const known = (f: TestSpecification) => rank(SLOWEST_FIRST, relative(this.ctx.config.root, f.moduleId));
      sorted.push(...own.map((f, i) => ({ f, i })).sort((a, b) => known(a.f) - known(b.f) || a.i - b.i).map(({ f }) => f));
    }
    return sorted;
  }
}

const rank = (list: string[], name: string) => (list.includes(name) ? list.indexOf(name) : list.length);
