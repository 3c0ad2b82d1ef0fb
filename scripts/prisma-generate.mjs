// Runs `prisma generate` without any download. Prisma's CLI wants a native schema
// engine before most commands; generate never uses it, so any existing file will do.
// The client is regenerated only when the schema or Prisma changed since the last run
// (a stamp beside it): `npm start` and `npm test` then never rewrite files that another
// running process (a test worker, a second service) is loading.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const at = (path) => fileURLToPath(new URL(`../${path}`, import.meta.url));
const cli = at('node_modules/prisma/build/index.js');
const stampFile = at('src/generated/prisma/.generated-from');
const stamp = createHash('sha256')
  .update(readFileSync(at('prisma/schema.prisma')))
  .update(readFileSync(at('prisma.config.ts')))
  .update(readFileSync(at('node_modules/prisma/package.json')))
  .update(readFileSync(at('node_modules/@prisma/client/package.json')))
  .digest('hex');
if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp && existsSync(at('src/generated/prisma/client.ts'))) process.exit(0);

const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
  CHECKPOINT_DISABLE: '1',
};
const run = spawnSync(process.execPath, [cli, 'generate', '--schema', 'prisma/schema.prisma'], { stdio: 'inherit', env, cwd: root });
if (run.status === 0) writeFileSync(stampFile, stamp);
process.exit(run.status ?? 1);
