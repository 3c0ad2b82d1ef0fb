// How often a part that is down is tried again (src/observability/dependencies.ts): 1 s
// doubling up to the process's DEPENDENCY_RETRY_MAX_SECONDS (60 s by default), so a part
// that comes back is noticed within that long. Timers are Vitest's fake ones: the test
// counts attempts at given moments instead of waiting a minute.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Dependencies } from '../../src/observability/dependencies.js';

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:7233'), { code: 'ECONNREFUSED' });

/** A part down until `up()`; counts the attempts. */
function part() {
  let isUp = false;
  const state = { attempts: 0, up: () => void (isUp = true) };
  const probe = async () => {
    state.attempts += 1;
    if (!isUp) throw refused();
  };
  return { state, probe };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('a part that is down', () => {
  it('is tried 1 s doubling up to a minute by default, and up to the bound the process is given', async () => {
    vi.useFakeTimers();
    const lines: string[] = [];
    const byDefault = new Dependencies((l) => lines.push(l));
    const bounded = new Dependencies((l) => lines.push(l), undefined, 4_000);
    const a = part();
    const b = part();
    const doneA = byDefault.keepTrying('smtp', a.probe);
    const doneB = bounded.keepTrying('smtp', b.probe);
    // Attempts at 0, 1, 3, 7, 15, 31, 63 s by default; at 0, 1, 3, 7, 11, 15, ... 39 s with a 4 s bound.
    await vi.advanceTimersByTimeAsync(40_000);
    expect(a.state.attempts).toBe(6);
    expect(b.state.attempts).toBe(12);
    a.state.up();
    b.state.up();
    // Back: the bounded one notices within its 4 s, the default one at the next doubling (63 s).
    await vi.advanceTimersByTimeAsync(4_000);
    expect(byDefault.isDown('smtp')).toBe(true);
    expect(bounded.isDown('smtp')).toBe(false);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(byDefault.isDown('smtp')).toBe(false);
    await Promise.all([doneA, doneB]);
    expect(lines.filter((l) => l.startsWith('smtp: reachable again'))).toHaveLength(2);
    expect(lines.filter((l) => l.startsWith('smtp: unreachable'))).toHaveLength(2);
  });
});
