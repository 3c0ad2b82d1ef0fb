// Domain events fire exactly once, on the request that crosses a limit, and never
// for a request that starts already past it. Amounts in nanos ($1 = 1e9).
import { describe, expect, it } from 'vitest';
import { eventsFor, ORG_CAP_THRESHOLDS, type Crossings } from '../../src/domain/events.js';

const usd = (dollars: number) => BigInt(dollars) * 1_000_000_000n;
const RESETS = new Date('2026-11-27T14:00:00Z');

/** A request that crosses nothing. */
function quiet(over: Partial<Crossings> = {}): Crossings {
  return {
    memberId: 'mem_1',
    tier: 'standard',
    period: '2026-11',
    seat: { before: usd(1), after: usd(2), allowance: usd(5), resetsAt: RESETS },
    member: { before: usd(10), after: usd(11), cap: usd(50) },
    tierSpend: { before: usd(100), after: usd(101), cap: usd(500) },
    org: { before: usd(100), after: usd(101), cap: usd(1000) },
    balance: { before: usd(50), after: usd(49), threshold: usd(10) },
    ...over,
  };
}

it('a request that crosses nothing emits nothing', () => {
  expect(eventsFor(quiet())).toEqual([]);
});

describe('seat_limit_reached', () => {
  it('fires when the request uses up the allowance, with the window reset time', () => {
    expect(eventsFor(quiet({ seat: { before: usd(4), after: usd(5), allowance: usd(5), resetsAt: RESETS } }))).toEqual([
      { type: 'seat_limit_reached', memberId: 'mem_1', resetsAt: '2026-11-27T14:00:00.000Z' },
    ]);
    // from one nano below
    expect(eventsFor(quiet({ seat: { before: usd(5) - 1n, after: usd(5), allowance: usd(5), resetsAt: null } }))).toEqual([
      { type: 'seat_limit_reached', memberId: 'mem_1', resetsAt: null },
    ]);
  });

  it('does not fire one nano short, nor once already at or past the allowance', () => {
    expect(eventsFor(quiet({ seat: { before: usd(4), after: usd(5) - 1n, allowance: usd(5), resetsAt: RESETS } }))).toEqual([]);
    expect(eventsFor(quiet({ seat: { before: usd(5), after: usd(5), allowance: usd(5), resetsAt: RESETS } }))).toEqual([]);
    expect(eventsFor(quiet({ seat: { before: usd(5), after: usd(6), allowance: usd(5), resetsAt: RESETS } }))).toEqual([]);
  });

  it('does not fire for a seat with no allowance', () => {
    expect(eventsFor(quiet({ seat: { before: 0n, after: 0n, allowance: 0n, resetsAt: null } }))).toEqual([]);
  });
});

describe('member_cap_reached', () => {
  it('fires on crossing, and on landing exactly on the cap', () => {
    expect(eventsFor(quiet({ member: { before: usd(49), after: usd(52), cap: usd(50) } }))).toEqual([
      { type: 'member_cap_reached', memberId: 'mem_1', period: '2026-11', capNanos: '50000000000', spendNanos: '52000000000' },
    ]);
    expect(eventsFor(quiet({ member: { before: usd(49), after: usd(50), cap: usd(50) } }))).toEqual([
      { type: 'member_cap_reached', memberId: 'mem_1', period: '2026-11', capNanos: '50000000000', spendNanos: '50000000000' },
    ]);
  });

  it('does not fire below the cap, when already past it, or with no cap', () => {
    expect(eventsFor(quiet({ member: { before: usd(49), after: usd(50) - 1n, cap: usd(50) } }))).toEqual([]);
    expect(eventsFor(quiet({ member: { before: usd(50), after: usd(55), cap: usd(50) } }))).toEqual([]);
    expect(eventsFor(quiet({ member: { before: usd(60), after: usd(70), cap: usd(50) } }))).toEqual([]);
    expect(eventsFor(quiet({ member: { before: usd(49), after: usd(5000), cap: null } }))).toEqual([]);
  });
});

