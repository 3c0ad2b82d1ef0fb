// Usage no real request could have (billions of dollars in one record) is refused
// with a 422 naming `usage` once a month-to-date total would pass what the ledger
// holds, never a 500, and nothing of it is written. On PGlite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, migrated, type Scratch } from '../support/databases.js';
import { enterpriseDoc, harness, OPERATOR_TOKEN, type Harness } from '../support/fixtures.js';

describe.each(BACKENDS)('a record past what the ledger holds on $kind', ({ open }) => {
  let scratch: Scratch;
  let h: Harness;
  beforeAll(async () => {
    scratch = await migrated(open);
    h = await harness(scratch.db.prisma, new Date());
  });
  afterAll(async () => {
    // Such a batch falls back to one-at-a-time to find the record at fault: expected here.
    await h?.app.close();
    await scratch?.dispose();
  });

  it('answers 422 on usage and writes nothing', async () => {
    await h.provision('acme', enterpriseDoc());
    const key = await h.issueKey('acme', ['usage']);
    const rate = '999999.999';
    const price = await h.call('POST', '/v1/operator/prices', {
      token: OPERATOR_TOKEN,
      body: { model: 'huge-model', effectiveFrom: new Date(h.clock.now.getTime() + 120_000).toISOString(), perMillionTokens: { input: rate, cacheWrite5m: rate, cacheWrite1h: rate, cacheRead: rate, output: rate } },
    });
    expect(price.status).toBe(201);
    h.clock.now = new Date(h.clock.now.getTime() + 180_000);
    const record = (id: string) => h.call('POST', '/v1/usage/record', { token: key, body: { requestId: id, member: 'alice', model: 'huge-model', usage: { input_tokens: 2_000_000_000, output_tokens: 2_000_000_000 } } });
    let refused: Awaited<ReturnType<typeof record>> | undefined;
    let accepted = 0;
    for (let i = 0; i < 4 && !refused; i++) {
      const res = await record(`r${i}`);
      if (res.status === 200) accepted++;
      else refused = res;
    }
    expect(refused).toMatchObject({ status: 422, body: { error: { field: 'usage', message: expect.stringContaining('Nothing was recorded') } } });
    expect(await scratch.db.prisma.usageEvent.count({ where: { model: 'huge-model' } })).toBe(accepted);
  });
});
