// `npm run prices:import -- <file> [--dry-run] [--effective-from <ISO instant>]`: imports
// a model map in LiteLLM's format (its Anthropic entries) into the price book of the
// database the settings name (DATABASE_URL, else the embedded PGlite in DATA_DIR: stop
// the service first, PGlite takes one process at a time; or use POST
// /v1/operator/prices/import). Prints what changed (a dry run: what would change); a
// bad file exits non-zero naming the entry, and nothing is imported.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.js';

const USAGE = 'usage: npm run prices:import -- <model map file> [--dry-run] [--effective-from 2026-12-08T00:00:00Z]';

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ options: { 'dry-run': { type: 'boolean' }, 'effective-from': { type: 'string' }, help: { type: 'boolean' } }, allowPositionals: true });
  if (values.help || positionals.length !== 1) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  let effectiveFrom: Date | undefined;
  if (values['effective-from'] !== undefined) {
    effectiveFrom = new Date(values['effective-from']);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(values['effective-from']) || Number.isNaN(effectiveFrom.getTime())) {
      console.error(`--effective-from: '${values['effective-from']}' is not an ISO instant (e.g. 2026-12-08T00:00:00Z)`);
      return 2;
    }
  }
  let text: string;
  try {
    text = readFileSync(positionals[0]!, 'utf8');
  } catch (err) {
    console.error(`${positionals[0]}: ${(err as Error).message}`);
    return 2;
  }
  const config = loadConfig();
  const { openDatabase } = await import('./db/client.js');
  const { applyMigrations } = await import('./db/migrate.js');
  const { importPriceMap } = await import('./ledger/metering/price-import.js');
  const { LedgerError } = await import('./ledger/errors.js');
  const database = await openDatabase({ url: config.DATABASE_URL, pgliteDir: join(resolve(config.DATA_DIR), 'pglite'), transactionPooler: config.DATABASE_POOLER === 'transaction' });
  try {
    await applyMigrations(database.prisma);
    const report = await importPriceMap(database.prisma, text, { actor: 'operator (npm run prices:import)', dryRun: values['dry-run'] ?? false, ...(effectiveFrom ? { effectiveFrom } : {}) });
    console.log(JSON.stringify(report, null, 2));
    return 0;
  } catch (err) {
    if (err instanceof LedgerError) {
      console.error(`${err.field ? `${err.field}: ` : ''}${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    await database.close();
  }
}

main().then((code) => process.exit(code), (err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
