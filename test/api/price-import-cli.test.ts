// `npm run prices:import` as an operator runs it: a process of its own on a data folder,
// a bad map refused with a non-zero exit naming the entry, a dry run of the real map of
// the pinned litellm package. (The import itself: price-import.test.ts.)
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { installedLitellmMap } from '../../scripts/litellm-installed.js';
import { withRate } from '../support/price-maps.js';

const installed = installedLitellmMap();
const MAP = installed.text;


describe('npm run prices:import', () => {
  const run = promisify(execFile);
  const dir = mkdtempSync(join(tmpdir(), 'prices-import-'));
  const cli = (...args: string[]) => run('npx', ['tsx', 'src/prices-import.ts', ...args], { env: { ...process.env, DATA_DIR: dir, DATABASE_URL: '' }, timeout: 120_000 });

  it('refuses a bad map with a non-zero exit naming the entry; a dry run of the real map reports and imports nothing', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, withRate(MAP, 'claude-opus-4-8', 'input_cost_per_token', '"abc"'));
    const failed = await cli(bad).then(() => null, (err: { code: number; stderr: string }) => err);
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain('claude-opus-4-8: input_cost_per_token is not a number');
    const dry = await cli(installed.path, '--dry-run');
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, modelsAdded: expect.arrayContaining([expect.objectContaining({ family: 'claude-opus-4-8' })]) });
  }, 180_000);
});
