// The first hour, verbatim: the shell blocks of the README's quick start and of
// docs/api.md's first steps (provision the example org, a key, authorize, record, a
// console link), run as a newcomer pastes them, in order, in one shell session, against
// the service the quick start's own `npm start` starts. Only the port and the data
// folder come from the environment (PORT, DATA_DIR: the docs' commands read them).
// Then a person's session, Olivia's, as docs/api.md section 3 gets it, and docs/console.md's
// way in for the first owner.
// A command that fails, or an API answer that is an error, fails the test; so does an
// answer without the values the docs show for it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const API_DOC = readFileSync(join(ROOT, 'docs/api.md'), 'utf8');
const CONSOLE_DOC = readFileSync(join(ROOT, 'docs/console.md'), 'utf8');

/** The ```sh blocks of a section's own text (from its heading to the next heading of any level). */
function shellBlocks(markdown: string, heading: string): string[] {
  const start = markdown.indexOf(`\n${heading}\n`);
  expect(start, `the section "${heading}"`).toBeGreaterThanOrEqual(0);
  const lines = markdown.slice(start + heading.length + 2).split('\n');
  // The section ends at the next heading outside a code block (a `# …` line in a block is a comment).
  let inCode = false;
  const end = lines.findIndex((l) => {
    if (l.startsWith('```')) inCode = !inCode;
    return !inCode && /^#{1,6} /.test(l);
  });
  const section = (end === -1 ? lines : lines.slice(0, end)).join('\n');
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
}

/** docs/api.md's first steps: section 1 (provision, a key, a console link), 2 (authorize, record) and 3 (a person's session), each up to its first subsection. */
function apiFirstSteps(): string[] {
  return ['## 1. Provision an organisation (operator)', '## 2. A gateway integration', '## 3. Owner settings and reports (a person signed in)', '### Requests for more usage'].flatMap((h) => shellBlocks(API_DOC, h));
}

/**
 * What a documented answer says, as `"key":value` pairs with a literal value; one list per
 * answer shown (a `# {` line starts one, `#  "` lines continue it). Values the reader's
 * run cannot repeat (`…`, dates and months) are left out.
 */
