// Two service instances starting together on one empty PostgreSQL database: both
// migrate without an error, and every migration is applied exactly once.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { applyMigrations, readMigrations } from '../../src/db/migrate.js';
import { scratchPostgres } from '../support/databases.js';

describe('migrations applied by instances starting together', () => {
  it.each([1, 2, 3])('run %i: both instances succeed on an empty database, each migration recorded once', async () => {
    const scratch = await scratchPostgres(2);
    const second = await openDatabase({ url: scratch.url!, poolSize: 2 });
    try {
      const [a, b] = await Promise.all([applyMigrations(scratch.db.prisma), applyMigrations(second.prisma)]);
      const all = readMigrations().map((m) => m.name);
      // Between them they applied each migration once; whoever came second found it done.
      expect([...a, ...b].sort()).toEqual([...all].sort());
      const client = new pg.Client({ connectionString: scratch.url });
      await client.connect();
      try {
        const rows = await client.query('SELECT migration_name, count(*)::int AS n FROM "_prisma_migrations" GROUP BY 1');
        expect(rows.rows).toHaveLength(all.length);
        expect(rows.rows.every((r) => r.n === 1)).toBe(true);
      } finally {
        await client.end();
      }
    } finally {
      await second.close();
      await scratch.dispose();
    }
  });
});
