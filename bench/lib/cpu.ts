// Where the CPU of a bench line went: the load generator (this process), the service
// process(es), and PostgreSQL (every `postgres` process of the machine), read from
// /proc before and after the line. Linux only; elsewhere the split is left out.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used, or 0 if it is gone. */
function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime, stime
  } catch {
    return 0;
  }
}

function postgresPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') pids.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return pids;
}

export interface CpuSplit {
  loadGenerator: number;
  service: number;
  postgres: number;
}

/** Starts counting; the returned function gives the CPU seconds each part used since. */
export function cpuMeter(servicePids: number[]): () => CpuSplit | null {
  if (process.platform !== 'linux') return () => null;
  const own0 = process.cpuUsage();
  const service0 = servicePids.reduce((s, p) => s + cpuSecondsOf(p), 0);
  const pg0 = new Map(postgresPids().map((p) => [p, cpuSecondsOf(p)]));
  return () => {
    const own = process.cpuUsage(own0);
    // Backends that started during the line count from zero.
    const postgres = postgresPids().reduce((s, p) => s + cpuSecondsOf(p) - (pg0.get(p) ?? 0), 0);
    return {
      loadGenerator: (own.user + own.system) / 1e6,
      service: servicePids.reduce((s, p) => s + cpuSecondsOf(p), 0) - service0,
      postgres,
    };
  };
}

/** "load generator 41%, service 38%, PostgreSQL 21%" of the CPU the three used. */
export function splitText(split: CpuSplit | null): string {
  if (!split) return 'not measured';
  const total = split.loadGenerator + split.service + split.postgres;
  if (total <= 0) return 'not measured';
  const pct = (x: number) => `${Math.round((100 * x) / total)}%`;
  return `load generator ${pct(split.loadGenerator)}, service ${pct(split.service)}, PostgreSQL ${pct(split.postgres)} (${total.toFixed(1)} CPU-s)`;
}
