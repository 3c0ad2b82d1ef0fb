// BENCHMARKS.md is written by two commands: each owns a marked section of it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const FILE = new URL('../../BENCHMARKS.md', import.meta.url);

export function writeSection(name: string, text: string): void {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const current = existsSync(FILE) ? readFileSync(FILE, 'utf8') : '';
  const block = `${begin}\n${text.trim()}\n${end}`;
  const a = current.indexOf(begin);
  const b = current.indexOf(end);
  const next = a >= 0 && b > a ? current.slice(0, a) + block + current.slice(b + end.length) : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(FILE, next.trimStart());
}
