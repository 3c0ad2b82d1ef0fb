// The bench judges itself by ratios to the floors of the same run (bench/lib/targets.ts).
import { describe, expect, it } from 'vitest';
import { verdicts } from '../../bench/lib/targets.js';

const floors = [
  { name: 'floor: bare Node HTTP handler', database: '-', rps: 40_000, p99: 3 },
  { name: 'floor: single-row durable UPDATE, 16 client(s), synchronous_commit=on', database: 'postgres', rps: 4_000, p99: 8 },
];

describe('bench targets as ratios to the floors', () => {
  it('meets authorize at 25% of the bare-Node floor within p99 10 ms, and says how far short otherwise', () => {
    const met = verdicts([...floors, { name: 'authorize, 1,000 members', database: 'postgres', rps: 10_000, p99: 10 }]);
    expect(met[0]).toMatchObject({ met: true });
    const short = verdicts([...floors, { name: 'authorize, 1,000 members', database: 'postgres', rps: 6_000, p99: 12 }]);
    expect(short[0]!.met).toBe(false);
    expect(short[0]!.short).toBe('rate 60% of the target (15% of the floor, needs 25%); p99 2 ms over');
  });

  it('judges record beside authorize against half the 16-client UPDATE floor', () => {
    const v = verdicts([...floors, { name: 'record (durable), authorize at 1,000/s beside', database: 'postgres', rps: 1_999, p99: 20 }]);
    const record = v.find((x) => x.target.startsWith('record (postgres)'))!;
    expect(record.met).toBe(false);
    expect(record.short).toMatch(/^rate 99% of the target \(49% of the floor/);
    const ok = verdicts([...floors, { name: 'record (durable), authorize at 1,000/s beside', database: 'postgres', rps: 2_000, p99: 25 }]);
    expect(ok.find((x) => x.target.startsWith('record (postgres)'))!.met).toBe(true);
  });

  it('holds PGlite within 2× of PostgreSQL, and a line not measured is never met', () => {
    const lines = [...floors, { name: 'authorize, 1,000 members', database: 'postgres', rps: 9_000, p99: 5 }, { name: 'authorize, 1,000 members', database: 'pglite', rps: 4_000, p99: 9 }];
    const within = verdicts(lines).find((x) => x.target.endsWith('authorize'))!;
    expect(within).toMatchObject({ met: false, short: '2.25× against 2×' });
    expect(verdicts(floors).every((v) => !v.met)).toBe(true);
  });
});