describe('tier_cap_reached', () => {
  it('fires on crossing, naming the tier', () => {
    expect(eventsFor(quiet({ tier: 'premium', tierSpend: { before: usd(499), after: usd(501), cap: usd(500) } }))).toEqual([
      { type: 'tier_cap_reached', tier: 'premium', period: '2026-11', capNanos: '500000000000', spendNanos: '501000000000', percent: 100 },
    ]);
  });

  it('fires at the owners\' thresholds (default 50, 80, 100), each once', () => {
    const tier = (before: bigint, after: bigint, percents?: number[]) =>
      eventsFor(quiet({ tierSpend: { before, after, cap: usd(500), ...(percents ? { percents } : {}) } })).map((e) => (e as { percent: number }).percent);
    expect(tier(usd(0), usd(260))).toEqual([50]);
    expect(tier(usd(260), usd(500))).toEqual([80, 100]);
    expect(tier(usd(0), usd(500), [10, 90])).toEqual([10, 90]);
    expect(tier(usd(0), usd(500), [])).toEqual([]);
  });

  it('does not fire when already past, or with no tier cap (Team, or unlimited)', () => {
    expect(eventsFor(quiet({ tierSpend: { before: usd(500), after: usd(501), cap: usd(500) } }))).toEqual([]);
    expect(eventsFor(quiet({ tierSpend: { before: usd(499), after: usd(501), cap: null } }))).toEqual([]);
  });
});

describe('org_cap_threshold at 50%, 80% and 100%, or the owners\' own', () => {
  const org = (before: bigint, after: bigint, cap: bigint | null = usd(1000)) => quiet({ org: { before, after, cap } });
  const percents = (c: Crossings) => eventsFor(c).filter((e) => e.type === 'org_cap_threshold').map((e) => (e as { percent: number }).percent);

  it('the thresholds are 50, 80 and 100', () => {
    expect([...ORG_CAP_THRESHOLDS]).toEqual([50, 80, 100]);
  });

  it('each fires exactly when spend reaches it', () => {
    expect(eventsFor(org(usd(500) - 1n, usd(500)))).toEqual([
      { type: 'org_cap_threshold', percent: 50, period: '2026-11', capNanos: '1000000000000', spendNanos: '500000000000' },
    ]);
    expect(percents(org(usd(799), usd(800)))).toEqual([80]);
    expect(percents(org(usd(999), usd(1000)))).toEqual([100]);
  });

  it('does not fire one nano short, nor for a threshold already passed', () => {
    expect(percents(org(usd(400), usd(500) - 1n))).toEqual([]);
    expect(percents(org(usd(500), usd(799)))).toEqual([]);
    expect(percents(org(usd(800), usd(999)))).toEqual([]);
    expect(percents(org(usd(1000), usd(2000)))).toEqual([]);
  });

  it('one big request crossing several thresholds reports each of them, in order', () => {
    expect(eventsFor(org(usd(100), usd(1200)))).toEqual([
      { type: 'org_cap_threshold', percent: 50, period: '2026-11', capNanos: '1000000000000', spendNanos: '1200000000000' },
      { type: 'org_cap_threshold', percent: 80, period: '2026-11', capNanos: '1000000000000', spendNanos: '1200000000000' },
      { type: 'org_cap_threshold', percent: 100, period: '2026-11', capNanos: '1000000000000', spendNanos: '1200000000000' },
    ]);
    expect(percents(org(usd(499), usd(800)))).toEqual([50, 80]);
    expect(percents(org(usd(790), usd(1000)))).toEqual([80, 100]);
    expect(percents(org(0n, usd(999)))).toEqual([50, 80]);
  });

  it('works to the nano on a cap that does not divide evenly', () => {
    // cap $333.333333333 = 333,333,333,333 nanos
    //   50%  = 166,666,666,666.5 -> first reached at 166,666,666,667
    //   80%  = 266,666,666,666.4 -> first reached at 266,666,666,667
    const cap = 333_333_333_333n;
    expect(percents(org(0n, 166_666_666_666n, cap))).toEqual([]);
    expect(percents(org(166_666_666_666n, 166_666_666_667n, cap))).toEqual([50]);
    expect(percents(org(166_666_666_667n, 266_666_666_666n, cap))).toEqual([]);
    expect(percents(org(266_666_666_666n, 266_666_666_667n, cap))).toEqual([80]);
    expect(percents(org(333_333_333_332n, 333_333_333_333n, cap))).toEqual([100]);
  });

  it('nothing for an unlimited or a $0 org cap', () => {
    expect(percents(org(0n, usd(10_000), null))).toEqual([]);
    expect(percents(org(0n, usd(10), 0n))).toEqual([]);
  });
});

