// Runs `temporal server start-dev` as a child process backed by a SQLite file, so
// workflows survive restarts of the control plane without an external Temporal.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { devServerSearchAttributeArgs } from './search-attributes.js';

export interface StartDevServerOptions {
  cliPath: string;
  /** Holds temporal.sqlite (persistent state) and temporal.log (server output). */
  dataDir: string;
  /** gRPC port. Default 7233, falling back to a free port if taken. An explicit port must be free. */
  port?: number;
  /** Web UI port. Default 8233, same fallback rule as `port`. */
  uiPort?: number;
  namespace?: string;
  log?: (msg: string) => void;
  /** Overall readiness budget. */
  startTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  uiUrl: string;
  dbPath: string;
  logPath: string;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const STOP_GRACE_MS = 10_000;

function listenOnce(port: number): Promise<net.Server | undefined> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(undefined));
    srv.listen({ port, host: HOST, exclusive: true }, () => resolve(srv));
  });
}

const closeServer = (srv: net.Server) => new Promise<void>((r) => srv.close(() => r()));

/**
 * Picks the gRPC and UI ports. Holds all probe sockets open until both are chosen so
 * the two random picks cannot collide with each other (a small race with other
 * processes remains until the server binds; that surfaces as a start failure).
 */
async function choosePorts(wanted: Array<{ port: number | undefined; fallback: number; label: string }>): Promise<number[]> {
  const held: net.Server[] = [];
  try {
    const result: number[] = [];
    for (const w of wanted) {
      let srv = await listenOnce(w.port ?? w.fallback);
      if (!srv && w.port !== undefined) {
        throw new Error(`Temporal dev server ${w.label} port ${w.port} on ${HOST} is already in use`);
      }
      srv ??= await listenOnce(0);
      if (!srv) throw new Error(`Could not find a free ${w.label} port on ${HOST}`);
      held.push(srv);
      result.push((srv.address() as net.AddressInfo).port);
    }
    return result;
  } finally {
    await Promise.all(held.map(closeServer));
  }
}

/** Last `maxBytes` of the log written since `fromOffset` (i.e. by this run only). */
function readLogTail(logPath: string, fromOffset: number, maxBytes = 4000): string {
  try {
    const size = statSync(logPath).size;
    const start = Math.max(fromOffset, size - maxBytes);
    const buf = Buffer.alloc(size - start);
    const fd = openSync(logPath, 'r');
    try {
      readSync(fd, buf, 0, buf.length, start);
    } finally {
      closeSync(fd);
    }
    return buf.toString('utf8').trim() || '(log is empty)';
  } catch (err) {
    return `(could not read ${logPath}: ${(err as Error).message})`;
  }
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Polls until the frontend answers and the namespace exists, or the child dies / time runs out. */
async function waitUntilReady(address: string, namespace: string, marker: string, child: ChildProcess, deadline: number): Promise<void> {
  let lastErr: unknown;
  while (Date.now() < deadline) {
    // Checked via exitCode because a failed spawn sets it without emitting 'exit'.
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`temporal dev server exited early (code ${child.exitCode}, signal ${child.signalCode})`);
    }
    // Same as Connection.connect(), but split so a failed attempt's channel can be closed.
    const conn = Connection.lazy({ address, connectTimeout: Math.min(3_000, Math.max(deadline - Date.now(), 1)) });
    try {
      await conn.ensureConnected();
      // The frontend can answer before namespace registration is visible; callers need the namespace.
      await conn.workflowService.describeNamespace({ namespace });
      // And it must be ours: another process's dev server that took the port first answers
      // too (every dev server has "default"), while ours fails to bind and exits.
      await conn.workflowService.describeNamespace({ namespace: marker });
      return;
    } catch (err) {
      lastErr = err;
    } finally {
      await conn.close();
    }
    await sleep(250);
  }
  throw new Error(`timed out waiting for temporal dev server at ${address}: ${(lastErr as Error)?.message ?? 'no attempt made'}`);
}

/**
 * True when this run's log says a port we picked was taken between probing and binding, or
 * the server panicked while starting (one of its own services losing a port to a server
 * started at once): the whole of the run's log, as a Go stack runs past any short tail.
 */
const lostPortRace = (logPath: string, logStart: number) => /address already in use|^panic:/im.test(readLogTail(logPath, logStart, 1 << 20));

