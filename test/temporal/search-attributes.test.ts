// The service's start on a Temporal that lacks our search attributes: added where it
// may (a dev server or a self-hosted cluster), else a stop naming the command to run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ensureSearchAttributes, SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes.js';
import { timeSkippingEnv } from '../support/temporal.js';

describe('search attributes at start', () => {
  let refusing: TestWorkflowEnvironment;
  beforeAll(async () => {
    refusing = await timeSkippingEnv();
  }, 120_000);
  afterAll(async () => {
    await refusing?.teardown();
  });

  it('a Temporal that cannot register them stops the start with the command an operator runs', async () => {
    await expect(ensureSearchAttributes(refusing.connection, 'default')).rejects.toThrow(
      'Register them: temporal operator search-attribute create --namespace default --name OrgSlug --type Keyword --name Member --type Keyword --name RequestStatus --type Keyword --name AlertKind --type Keyword',
    );
  });

  it('a namespace without them gets them, and a second process finds them there', async () => {
    // A dev server started without ours (as a cluster set up by hand would be).
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    const { findTemporalCli } = await import('../../src/temporal/cli.js');
    const bare = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: await findTemporalCli() }, ip: '127.0.0.1' } });
    try {
      const names = async () => Object.keys((await bare.connection.operatorService.listSearchAttributes({ namespace: 'default' })).customAttributes ?? {});
      expect(await names()).not.toContain('OrgSlug');
      const lines: string[] = [];
      await ensureSearchAttributes(bare.connection, 'default', (l) => lines.push(l));
      expect(await names()).toEqual(expect.arrayContaining(SEARCH_ATTRIBUTES.map((k) => k.name)));
      expect(lines).toEqual(['temporal: registered search attributes OrgSlug, Member, RequestStatus, AlertKind in namespace default']);
      await ensureSearchAttributes(bare.connection, 'default', (l) => lines.push(l));
      expect(lines).toHaveLength(1);
    } finally {
      await bare.teardown();
    }
  }, 120_000);
});
