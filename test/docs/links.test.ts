// Every Markdown file of the repository links only to files inside it (a reader of a
// clone or of the published repository must find them), every such file exists, and
// every anchor (`#…`, in the page or in another Markdown file) names a heading or an
// explicit `<a id>` there, slugged as GitHub does (github-slugger).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import GithubSlugger from 'github-slugger';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'data', 'coverage']);

/** Every .md file under the repository, but not in dependencies, builds or local data. */
function markdownFiles(dir = root): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.isDirectory()) return SKIP_DIRS.has(e.name) ? [] : markdownFiles(join(dir, e.name));
    return e.name.endsWith('.md') ? [relative(root, join(dir, e.name))] : [];
  });
}
const documents = markdownFiles().sort();

/** The text outside fenced code blocks and code spans, where links are links. */
const prose = (markdown: string) => markdown.replace(/^( {0,3})```[\s\S]*?^\1```/gm, '').replace(/`[^`\n]*`/g, '');

/** Markdown link and image targets (inline and reference definitions) and `href`s, web addresses left out. */
function targets(markdown: string): string[] {
  const text = prose(markdown);
  const inline = [...text.matchAll(/!?\[[^\]]*\]\(<?([^)\s>]+)>?(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!);
  const defined = [...text.matchAll(/^ {0,3}\[[^\]]+\]:\s+<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1]!);
  const hrefs = [...text.matchAll(/<a\s[^>]*href="([^"]+)"/g)].map((m) => m[1]!);
  return [...inline, ...defined, ...hrefs].filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

/** The anchors GitHub gives a Markdown file: its headings' slugs and its explicit `<a id|name>`. */
function anchors(markdown: string): Set<string> {
  const slugger = new GithubSlugger();
  const out = new Set<string>();
  let inCode = false;
  for (const line of markdown.split('\n')) {
    if (/^ {0,3}```/.test(line)) inCode = !inCode;
    if (inCode) continue;
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      // What GitHub slugs is the heading's rendered text: link text without its address, no code ticks.
      const rendered = heading[1]!.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/<[^>]+>/g, '');
      out.add(slugger.slug(rendered));
    }
    for (const m of line.matchAll(/<a\s[^>]*(?:id|name)="([^"]+)"/g)) out.add(m[1]!);
  }
  return out;
}

const anchorsOf = new Map<string, Set<string>>();
function anchorsIn(file: string): Set<string> {
  if (!anchorsOf.has(file)) anchorsOf.set(file, anchors(readFileSync(file, 'utf8')));
  return anchorsOf.get(file)!;
}

function brokenLinks(doc: string): string[] {
  const broken: string[] = [];
  for (const target of targets(readFileSync(join(root, doc), 'utf8'))) {
    const [path, fragment] = target.split('#') as [string, string | undefined];
    const file = path ? resolve(dirname(join(root, doc)), decodeURIComponent(path)) : join(root, doc);
    if (relative(root, file).startsWith('..')) broken.push(`${target} (outside the repository)`);
    else if (!existsSync(file)) broken.push(`${target} (missing)`);
    else if (fragment !== undefined && file.endsWith('.md') && statSync(file).isFile() && !anchorsIn(file).has(decodeURIComponent(fragment))) {
      broken.push(`${target} (no such heading or anchor in ${relative(root, file)})`);
    }
  }
  return broken;
}

describe('links in the documentation', () => {
  it('covers every Markdown file: the README, docs/, CONTRIBUTING.md, the clients and the fixtures', () => {
    for (const f of ['README.md', 'CONTRIBUTING.md', 'docs/api.md', 'docs/console.md', 'docs/slack.md', 'docs/teams.md', 'clients/typescript/README.md']) {
      expect(documents).toContain(f);
    }
  });

  it('slugs headings as GitHub does', () => {
    const a = anchors('# API\n## 1. Provision an organisation (operator)\n### Finding workflows with the `temporal` CLI\n## Errors\n## Errors\n```sh\n# not a heading\n```\n<a id="cap-order"></a>\n');
    expect([...a].sort()).toEqual(['1-provision-an-organisation-operator', 'api', 'cap-order', 'errors', 'errors-1', 'finding-workflows-with-the-temporal-cli'].sort());
    expect(brokenLinks('README.md')).toEqual([]);
  });

  it.each(documents)('%s: every relative link and anchor resolves inside the repository', (doc) => {
    expect(brokenLinks(doc)).toEqual([]);
  });
});
