// One output format per process for everything it logs: the service's own lines
// ("database: …", "temporal: …") and the API's request logs (Fastify's pino JSON).
// On a terminal: pretty, human lines; otherwise (a container, a pipe, a file): JSON
// lines a log collector parses. LOG_FORMAT=pretty|json overrides the guess.
import { hostname } from 'node:os';

export const LOG_FORMATS = ['pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** The format to use: the setting if there is one, else pretty on a terminal only. */
export function logFormatOf(setting: LogFormat | undefined, isTTY: boolean | undefined): LogFormat {
  return setting ?? (isTTY ? 'pretty' : 'json');
}

export interface Logging {
  format: LogFormat;
  /** A line of the service's own (info level). */
  line(msg: string): void;
  /** Where Fastify's logger writes its JSON lines (`logger.stream`). */
  stream: { write(chunk: string): void };
}

interface Sink {
  write(chunk: string): unknown;
}

// pino's numeric levels.
const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
// pino's own fields and those a request log line is made of: not repeated as key=value.
const SHOWN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'reqId', 'req', 'res', 'responseTime', 'err']);

export function createLogging(format: LogFormat, out: Sink = process.stdout): Logging {
  const base = { pid: process.pid, hostname: hostname() };
  if (format === 'json') {
    return {
      format,
      line: (msg) => void out.write(`${JSON.stringify({ level: 30, time: Date.now(), ...base, msg })}\n`),
      stream: { write: (chunk) => void out.write(chunk) },
    };
  }
  return {
    format,
    line: (msg) => void out.write(pretty({ level: 30, time: Date.now(), msg })),
    stream: {
      write(chunk) {
        for (const text of chunk.split('\n')) {
          if (!text.trim()) continue;
          let entry: Record<string, unknown>;
          try {
            entry = JSON.parse(text) as Record<string, unknown>;
          } catch {
            out.write(`${text}\n`);
            continue;
          }
          out.write(pretty(entry));
        }
      },
    },
  };
}

/** `03:04:05.678 INFO  message`; a request as `req-1 → GET /path` and `req-1 ← 200 in 3.1 ms`. */
export function pretty(entry: Record<string, unknown>): string {
  const time = new Date(typeof entry.time === 'number' ? entry.time : Date.now()).toISOString().slice(11, 23);
  const level = (LEVELS[Number(entry.level)] ?? 'INFO').padEnd(5);
  const req = entry.req as { method?: string; url?: string } | undefined;
  const res = entry.res as { statusCode?: number } | undefined;
  let text: string;
  if (req?.method) text = `${entry.reqId ?? ''} → ${req.method} ${req.url ?? ''}`.trim();
  else if (res?.statusCode !== undefined) text = `${entry.reqId ?? ''} ← ${res.statusCode} in ${Number(entry.responseTime ?? 0).toFixed(1)} ms`.trim();
  else text = String(entry.msg ?? '');
  const err = entry.err as { message?: string; stack?: string } | undefined;
  if (err) text += `\n${err.stack ?? err.message ?? JSON.stringify(err)}`;
  const extra = Object.entries(entry).filter(([k]) => !SHOWN.has(k));
  if (extra.length) text += ` ${extra.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')}`;
  return `${time} ${level} ${text}\n`;
}
