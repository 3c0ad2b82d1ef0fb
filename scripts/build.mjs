// `npm run build [-- --out-dir DIR]`: the service compiled to JavaScript for the
// production image. Generates the Prisma client, compiles src/, bot/ and workflows/
// with tsc (tsconfig.build.json), and copies what the code reads from disk at run
// time (the committed migrations) beside it, at the same relative paths.
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const at = process.argv.indexOf('--out-dir');
const outDir = resolve(root, at > 0 ? process.argv[at + 1] : 'dist');

function run(args) {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

rmSync(outDir, { recursive: true, force: true });
run([join(root, 'scripts/prisma-generate.mjs')]);
run([join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', outDir]);
cpSync(join(root, 'prisma/migrations'), join(outDir, 'prisma/migrations'), { recursive: true });
cpSync(join(root, 'prisma/price-map'), join(outDir, 'prisma/price-map'), { recursive: true });
console.log(`built into ${outDir}`);
