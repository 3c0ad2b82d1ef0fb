// A service's DATA_DIR whose embedded PGlite database is already migrated: the suite's
// migrated data folder (test/support/global-setup.ts) unpacked into DATA_DIR/pglite, so a
// test about something other than a first start does not pay PGlite's initdb and every
// migration (about 4 s of CPU) for each service it starts. The service opens it as it
// opens its own folder after a restart ("schema up to date"). Outside the suite (no
// migrated folder made), an empty DATA_DIR: the service then makes its database itself.
// First starts stay tested from an empty folder: test/service.test.ts, the compiled
// build and the README quick start.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEMPLATE_ENV } from './templates.js';

export function migratedDataDir(prefix: string, parent = tmpdir()): string {
  const dir = mkdtempSync(join(parent, prefix));
  const dump = process.env[TEMPLATE_ENV.pgliteMigrated];
  if (dump) {
    mkdirSync(join(dir, 'pglite'));
    // PGlite's dumpDataDir('none') is a plain tar of the data folder.
    const untar = spawnSync('tar', ['-xf', dump, '-C', join(dir, 'pglite')], { encoding: 'utf8' });
    if (untar.status !== 0) throw new Error(`unpacking ${dump}: ${untar.stderr}`);
  }
  return dir;
}
