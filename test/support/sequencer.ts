// Orders test files so the two workers finish together: the slow kinds (whole processes,
// Chromium, Temporal) start first and the many quick files fill the gaps at the end,
// instead of a five-minute file starting last. Within a kind, vitest's own order
// (last run's duration when it has one, else the larger file first).
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const FIRST = ['e2e', 'browser', 'flows', 'ledger', 'unit'];

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const byKind = new Map<string, TestSpecification[]>();
    for (const file of files) {
      const kind = file.project.name;
      byKind.set(kind, [...(byKind.get(kind) ?? []), file]);
    }
    const kinds = [...byKind.keys()].sort((a, b) => rank(a) - rank(b));
    const sorted: TestSpecification[] = [];
    for (const kind of kinds) sorted.push(...(await super.sort(byKind.get(kind)!)));
    return sorted;
  }
}

const rank = (kind: string) => (FIRST.includes(kind) ? FIRST.indexOf(kind) : FIRST.length);
