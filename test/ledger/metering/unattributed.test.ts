// Claiming a Claude Code user.id against a real PostgreSQL server, where claims can race.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgerError } from '../../../src/ledger/errors.js';
import { attributeClientUser, keepUnattributed } from '../../../src/ledger/metering/unattributed.js';
import { findMember } from '../../../src/ledger/settings/members.js';
import { migrated, postgresOpener, type Scratch } from '../../support/databases.js';
import { enterpriseDoc, harness, type Harness } from '../../support/fixtures.js';

const NOW = new Date('2026-12-07T12:00:00Z');

describe('claiming a Claude Code user.id on PostgreSQL', () => {
  let scratch: Scratch;
  let h: Harness;
  let orgId: string;
  beforeAll(async () => {
    scratch = await migrated(postgresOpener(4));
    h = await harness(scratch.db.prisma, NOW);
    ({ orgId } = await h.provision('race', enterpriseDoc()));
  });
  afterAll(async () => {
    await h?.close();
    await scratch?.dispose();
  });

  it('answers 409 to the claim that loses a race for one user.id, never a 500', async () => {
    const db = scratch.db.prisma;
    const bob = (await findMember(db, orgId, 'bob'))!;
    await keepUnattributed(db, orgId, [{ requestId: 'otel:race-1', clientUserId: 'device-race', model: 'claude-sonnet-4-5', usage: { input_tokens: 10, output_tokens: 0 }, at: NOW }], NOW);
    let release!: () => void;
    const held = new Promise<void>((r) => { release = r; });
    let inserted!: () => void;
    const insertedYet = new Promise<void>((r) => { inserted = r; });
    // Bob's claim has written its row and not committed yet when Alice's arrives.
    const first = db.$transaction(async (tx) => {
      await tx.claudeCodeUser.create({ data: { orgId, clientUserId: 'device-race', memberId: bob.id, createdBy: 'bob', createdAt: NOW } });
      inserted();
      await held;
    }, { timeout: 60_000 });
    await insertedYet;
    const second = attributeClientUser(db, orgId, 'device-race', 'alice', 'alice', NOW).then(() => 'ok', (err: unknown) => err);
    // Wait until Alice's insert waits on Bob's row lock, then let Bob commit.
    for (;;) {
      const waiting = await db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
      if (waiting[0]!.n > 0n) break;
      await new Promise((r) => setImmediate(r));
    }
    release();
    await first;
    const outcome = await second;
    expect(outcome).toBeInstanceOf(LedgerError);
    expect({ status: (outcome as LedgerError).status, field: (outcome as LedgerError).field }).toEqual({ status: 409, field: 'userId' });
    expect((await db.claudeCodeUser.findMany({ where: { orgId } })).map((u) => u.memberId)).toEqual([bob.id]);
  }, 60_000);
});
