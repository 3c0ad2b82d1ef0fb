// Real service processes for the scale tests: `node --import tsx src/main.ts` with a
// ROLE and its own port (0: the kernel picks), sharing one database and one Temporal.
// Output is kept per process so a test can read what each one said.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Role } from '../../src/config.js';

const ROOT = resolve(import.meta.dirname, '../..');
const MAIN = join(ROOT, 'src/main.ts');

export interface ServiceProcess {
  name: string;
  role: Role;
  url: string;
  /** Every line it wrote (stdout and stderr), across restarts. */
  lines: string[];
  child: ChildProcess;
  /** SIGKILL, then wait for it to be gone. */
  kill(): Promise<void>;
  /** SIGTERM (a clean stop), bounded; SIGKILL after that. */
  stop(): Promise<void>;
}

export interface SharedSettings {
  DATABASE_URL: string;
  TEMPORAL_ADDRESS: string;
  OPERATOR_TOKEN: string;
  [k: string]: string;
}

/** The settings of the parent, minus anything that would switch on a chat app or another database. */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(SLACK_|MICROSOFT_|TEAMS_|SMTP_|STRIPE_|PAYMENTS_|DATABASE_URL|TEMPORAL_|OPERATOR_TOKEN|ROLE|PORT|VITEST|NODE_ENV)/.test(k)) continue;
    env[k] = v;
  }
  return env;
}

/** `keepDataDir`: the process's DATA_DIR, kept after it exits (a restart on the same folder); default a new one, removed at exit. */
export async function startProcess(name: string, role: Role, shared: SharedSettings, lines: string[] = [], timeoutMs = 180_000, keepDataDir?: string): Promise<ServiceProcess> {
  const dataDir = keepDataDir ?? mkdtempSync(join(tmpdir(), `eu-scale-${name}-`));
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: ROOT,
    env: { ...baseEnv(), ...shared, ROLE: role, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  if (!keepDataDir) exited.then(() => rmSync(dataDir, { recursive: true, force: true }));
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${name} did not start within ${timeoutMs} ms:\n${lines.slice(-30).join('\n')}`)), timeoutMs);
    const take = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        lines.push(`${name}: ${line}`);
        const m = /listening on (http:\/\/\S+)/.exec(line);
        if (m) {
          clearTimeout(timer);
          ok(m[1]!);
        }
      }
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`${name} exited (${code ?? signal}) before it listened:\n${lines.slice(-30).join('\n')}`));
    });
  });
  const proc: ServiceProcess = {
    name,
    role,
    url,
    lines,
    child,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(killer);
    },
  };
  return proc;
}

export interface Answer {
  status: number;
  body: any;
}

/** One JSON call; null when the process could not be reached (killed, restarting). */
export async function call(base: string, method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer | null> {
  try {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  } catch {
    return null;
  }
}

/** Waits for a condition, polling; false if it never held within the bound. */
export async function eventually(check: () => Promise<boolean>, boundMs: number, everyMs = 100): Promise<boolean> {
  const until = Date.now() + boundMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
