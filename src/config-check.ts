// Every setting that depends on another (Slack, Teams, Stripe, the console's texts, the
// temporal CLI path), checked before anything starts: no database opened, no migration,
// no dev server. Light imports only, so `npm start` with a bad setting stops within a
// second with every problem named by its variable. Each part keeps its own check for
// callers that build it directly; this one runs them all up front and reports them together.
import { existsSync } from 'node:fs';
import { ConfigError, type Config } from './config.js';
import { consoleOptionsFromConfig } from './console/options.js';
import { slackSettings } from '../bot/slack/settings.js';
import { teamsSettings, TeamsConfigError } from '../bot/teams/settings.js';

const HEADER = 'Invalid configuration:';

/** Throws one ConfigError listing every setting at fault (`  VARIABLE: why`). */
export function checkConfig(config: Config): void {
  const problems: string[] = [];
  const run = (check: () => unknown) => {
    try {
      check();
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...linesOf(err.message));
      // Teams messages start with the variable's name.
      else if (err instanceof TeamsConfigError) problems.push(`  ${err.message.replace(/^([A-Z_]+) /, '$1: ')}`);
      else throw err;
    }
  };
  run(() => slackSettings(config));
  run(() => teamsSettings(config));
  run(() => consoleOptionsFromConfig(config));
  if (config.PAYMENTS_PROVIDER === 'stripe') {
    // The same rule as src/payments/from-config.ts, without loading the Stripe SDK.
    if (!config.STRIPE_SECRET_KEY) problems.push('  STRIPE_SECRET_KEY: required when PAYMENTS_PROVIDER=stripe');
    if (!config.STRIPE_WEBHOOK_SECRET) problems.push('  STRIPE_WEBHOOK_SECRET: required when PAYMENTS_PROVIDER=stripe (the signing secret of the webhook endpoint)');
    if (!config.PUBLIC_URL) problems.push('  PUBLIC_URL: required when PAYMENTS_PROVIDER=stripe (Checkout sends the buyer back there)');
  }
  if (config.OPERATOR_EMAIL && !config.SMTP_URL) problems.push('  OPERATOR_EMAIL: set, but SMTP_URL is not: no email could be sent (set SMTP_URL, or unset OPERATOR_EMAIL for the log only)');
  if (config.TEMPORAL_CLI && !config.TEMPORAL_ADDRESS && !existsSync(config.TEMPORAL_CLI)) {
    problems.push(`  TEMPORAL_CLI: no file at ${config.TEMPORAL_CLI}`);
  }
  if (problems.length) throw new ConfigError(`${HEADER}\n${problems.join('\n')}`);
}

function linesOf(message: string): string[] {
  return message.split('\n').filter((l) => l.trim() && l.trim() !== HEADER).map((l) => (l.startsWith('  ') ? l : `  ${l}`));
}
