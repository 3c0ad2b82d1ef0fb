// `npm start` with a bad setting stops before anything starts: no database, no
// migrations, no Temporal dev server; the message names every variable at fault.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { startService } from '../src/service.js';

const root = mkdtempSync(join(tmpdir(), 'eu-config-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const MAIN = new URL('../src/main.ts', import.meta.url).pathname;

/** Runs `src/main.ts` as `npm start` does, with only these settings (and PATH). */
function start(env: Record<string, string>): Promise<{ code: number | null; output: string; ms: number }> {
  const began = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, output, ms: Date.now() - began });
    });
  });
}

describe('configuration is checked before anything starts', () => {
  it('a half-configured Slack, Teams and Stripe stop `npm start` at once, every variable named, nothing created', async () => {
    const dataDir = join(root, 'chat');
    const r = await start({
      DATA_DIR: dataDir,
      SLACK_BOT_TOKEN: 'xoxb-1-2-3',
      MICROSOFT_APP_ID: '00000000-0000-0000-0000-000000000001',
      MICROSOFT_APP_PASSWORD: 'secret',
      PAYMENTS_PROVIDER: 'stripe',
      STRIPE_SECRET_KEY: 'sk_test_1',
    });
    expect(r.code).toBe(1);
    expect(r.output).toContain('Invalid configuration:');
    for (const v of ['SLACK_ORG_SLUG', 'SLACK_SIGNING_SECRET', 'MICROSOFT_APP_TENANT_ID', 'STRIPE_WEBHOOK_SECRET', 'PUBLIC_URL']) expect(r.output).toContain(`  ${v}: `);
    // Nothing was started: no data folder, no database, no dev server (before, migrations and
    // the dev server came first).
    expect(existsSync(dataDir)).toBe(false);
  }, 70_000);

  it('an unreadable PRIVACY_FILE, a missing TEMPORAL_CLI and OPERATOR_EMAIL without SMTP_URL are named before any database is opened', async () => {
    const dataDir = join(root, 'files');
    const r = await start({ DATA_DIR: dataDir, PRIVACY_FILE: join(root, 'no-such-privacy.txt'), TEMPORAL_CLI: join(root, 'no-such-temporal'), OPERATOR_EMAIL: 'ops@example.com' });
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/ {2}PRIVACY_FILE: cannot read .*no-such-privacy\.txt/);
    expect(r.output).toMatch(/ {2}TEMPORAL_CLI: no file at .*no-such-temporal/);
    expect(r.output).toMatch(/ {2}OPERATOR_EMAIL: set, but SMTP_URL is not/);
    expect(existsSync(dataDir)).toBe(false);
  }, 70_000);

  it('a value of the wrong form is named too (loadConfig), and startService itself checks before creating anything', async () => {
    const r = await start({ DATA_DIR: join(root, 'port'), PORT: 'eighty' });
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/ {2}PORT: /);
    const dataDir = join(root, 'embedded');
    await expect(startService(loadConfig({ DATA_DIR: dataDir, SLACK_CLIENT_ID: '123.456' }))).rejects.toThrow(/SLACK_CLIENT_SECRET: required with SLACK_CLIENT_ID/);
    expect(existsSync(dataDir)).toBe(false);
  }, 70_000);
});
