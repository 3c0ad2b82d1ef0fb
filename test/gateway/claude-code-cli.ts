// Runs the real Claude Code CLI (the pinned @anthropic-ai/claude-code) headless against a
// base URL, as a member would after pasting the lines the console shows: HOME in a fresh
// temporary folder, nonessential traffic off, nothing inherited from our environment
// but PATH.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLAUDE_BIN = fileURLToPath(new URL('../../node_modules/.bin/claude', import.meta.url));

export interface ClaudeRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The --output-format json result, when it printed one. */
  result: { is_error: boolean; result: string; num_turns?: number } | null;
  elapsedMs: number;
}

export async function runClaude(baseUrl: string, key: string, prompt: string, extraArgs: string[] = []): Promise<ClaudeRun> {
  const home = mkdtempSync(join(tmpdir(), 'claude-home-'));
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, ANTHROPIC_BASE_URL: baseUrl, ANTHROPIC_API_KEY: key, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' };
  const started = Date.now();
  const child = spawn(CLAUDE_BIN, ['-p', prompt, '--output-format', 'json', '--model', 'claude-haiku-4-5', ...extraArgs], { env, cwd: home, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // A bound, never a synchronisation: a CLI that hangs fails the test instead of the run.
  const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(killer);
  const elapsedMs = Date.now() - started;
  rmSync(home, { recursive: true, force: true });
  let result: ClaudeRun['result'] = null;
  try {
    result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '');
  } catch {
    result = null;
  }
  return { code, stdout, stderr, result, elapsedMs };
}
