// The production image runs the compiled JavaScript (npm run build, then
// `node dist/src/main.js`), not tsx: the compiled service must start on embedded
// defaults (migrations read from disk, the Temporal worker bundling the compiled
// workflows) and answer /health.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
// Inside the project, so the compiled code finds node_modules the way dist/ does.
const work = mkdtempSync(join(root, '.compiled-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm run build', () => {
  it('compiles a service that starts with node alone and answers /health', async () => {
    const outDir = join(work, 'dist');
    const build = spawnSync(process.execPath, ['scripts/build.mjs', '--out-dir', outDir], { cwd: root, encoding: 'utf8' });
    expect(build.status, build.stdout + build.stderr).toBe(0);
    expect(existsSync(join(outDir, 'src/main.js'))).toBe(true);
    expect(existsSync(join(outDir, 'workflows/index.js'))).toBe(true);
    expect(existsSync(join(outDir, 'prisma/migrations/20261127000000_init/migration.sql'))).toBe(true);
    expect(existsSync(join(outDir, 'prisma/price-map/litellm-anthropic.json'))).toBe(true);

    const child = spawn(process.execPath, [join(outDir, 'src/main.js')], {
      cwd: work,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: join(work, 'data'), PORT: '0', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          const m = output.match(/listening on (http:\/\/\S+)/);
          if (m) resolve(m[1]!);
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.on('exit', (code) => reject(new Error(`the compiled service exited (${code}):\n${output}`)));
      });
      const health = await (await fetch(`${url}/health`)).json();
      expect(health).toMatchObject({ status: 'ok', database: 'pglite' });
      const spec = await (await fetch(`${url}/openapi.json`)).json();
      expect(Object.keys(spec.paths)).toContain('/v1/usage/record');
      // The seeded book came from the pinned map the build carries.
      expect(output).toMatch(/price book: pinned map litellm \S+: \d+ model\(s\) added \(.*claude-opus-4-8/);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  }, 400_000);
});
