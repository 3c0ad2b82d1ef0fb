// The throughput targets as ratios to this machine's floors measured in the same run
// (absolute figures move by ±40% between days on shared machines; the ratios do not):
// - authorize ≥ 25% of the bare-Node floor, p99 ≤ 10 ms;
// - record, with authorize at 1,000/s beside it, ≥ 50% of the 16-client durable
//   single-row UPDATE floor, p99 ≤ 25 ms;
// - PGlite within 2× of PostgreSQL for both (its rate at least half of PostgreSQL's).
// Pure: the bench feeds the lines in and prints the verdicts.

export interface Line {
  name: string;
  database: string;
  rps: number;
  p99: number;
}

export interface Verdict {
  target: string;
  measured: string;
  met: boolean;
  /** How far short, when not met ("rate 61% of the target", "p99 3 ms over"). */
  short?: string;
}

export const AUTHORIZE_OF_BARE_NODE = 0.25;
export const AUTHORIZE_P99_MS = 10;
export const RECORD_OF_UPDATE_FLOOR = 0.5;
export const RECORD_P99_MS = 25;
export const PGLITE_WITHIN = 2;

const pct = (x: number) => `${Math.round(x * 100)}%`;
/** Rounded down: a shortfall never reads as 100%. */
const pctDown = (x: number) => `${Math.floor(x * 100)}%`;

function ratioVerdict(target: string, line: Line | undefined, floor: Line | undefined, share: number, p99: number): Verdict {
  if (!line || !floor || floor.rps <= 0) return { target, measured: 'not measured', met: false, short: 'not measured' };
  const ratio = line.rps / floor.rps;
  const rateOk = ratio >= share;
  const p99Ok = line.p99 <= p99;
  const short = [!rateOk && `rate ${pctDown(ratio / share)} of the target (${pctDown(ratio)} of the floor, needs ${pct(share)})`, !p99Ok && `p99 ${line.p99 - p99} ms over`].filter(Boolean).join('; ');
  return { target, measured: `${line.rps.toLocaleString('en-US')}/s = ${pct(ratio)} of ${floor.rps.toLocaleString('en-US')}/s, p99 ${line.p99} ms`, met: rateOk && p99Ok, ...(short ? { short } : {}) };
}

function withinVerdict(target: string, pglite: Line | undefined, postgres: Line | undefined): Verdict {
  if (!pglite || !postgres || pglite.rps <= 0) return { target, measured: 'not measured', met: false, short: 'not measured' };
  const times = postgres.rps / pglite.rps;
  const met = times <= PGLITE_WITHIN;
  return { target, measured: `PostgreSQL ${postgres.rps.toLocaleString('en-US')}/s, PGlite ${pglite.rps.toLocaleString('en-US')}/s (${times.toFixed(2)}×)`, met, ...(met ? {} : { short: `${times.toFixed(2)}× against ${PGLITE_WITHIN}×` }) };
}

/** Finds lines by the start of their name and their database. */
export function verdicts(lines: Line[]): Verdict[] {
  const find = (start: string, db: string) => lines.find((l) => l.name.startsWith(start) && l.database === db);
  const bare = find('floor: bare Node', '-');
  const update16 = lines.find((l) => l.name.startsWith('floor: single-row durable UPDATE, 16 client'));
  const out: Verdict[] = [];
  for (const db of ['postgres', 'pglite']) {
    out.push(ratioVerdict(`authorize (${db}) ≥ ${pct(AUTHORIZE_OF_BARE_NODE)} of the bare-Node floor, p99 ≤ ${AUTHORIZE_P99_MS} ms`, find('authorize, 1,000 members', db), bare, AUTHORIZE_OF_BARE_NODE, AUTHORIZE_P99_MS));
    out.push(ratioVerdict(`record (${db}), authorize at 1,000/s beside, ≥ ${pct(RECORD_OF_UPDATE_FLOOR)} of the 16-client UPDATE floor, p99 ≤ ${RECORD_P99_MS} ms`, find('record (durable), authorize at', db), update16, RECORD_OF_UPDATE_FLOOR, RECORD_P99_MS));
  }
  out.push(withinVerdict(`PGlite within ${PGLITE_WITHIN}× of PostgreSQL: authorize`, find('authorize, 1,000 members', 'pglite'), find('authorize, 1,000 members', 'postgres')));
  out.push(withinVerdict(`PGlite within ${PGLITE_WITHIN}× of PostgreSQL: record beside authorize`, find('record (durable), authorize at', 'pglite'), find('record (durable), authorize at', 'postgres')));
  return out;
}

export function verdictTable(vs: Verdict[]): string {
  return ['| target | measured | verdict |', '|---|---|---|', ...vs.map((v) => `| ${v.target} | ${v.measured} | ${v.met ? 'met' : `short: ${v.short}`} |`)].join('\n');
}
