// The cap-accuracy invariants on small runs (the benchmark reports large ones):
// check mode overshoots by no more than the requests in flight and authorises nothing
// once recorded spend reached the cap; reservation mode never overshoots; the ledger
// always adds up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOvershoot } from '../../bench/lib/overshoot.js';
import { BACKENDS, migrated, type Scratch } from '../support/databases.js';
import { harness, OPERATOR_TOKEN, type Harness } from '../support/fixtures.js';

describe.each(BACKENDS)('cap accuracy under concurrency on $kind', ({ open }) => {
  let scratch: Scratch;
  let h: Harness;
  beforeAll(async () => {
    scratch = await migrated(open);
    h = await harness(scratch.db.prisma, new Date());
    h.clock.now = new Date();
  });
  afterAll(async () => {
    await h?.close();
    await scratch?.dispose();
  });
  const target = () => ({ app: h.app, db: scratch.db.prisma, operatorToken: OPERATOR_TOKEN });

  it.each([1, 16])('check mode with %i client(s): overshoot bounded by what was in flight', async (clients) => {
    h.clock.now = new Date();
    const r = await runOvershoot(target(), 'check', clients);
    expect(r.allowedAfterCap).toBe(0);
    expect(r.overshootRequests).toBeLessThanOrEqual(r.inFlightAtCap);
    if (clients === 1) expect(r.overshootRequests).toBe(0);
    expect(r.ledgerConsistent).toBe(true);
  });

  it.each([1, 16])('reservation mode with %i client(s): no cap is ever exceeded', async (clients) => {
    h.clock.now = new Date();
    const r = await runOvershoot(target(), 'reserve', clients);
    expect(r.overshootNanos).toBe(0n);
    expect(r.authorized).toBeGreaterThan(0);
    expect(r.ledgerConsistent).toBe(true);
  });
});
