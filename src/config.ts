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
  /** Task queue of our worker. */
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('extra-usage'),
  /** Remind admins of an undecided request after this many minutes (default a day). */
  REQUEST_REMIND_AFTER_MINUTES: z.coerce.number().int().min(1).default(24 * 60),
  /** An undecided request expires after this many minutes (default a week). */
  REQUEST_EXPIRE_AFTER_MINUTES: z.coerce.number().int().min(1).default(7 * 24 * 60),
  /** Path to the `temporal` CLI; looked up on PATH when unset. */
  TEMPORAL_CLI: optionalText,
  /** Bearer token of the operator API. Unset: generated once and kept in DATA_DIR. */
  OPERATOR_TOKEN: z.string().min(16, 'OPERATOR_TOKEN must be at least 16 characters').optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** SMTP server for email notifications (digest, alerts, requests), e.g. smtp://127.0.0.1:2525. Unset: no email. */
  SMTP_URL: optionalText.refine((v) => v === undefined || /^smtps?:\/\/[^/]/.test(v), 'must be an smtp:// or smtps:// URL, e.g. smtp://127.0.0.1:2525'),
  /** Sender of every email. */
  EMAIL_FROM: z.string().trim().min(3).default('Extra usage <extra-usage@localhost>'),
  /** Where people reach this service (links in emails). Unset: emails carry no links. */
  PUBLIC_URL: z.string().trim().url('must be a URL such as https://usage.example.com').optional(),
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