function documentedAnswers(block: string): string[][] {
  const answers: string[] = [];
  for (const line of block.split('\n')) {
    if (/^# \{/.test(line)) answers.push(line.slice(2));
    else if (/^# +"/.test(line) && answers.length) answers[answers.length - 1] += line.slice(1);
  }
  return answers.map((a) =>
    [...a.matchAll(/"(\w+)":(true|false|null|-?\d+(?:\.\d+)?|"[^"…]*")(?=[,}])/g)]
      .filter((m) => !/^"\d{4}-\d{2}/.test(m[2]!))
      .map((m) => `"${m[1]}":${m[2]}`),
  );
}

/** Lines a newcomer runs that this test does not run itself, and why. */
const NOT_RUN: Record<string, string> = {
  // The test runs inside an installed checkout; reinstalling while other test files
  // load modules from node_modules would swap files under them.
  'npm install': 'already installed',
};

let dataDir: string;
let stateFile: string;
let port: number;
let service: ChildProcess | undefined;
let serviceOutput = '';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** A newcomer's shell: the parent's environment without any setting that would switch on a chat app, another database or a given token. */
function shellEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(SLACK_|MICROSOFT_|TEAMS_|SMTP_|STRIPE_|PAYMENTS_|DATABASE_|TEMPORAL_ADDRESS|TEMPORAL_NAMESPACE|OPERATOR_TOKEN|ROLE|PORT|HOST|DATA_DIR|PUBLIC_URL|VITEST|NODE_ENV)/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, PORT: String(port), DATA_DIR: dataDir };
}

/** `npm start` as written, in the background; resolves once the service answers /health. */
async function startService(line: string): Promise<void> {
  service = spawn('bash', ['-c', line], { cwd: ROOT, env: shellEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  service.stdout!.on('data', (d) => (serviceOutput += d));
  service.stderr!.on('data', (d) => (serviceOutput += d));
  // The first start bundles the workflows and starts a Temporal dev server: allow minutes on a busy machine.
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    expect(service.exitCode, `npm start exited:\n${serviceOutput}`).toBeNull();
    // Each try is bounded too: a service still starting may accept and not answer yet.
    const ok = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(5_000) }).then((r) => r.status === 200, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`npm start did not answer /health:\n${serviceOutput}`);
}

/** A piece of a block through bash, in the session kept in stateFile (exports carry over). */
function runShell(script: string): Promise<{ code: number | null; out: string }> {
  const wrapped = `set -eo pipefail\nsource "${stateFile}"\n${script}\nexport -p > "${stateFile}"\n`;
  const child = spawn('bash', ['-c', wrapped], { cwd: ROOT, env: shellEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return new Promise((r) => child.on('exit', (code) => r({ code, out })));
}

/** Runs one documented block; returns what it printed. */
async function runBlock(block: string, where: string): Promise<string> {
  let pending: string[] = [];
  let printed = '';
  const flush = async () => {
    if (!pending.join('').trim()) return (pending = []);
    const script = pending.join('\n');
    pending = [];
    const { code, out } = await runShell(script);
    printed += out;
    expect(code, `${where}: this failed:\n${script}\n---\n${out}`).toBe(0);
    expect(out, `${where}: the API refused:\n${script}\n---\n${out}`).not.toMatch(/"error"\s*:\s*\{/);
  };
  for (const line of block.split('\n')) {
    const command = line.replace(/\s+#.*$/, '').trim();
    if (command in NOT_RUN) continue;
    if (command === 'npm start') {
      await flush();
      await startService(line);
      continue;
    }
    pending.push(line);
  }
  await flush();
  const answers = documentedAnswers(block);
  if (answers.length) {
    const compact = printed.replace(/\s+/g, '');
    const shown = answers.some((pairs) => pairs.every((p) => compact.includes(p)));
    expect(shown, `${where}: the answer is none of those the docs show (${answers.map((a) => a.join(',')).join(' | ')}):\n${printed}`).toBe(true);
  }
  return printed;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'eu-quick-start-'));
  stateFile = join(dataDir, '..', `${dataDir.split('/').pop()}.shell-state`);
  writeFileSync(stateFile, '');
  port = await freePort();
});

afterAll(async () => {
  if (service?.pid && service.exitCode === null) {
    const exited = new Promise((r) => service!.once('exit', r));
    process.kill(-service.pid, 'SIGTERM');
    const stopped = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 30_000))]);
    if (!stopped) process.kill(-service.pid, 'SIGKILL');
  }
  rmSync(stateFile, { force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the first hour, verbatim', () => {
  it('extracts the documented steps: the quick start starts the service and signs Olivia in; api.md provisions, keys, authorizes, records', () => {
    const quick = shellBlocks(README, '## Quick start');
    expect(quick.length).toBeGreaterThanOrEqual(2);
    expect(quick[0]).toMatch(/^npm start\b/m);
    expect(quick.at(-1)).toMatch(/npm run console:link -- acme olivia/);
    const steps = apiFirstSteps().join('\n');
    for (const piece of ['-X PUT $API/v1/operator/orgs/acme', '/api-keys', '/v1/usage/authorize', '/v1/usage/record', 'npm run console:link -- acme olivia', '/v1/sign-in', '-X POST $API/v1/requests', '/decision']) {
      expect(steps).toContain(piece);
    }
    expect(shellBlocks(CONSOLE_DOC, '### The first owner, on embedded defaults').join('\n')).toMatch(/^npm run console:link -- acme olivia\b/m);
    expect(documentedAnswers(apiFirstSteps().find((b) => b.includes('/v1/usage/authorize'))!)).toContainEqual(['"allowed":true', '"mode":"included"']);
  });

  it('README quick start, then docs/api.md first steps, then the README sign-in: every command works as written', async () => {
    const [start, ...afterProvisioning] = shellBlocks(README, '## Quick start');
    await runBlock(start!, 'README quick start');
    let link = '';
    for (const [i, block] of apiFirstSteps().entries()) link += await runBlock(block, `docs/api.md first steps, block ${i + 1}`);
    for (const block of afterProvisioning) link += await runBlock(block, 'README quick start (sign-in)');
    // docs/console.md's way in for the first owner: the same command, and the same over HTTP.
    for (const block of shellBlocks(CONSOLE_DOC, '### The first owner, on embedded defaults')) link += await runBlock(block, 'docs/console.md, the first owner');
    // Every address console:link printed opens the console's sign-in page on this service.
    const urls = [...link.matchAll(/http:\/\/\S+\/signin\?token=\S+/g)].map((m) => m[0]);
    expect(urls.length, link).toBeGreaterThanOrEqual(3);
    for (const url of urls) {
      expect(new URL(url).port).toBe(String(port));
      // As the browser does: the page, then its button (the form's POST with its CSRF token), then the console as Olivia.
      const page = await fetch(url);
      expect(page.status).toBe(200);
      const html = await page.text();
      const field = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '';
      const cookies = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      const signedIn = await fetch(`http://127.0.0.1:${port}/signin`, {
        method: 'POST', redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies },
        body: new URLSearchParams({ _csrf: field('_csrf'), token: field('token'), next: field('next') || '/' }).toString(),
      });
      expect(signedIn.status, await signedIn.clone().text()).toBe(303);
      const session = signedIn.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      const usage = await fetch(`http://127.0.0.1:${port}/usage`, { headers: { cookie: session }, redirect: 'manual' });
      expect(usage.status).toBe(200);
      expect(await usage.text()).toContain('Olivia');
    }
  }, 600_000);
});