/** "local-dev-<hash of the data folder>": the same over restarts of one folder, different for another. */
export const markerNamespace = (dataDir: string) => `local-dev-${createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 12)}`;

/** Attempts at binding when the picked default ports are taken by another process meanwhile. */
const PORT_ATTEMPTS = 3;

export async function startDevServer(opts: StartDevServerOptions): Promise<DevServer> {
  const dataDir = path.resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  for (let attempt = 1; ; attempt++) {
    // After a lost race, let the system pick any free port instead of the defaults again.
    const fallbacks = attempt === 1 ? [7233, 8233] : [0, 0];
    const [port, uiPort] = (await choosePorts([
      { port: opts.port, fallback: fallbacks[0]!, label: 'gRPC' },
      { port: opts.uiPort, fallback: fallbacks[1]!, label: 'UI' },
    ])) as [number, number];
    try {
      return await launch(opts, dataDir, port, uiPort);
    } catch (err) {
      const retryable = err instanceof PortTaken && attempt < PORT_ATTEMPTS && (opts.port === undefined || opts.uiPort === undefined);
      if (!retryable) throw err instanceof PortTaken ? err.original : err;
      opts.log?.(`temporal dev server: a port was taken by another process before it could bind; trying other ports`);
    }
  }
}

class PortTaken extends Error {
  constructor(readonly original: Error) {
    super(original.message);
  }
}

async function launch(opts: StartDevServerOptions, dataDir: string, port: number, uiPort: number): Promise<DevServer> {
  const log = opts.log ?? (() => {});
  const namespace = opts.namespace ?? 'default';
  const dbPath = path.join(dataDir, 'temporal.sqlite');
  const logPath = path.join(dataDir, 'temporal.log');
  const address = `${HOST}:${port}`;
  const uiUrl = `http://${HOST}:${uiPort}`;
  const marker = markerNamespace(dataDir);

  const args = [
    'server', 'start-dev',
    '--db-filename', dbPath,
    '--port', String(port),
    '--ui-port', String(uiPort),
    '--ip', HOST,
    '--namespace', namespace, // "default" is always created too; repeating it is harmless
    // A namespace named after this data folder: readiness checks it, so a server that is not ours is never taken for it.
    '--namespace', marker,
    '--log-level', 'warn',
    // OrgSlug, Member, RequestStatus, AlertKind: what operators filter by (docs/workflows.md).
    ...devServerSearchAttributeArgs(),
  ];

  // Append so earlier runs' output is kept; remember where this run starts for error tails.
  const logFd = openSync(logPath, 'a');
  const logStart = statSync(logPath).size;
  let child: ChildProcess;
  try {
    log(`starting temporal dev server: ${opts.cliPath} ${args.join(' ')}`);
    child = spawn(opts.cliPath, args, { stdio: ['ignore', logFd, logFd], cwd: dataDir });
  } finally {
    closeSync(logFd); // the child has its own copy of the descriptor
  }
  // Surface spawn failures (ENOENT, EACCES) via the exit path instead of an unhandled 'error'.
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));

  // 'exit' handlers must be synchronous, so SIGKILL: it cannot be ignored, and SQLite keeps
  // committed transactions durable across a hard kill. Ctrl-C reaches the child directly
  // because it shares our process group.
  const killOnExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const exited = await Promise.race([waitForExit(child).then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
        if (!exited) {
          log(`temporal dev server did not exit within ${STOP_GRACE_MS} ms of SIGTERM; sending SIGKILL`);
          child.kill('SIGKILL');
          await waitForExit(child);
        }
      }
      process.off('exit', killOnExit);
    })());

  try {
    await waitUntilReady(address, namespace, marker, child, Date.now() + (opts.startTimeoutMs ?? 60_000));
  } catch (err) {
    await stop();
    const why = spawnError ? `failed to spawn ${opts.cliPath}: ${spawnError.message}` : (err as Error).message;
    const failure = new Error(`${why}\n--- tail of ${logPath} ---\n${readLogTail(logPath, logStart)}`);
    throw !spawnError && lostPortRace(logPath, logStart) ? new PortTaken(failure) : failure;
  }

  log(`temporal dev server ready at ${address} (UI ${uiUrl}, db ${dbPath})`);
  return { address, uiUrl, dbPath, logPath, stop };
}
