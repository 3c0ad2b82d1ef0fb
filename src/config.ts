// The service's whole configuration, read once from the environment and validated.
import { z } from 'zod';

const optionalText = z.string().trim().min(1).optional();

export const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  /** Folder for the embedded database, the dev server's state and generated secrets. */
  DATA_DIR: z.string().default('./data'),
  /** A PostgreSQL server (production). Unset: embedded PGlite in DATA_DIR/pglite. */
  DATABASE_URL: optionalText,
  /** A Temporal frontend (host:port). Unset: a local dev server is started. */
  TEMPORAL_ADDRESS: optionalText,
  TEMPORAL_NAMESPACE: z.string().default('default'),
  /** Path to the `temporal` CLI; looked up on PATH when unset. */
  TEMPORAL_CLI: optionalText,
  /** Bearer token of the operator API. Unset: generated once and kept in DATA_DIR. */
  OPERATOR_TOKEN: z.string().min(16, 'OPERATOR_TOKEN must be at least 16 characters').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
