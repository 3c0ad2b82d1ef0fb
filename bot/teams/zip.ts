// The Teams app package's ZIP, written by fflate (deflate, no directories). Every
// entry carries one fixed date, so the same files always give the same archive.
import { zipSync, type Zippable } from 'fflate';

export interface ZipEntry {
  name: string;
  data: Buffer;
}

const FIXED_MTIME = new Date('2026-01-01T00:00:00');

export function zip(entries: ZipEntry[]): Buffer {
  const files: Zippable = {};
  for (const e of entries) files[e.name] = [new Uint8Array(e.data), { mtime: FIXED_MTIME }];
  return Buffer.from(zipSync(files, { level: 9 }));
}
