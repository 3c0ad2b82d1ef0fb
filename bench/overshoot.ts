// `npm run bench:overshoot`: one member and their org just below a $10 cap, driven
// to refusal from 1, 8, 64 and 256 concurrent clients, in check mode and in
// reservation mode, on PGlite and PostgreSQL. Writes its table into BENCHMARKS.md.
import { buildServer } from '../src/api/server.js';
import { applyMigrations } from '../src/db/migrate.js';
import { openDatabase } from '../src/db/client.js';
import { describeRun, runOvershoot, type OvershootRun } from './lib/overshoot.js';
import { writeSection } from './lib/report.js';
import { freshPostgres } from './lib/service-process.js';

const CLIENTS = (process.env.OVERSHOOT_CLIENTS ?? '1,8,64,256').split(',').map(Number);
const token = 'overshoot-operator-token';

const lines: string[] = [];
for (const kind of ['pglite', 'postgres'] as const) {
  const pg = kind === 'postgres' ? await freshPostgres() : null;
  const database = await openDatabase({ url: pg?.url, pgliteDir: 'memory://', poolSize: 20 });
  await applyMigrations(database.prisma);
  const app = buildServer({ db: database.prisma, operatorToken: token, now: () => new Date() });
  try {
    for (const mode of ['check', 'reserve'] as const) {
      for (const clients of CLIENTS) {
        const r: OvershootRun = await runOvershoot({ app, db: database.prisma, operatorToken: token }, mode, clients);
        const line = describeRun(r).replace(/^\| /, `| ${kind} | `);
        console.log(line);
        lines.push(line);
      }
    }
  } finally {
    await app.close();
    await database.close();
    await pg?.drop();
  }
}

writeSection('overshoot', `## Cap accuracy (\`npm run bench:overshoot\`)

One member with a $10.00 cap in an org with a $10.00 cap, starting at $9.90 spent;
claude-sonnet-4-5 requests of 1,000-5,000 prompt tokens and up to 1,024 output
tokens (about $0.004-$0.03 each), 1-5 ms of "model time" between authorize and
record. Run on ${new Date().toISOString()}.

- *overshoot*: spend past the cap at the end; *late records*: records that landed
  after recorded spend had reached the cap; *in flight at cap*: requests authorised
  but not yet recorded at that moment; *allowed after cap*: authorizations that
  started after recorded spend had reached the cap (must be 0).
- Check mode (the documented behaviour) may overshoot by the requests in flight;
  reservation mode holds an upper bound (prompt tokens at the dearest prompt rate,
  max_tokens at the output rate) and must never overshoot.

| database | mode | clients | authorised | overshoot | late records | in flight at cap | allowed after cap | events = member = org |
|---|---|---|---|---|---|---|---|---|
${lines.join('\n')}
`);
