// Where the suite's global set-up leaves its migrated databases for every test process:
// environment variables, so processes the tests start (and runs outside vitest) read them too.
export const TEMPLATE_ENV = {
  /** A file: PGlite's dumpDataDir of a database right after initdb. */
  pgliteEmpty: 'TEST_PGLITE_EMPTY',
  /** A file: the same with every migration applied. */
  pgliteMigrated: 'TEST_PGLITE_MIGRATED',
  /** The name of a PostgreSQL template database with every migration applied. */
  postgresMigrated: 'TEST_POSTGRES_TEMPLATE',
} as const;
