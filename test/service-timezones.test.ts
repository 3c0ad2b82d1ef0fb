// An org document the API accepts never stops the service: each accepted form of a
// timezone is stored by its canonical name and scheduled in, across a restart, on
// PGlite and on the PostgreSQL server; and an org whose stored timezone Temporal
// cannot read (a row from before timezones were checked) is reported in /health
// while every other org keeps being served.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { startService, type RunningService } from '../src/service.js';
import { digestScheduleId, monthEndScheduleId } from '../src/temporal/schedules.js';
import { scratchPostgres } from './support/databases.js';
import { enterpriseDoc, OPERATOR_TOKEN } from './support/fixtures.js';
import { devServerEnv } from './support/temporal.js';
import { migratedDataDir } from './support/data-dir.js';

const quiet = () => {};
const FORMS = ['europe/paris', 'utc', 'US/Pacific-New', 'GMT', 'Asia/Kolkata'];

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await devServerEnv();
});
afterAll(async () => {
  await env?.teardown();
});

describe.each(['pglite', 'postgres'] as const)('timezones across a restart on %s', (kind) => {
  const dataDir = migratedDataDir('eu-tz-');
  let pgUrl: string | undefined;
  let disposePg: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    if (kind === 'postgres') {
      const s = await scratchPostgres();
      pgUrl = s.url;
      // The service opens its own connection; keep only the ability to drop the database.
      await s.db.close();
      disposePg = s.dispose;
    }
  });
  afterAll(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await disposePg?.().catch(() => {});
  });

  const start = () => startService(loadConfig({
    DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent', OPERATOR_TOKEN,
    TEMPORAL_ADDRESS: env.address, TEMPORAL_TASK_QUEUE: `tz-${kind}-${process.pid}`,
    ...(pgUrl ? { DATABASE_URL: pgUrl } : {}),
  }), quiet);
  const call = (svc: RunningService, method: string, path: string, body?: unknown) => fetch(`${svc.url}${path}`, {
    method, headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
  });
  const health = async (svc: RunningService) => (await fetch(`${svc.url}/health`)).json();

  it('stores every accepted form canonically, schedules each org after a restart, and survives one unreadable org', async () => {
    const slugs = FORMS.map((_, i) => `tz-${i}`);
    const first = await start();
    const stored: Record<string, string> = {};
    try {
      for (const [i, timezone] of FORMS.entries()) {
        const put = await call(first, 'PUT', `/v1/operator/orgs/${slugs[i]}`, enterpriseDoc({ timezone }));
        expect(put.status, timezone).toBe(201);
        const org = (await (await call(first, 'GET', `/v1/operator/orgs/${slugs[i]}`)).json()).org;
        stored[slugs[i]!] = org.timezone;
      }
      expect(stored['tz-0']).toBe('Europe/Paris');
      expect(stored['tz-1']).toBe('UTC');
      // A name no timezone has is refused, naming the field, and nothing is created.
      const bad = await call(first, 'PUT', '/v1/operator/orgs/tz-bad', enterpriseDoc({ timezone: 'Mars/Olympus_Mons' }));
      expect(bad.status).toBeGreaterThanOrEqual(400);
      expect(bad.status).toBeLessThan(500);
      expect((await bad.json()).error.field).toBe('timezone');
      expect((await call(first, 'GET', '/v1/operator/orgs/tz-bad')).status).toBe(404);
      // A row written before timezones were checked.
      await first.database.prisma.organization.update({ where: { slug: 'tz-4' }, data: { timezone: 'mars/olympus_mons' } });
    } finally {
      await first.stop();
    }

    const second = await start();
    try {
      const h = await health(second);
      const broken = await second.database.prisma.organization.findUniqueOrThrow({ where: { slug: 'tz-4' } });
      expect(h).toMatchObject({ status: 'degraded', schedules: { failing: [expect.objectContaining({ orgId: broken.id, error: expect.stringContaining('mars/olympus_mons') })] } });
      for (const slug of slugs.slice(0, 4)) {
        const org = await second.database.prisma.organization.findUniqueOrThrow({ where: { slug } });
        for (const id of [digestScheduleId(org.slug), monthEndScheduleId(org.slug)]) {
          expect((await env.client.schedule.getHandle(id).describe()).spec.timezone).toBe(stored[slug]);
        }
      }
      // Every other org is served as before.
      expect((await call(second, 'GET', '/v1/operator/orgs/tz-0')).status).toBe(200);

      // The operator fixes the document (a changed field wins the merge): the org is scheduled and /health is ok again.
      expect((await call(second, 'PUT', '/v1/operator/orgs/tz-4', enterpriseDoc({ timezone: 'Europe/Berlin' }))).status).toBe(200);
      let after = await health(second);
      for (let i = 0; i < 200 && after.status !== 'ok'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        after = await health(second);
      }
      expect(after).toMatchObject({ status: 'ok', schedules: { failing: [] }, outbox: { failing: 0 } });
      expect((await env.client.schedule.getHandle(digestScheduleId(broken.slug)).describe()).spec.timezone).toBe('Europe/Berlin');
    } finally {
      await second.stop();
    }
  }, 120_000);
});
