// The README and every document link only to files inside the repository (a reader of
// a clone or of the published repository must find them), and every such file exists.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const documents = [
  'README.md',
  ...readdirSync(join(root, 'docs'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.md')).map((f) => join('docs', f)),
  'clients/typescript/README.md',
].filter((f) => existsSync(join(root, f)));

/** Markdown link and image targets that are not web addresses or in-page anchors. */
function localTargets(markdown: string): string[] {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...withoutCode.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    .map((m) => m[1]!)
    .filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t) && !t.startsWith('#'))
    .map((t) => decodeURIComponent(t.split('#')[0]!));
}

describe('links in the documentation', () => {
  it.each(documents)('%s links only to files that exist inside the repository', (doc) => {
    const broken: string[] = [];
    for (const target of localTargets(readFileSync(join(root, doc), 'utf8'))) {
      const file = resolve(dirname(join(root, doc)), target);
      if (relative(root, file).startsWith('..')) broken.push(`${target} (outside the repository)`);
      else if (!existsSync(file)) broken.push(`${target} (missing)`);
    }
    expect(broken).toEqual([]);
  });
});