describe('balance_below_threshold (Team auto-reload)', () => {
  const bal = (before: bigint, after: bigint, threshold: bigint | null = usd(10)) => quiet({ balance: { before, after, threshold } });

  it('fires when the balance falls to or below the reload threshold', () => {
    expect(eventsFor(bal(usd(11), usd(9)))).toEqual([{ type: 'balance_below_threshold', thresholdNanos: '10000000000', balanceNanos: '9000000000' }]);
    // "reload when balance reaches $10": landing exactly on it counts
    expect(eventsFor(bal(usd(10) + 1n, usd(10)))).toEqual([{ type: 'balance_below_threshold', thresholdNanos: '10000000000', balanceNanos: '10000000000' }]);
    // an overshoot can take the balance negative
    expect(eventsFor(bal(usd(20), -usd(3)))).toEqual([{ type: 'balance_below_threshold', thresholdNanos: '10000000000', balanceNanos: '-3000000000' }]);
  });

  it('does not fire above the threshold, when already at or below it, without auto-reload, or on Enterprise', () => {
    expect(eventsFor(bal(usd(12), usd(10) + 1n))).toEqual([]);
    expect(eventsFor(bal(usd(10), usd(9)))).toEqual([]);
    expect(eventsFor(bal(usd(9), usd(2)))).toEqual([]);
    expect(eventsFor(bal(usd(11), usd(9), null))).toEqual([]);
    expect(eventsFor(quiet({ balance: null }))).toEqual([]);
  });
});

it('one request that crosses everything reports every event once, seat first and balance last', () => {
  const events = eventsFor({
    memberId: 'mem_9',
    tier: 'premium',
    period: '2026-12',
    seat: { before: usd(3), after: usd(5), allowance: usd(5), resetsAt: RESETS },
    member: { before: usd(40), after: usd(60), cap: usd(50) },
    tierSpend: { before: usd(480), after: usd(500), cap: usd(500) },
    org: { before: usd(70), after: usd(100), cap: usd(100) },
    balance: { before: usd(25), after: usd(5), threshold: usd(10) },
  });
  expect(events).toEqual([
    { type: 'seat_limit_reached', memberId: 'mem_9', resetsAt: '2026-11-27T14:00:00.000Z' },
    { type: 'member_cap_reached', memberId: 'mem_9', period: '2026-12', capNanos: '50000000000', spendNanos: '60000000000' },
    { type: 'tier_cap_reached', tier: 'premium', period: '2026-12', capNanos: '500000000000', spendNanos: '500000000000', percent: 100 },
    { type: 'org_cap_threshold', percent: 80, period: '2026-12', capNanos: '100000000000', spendNanos: '100000000000' },
    { type: 'org_cap_threshold', percent: 100, period: '2026-12', capNanos: '100000000000', spendNanos: '100000000000' },
    { type: 'balance_below_threshold', thresholdNanos: '10000000000', balanceNanos: '5000000000' },
  ]);
});
