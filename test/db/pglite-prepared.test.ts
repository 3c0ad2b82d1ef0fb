// On embedded PGlite the hot path's statements are prepared once and run as EXECUTE with
// their parameters as literals (src/db/sql.ts): the answers must be the ones an unnamed
// statement gives, whatever the values hold.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratchPglite, type Scratch } from '../support/databases.js';

let scratch: Scratch;
beforeAll(async () => {
  scratch = await scratchPglite();
  await scratch.db.sql.query(`CREATE TABLE note (id int PRIMARY KEY, body text, tags text[], doc jsonb, at timestamp(3), flag boolean, amount bigint)`);
});
afterAll(async () => {
  await scratch.dispose();
});

const ROUND_TRIP = `SELECT $1::text AS body, $2::text[] AS tags, $3::jsonb AS doc, $4::timestamp(3) AS at, $5::boolean AS flag, $6::bigint AS amount`;

describe('statements with parameters on PGlite', () => {
  it('give back every value as sent: quotes, backslashes, dollars, commas, braces, NULLs, arrays', async () => {
    const tricky = `it's "quoted" \\ back\\slash $1 $$ '); DROP TABLE note; -- {a,b}`;
    for (let i = 0; i < 3; i++) {
      const [row] = await scratch.db.sql.query<Record<string, unknown>>(ROUND_TRIP, [tricky, [tricky, 'x,y', '{}', ''], JSON.stringify({ say: tricky }), '2026-12-07 23:59:59.123', true, 9007199254740993n]);
      expect(row).toEqual({ body: tricky, tags: [tricky, 'x,y', '{}', ''], doc: { say: tricky }, at: new Date('2026-12-07T23:59:59.123Z'), flag: true, amount: 9007199254740993n });
    }
    const [nulls] = await scratch.db.sql.query<Record<string, unknown>>(ROUND_TRIP, [null, [], null, null, false, 0]);
    expect(nulls).toEqual({ body: null, tags: [], doc: null, at: null, flag: false, amount: 0 });
    const rows = await scratch.db.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM note');
    expect(rows).toEqual([{ n: 0 }]);
  });

  it('keep working after a transaction that first ran them was rolled back', async () => {
    const insert = `INSERT INTO note (id, body) VALUES ($1, $2) RETURNING id`;
    await expect(scratch.db.sql.transaction(async (tx) => {
      await tx.query(insert, [1, 'rolled back']);
      throw new Error('abandon');
    })).rejects.toThrow('abandon');
    expect(await scratch.db.sql.query(insert, [2, 'kept'])).toEqual([{ id: 2 }]);
    expect(await scratch.db.sql.query('SELECT id, body FROM note WHERE id = ANY($1::int[]) ORDER BY id', [[1, 2]])).toEqual([{ id: 2, body: 'kept' }]);
  });

  it('run the same new statement from many callers at once, inside and outside transactions', async () => {
    const text = `SELECT $1::int * 2 AS twice`;
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2
      ? scratch.db.sql.transaction((tx) => tx.query<{ twice: number }>(text, [i]))
      : scratch.db.sql.query<{ twice: number }>(text, [i]))));
    expect(answers.map((rows) => rows[0]!.twice)).toEqual(Array.from({ length: 10 }, (_, i) => i * 2));
  });

  it('refuse bad input as an unnamed statement would, naming the problem', async () => {
    await expect(scratch.db.sql.query(`SELECT $1::int AS n`, ['not a number'])).rejects.toThrow(/invalid input syntax for type integer/);
    await expect(scratch.db.sql.query(`SELECT $1::int AS n`, [5])).resolves.toEqual([{ n: 5 }]);
  });
});
