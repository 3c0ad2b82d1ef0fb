// Workflow files import only types from one another (temporalio/samples-typescript):
// a child is started by its workflow type's name, messages and search attributes come
// from their own files.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const SHARED = new Set(['./messages.js', './search-attributes.js']);

describe('workflow files', () => {
  it('import only types from other workflow files', () => {
    const dir = new URL('../../workflows/', import.meta.url);
    const offending: string[] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'index.ts')) {
      const text = readFileSync(new URL(file, dir), 'utf8');
      for (const m of text.matchAll(/^import\s+(type\s+)?[^;]*?from\s+'(\.\/[^']+)';/gms)) {
        if (!m[1] && !SHARED.has(m[2]!)) offending.push(`${file} imports ${m[2]}`);
      }
    }
    expect(offending).toEqual([]);
  });
});
