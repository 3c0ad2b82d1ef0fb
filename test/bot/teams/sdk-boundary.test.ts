// Microsoft archived the Bot Framework SDK: moving to its successor
// (@microsoft/agents-hosting) must touch one file. No file outside bot/teams/sdk.ts
// imports botbuilder (or its botframework-* packages), anywhere in the repository.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = process.cwd();
const SKIP = new Set(['node_modules', '.git', 'dist', 'data', 'generated']);
const SDK_IMPORT = /(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"](botbuilder[\w-]*|botframework-[\w-]+)(?:\/[^'"]*)?['"]/;

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (/\.(ts|mts|cts|js|mjs|cjs)$/.test(name)) out.push(relative(ROOT, path));
  }
  return out;
}

describe('the Bot Framework SDK stays behind one file', () => {
  it('is imported by bot/teams/sdk.ts only', () => {
    const importers = sources(ROOT).filter((file) => SDK_IMPORT.test(readFileSync(join(ROOT, file), 'utf8')));
    expect(importers).toEqual(['bot/teams/sdk.ts']);
  });
});
