// Bolt's logger interface over the service's one-line log, with the service's LOG_LEVEL.
import { LogLevel, type Logger } from '@slack/bolt';

const ORDER: Record<string, number> = { trace: 0, debug: 0, info: 1, warn: 2, error: 3, fatal: 3, silent: 4 };
const LEVEL_OF: Record<LogLevel, number> = { [LogLevel.DEBUG]: 0, [LogLevel.INFO]: 1, [LogLevel.WARN]: 2, [LogLevel.ERROR]: 3 };

export function boltLogger(log: (line: string) => void, level = 'info'): Logger {
  let min = ORDER[level] ?? 1;
  let current: LogLevel = LogLevel.INFO;
  let name = 'slack';
  const out = (at: number, tag: string) => (...msg: unknown[]) => {
    if (at >= min) log(`[${name}] ${tag} ${msg.map((m) => (m instanceof Error ? m.message : typeof m === 'string' ? m : JSON.stringify(m))).join(' ')}`);
  };
  return {
    debug: out(0, 'debug'),
    info: out(1, 'info'),
    warn: out(2, 'warn'),
    error: out(3, 'error'),
    setLevel(l: LogLevel) {
      current = l;
      min = Math.max(min, LEVEL_OF[l] ?? 1);
    },
    getLevel: () => current,
    setName(n: string) {
      name = n;
    },
  };
}
