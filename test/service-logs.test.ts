// What `npm start` writes: one format per process. JSON lines when the output is not a
// terminal (containers, pipes), pretty human lines on a terminal or with LOG_FORMAT=pretty;
// the service's own lines and the API's request logs never mixed.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogging, logFormatOf, pretty } from '../src/observability/logging.js';
import { devServerEnv } from './support/temporal.js';
import { migratedDataDir } from './support/data-dir.js';

const root = mkdtempSync(join(tmpdir(), 'eu-logs-'));
const MAIN = new URL('../src/main.ts', import.meta.url).pathname;
let env: TestWorkflowEnvironment;
const children: ChildProcess[] = [];

beforeAll(async () => {
  env = await devServerEnv();
}, 120_000);
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await env?.teardown();
  rmSync(root, { recursive: true, force: true });
});

/** Starts `src/main.ts` (stdout a pipe, not a terminal), calls the API twice, stops it; returns stdout's lines. */
async function runService(name: string, extra: Record<string, string>): Promise<string[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { PATH: process.env.PATH ?? '', DATA_DIR: migratedDataDir(`${name}-`, root), PORT: '0', TEMPORAL_ADDRESS: env.address, TEMPORAL_TASK_QUEUE: `logs-${name}`, ...extra },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let url: string | undefined;
  for (let i = 0; i < 1200 && !url && child.exitCode === null; i++) {
    url = /listening on (http:\/\/[0-9.:]+)/.exec(out)?.[1];
    if (!url) await new Promise((r) => setTimeout(r, 100));
  }
  expect(url, `the service started\n${out}\n${err}`).toBeDefined();
  expect((await fetch(`${url}/health`)).status).toBe(200);
  expect((await fetch(`${url}/v1/no-such-route`)).status).toBe(404);
  // The request logs are written before the answer is complete: wait until they are out.
  for (let i = 0; i < 100 && !/no-such-route/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  return out.split('\n').filter((l) => l.trim());
}

describe('logs', () => {
  it('picks pretty on a terminal and JSON otherwise, unless LOG_FORMAT says', () => {
    expect(logFormatOf(undefined, true)).toBe('pretty');
    expect(logFormatOf(undefined, false)).toBe('json');
    expect(logFormatOf(undefined, undefined)).toBe('json');
    expect(logFormatOf('json', true)).toBe('json');
    expect(logFormatOf('pretty', false)).toBe('pretty');
  });

  it('pretty: a request is two short lines, a service line is its text, an error its stack', () => {
    const t = Date.UTC(2026, 11, 6, 3, 4, 5, 678);
    expect(pretty({ level: 30, time: t, reqId: 'req-1', req: { method: 'GET', url: '/health' }, msg: 'incoming request' })).toBe('03:04:05.678 INFO  req-1 → GET /health\n');
    expect(pretty({ level: 30, time: t, reqId: 'req-1', res: { statusCode: 200 }, responseTime: 3.14159, msg: 'request completed' })).toBe('03:04:05.678 INFO  req-1 ← 200 in 3.1 ms\n');
    expect(pretty({ level: 50, time: t, msg: 'boom', err: { message: 'boom', stack: 'Error: boom\n    at x' } })).toBe('03:04:05.678 ERROR boom\nError: boom\n    at x\n');
    const lines: string[] = [];
    const logging = createLogging('pretty', { write: (s: string) => lines.push(s) });
    logging.line('database: schema up to date');
    logging.stream.write(`${JSON.stringify({ level: 40, time: t, msg: 'slow', route: '/v1/x' })}\n`);
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}database: schema up to date\n$/);
    expect(lines[1]).toBe('03:04:05.678 WARN  slow route=/v1/x\n');
  });

  it('not on a terminal, every line npm start writes is JSON: its own lines and the request logs', async () => {
    const lines = await runService('json', { LOG_LEVEL: 'info' });
    const entries = lines.map((l) => {
      expect(() => JSON.parse(l), `a JSON line: ${l}`).not.toThrow();
      return JSON.parse(l) as { level: number; msg: string; req?: { url: string }; res?: { statusCode: number } };
    });
    expect(entries.some((e) => /^database: /.test(e.msg))).toBe(true);
    expect(entries.some((e) => /listening on http/.test(e.msg))).toBe(true);
    expect(entries.some((e) => e.req?.url === '/health')).toBe(true);
    expect(entries.some((e) => e.res?.statusCode === 404)).toBe(true);
    for (const e of entries) expect(e.level).toBeTypeOf('number');
  }, 180_000);

  it('LOG_FORMAT=pretty: human lines only, the request logs included, no JSON', async () => {
    const lines = await runService('pretty', { LOG_LEVEL: 'info', LOG_FORMAT: 'pretty' });
    for (const l of lines.filter((x) => /^\d\d:\d\d/.test(x))) expect(l).toMatch(/^\d\d:\d\d:\d\d\.\d{3} (TRACE|DEBUG|INFO |WARN |ERROR|FATAL) /);
    expect(lines.filter((l) => l.trimStart().startsWith('{'))).toEqual([]);
    expect(lines.some((l) => / INFO {2}database: /.test(l))).toBe(true);
    expect(lines.some((l) => /→ GET \/health$/.test(l))).toBe(true);
    expect(lines.some((l) => /← 404 in [\d.]+ ms$/.test(l))).toBe(true);
  }, 180_000);
});
