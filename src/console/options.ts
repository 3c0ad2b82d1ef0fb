// The console's settings from configuration: the public address, and the operator's
// privacy notice and terms, given as text or as a file read once at start (an
// unreadable file stops the service with a message naming the variable).
import { readFileSync } from 'node:fs';
import type { Config } from '../config.js';
import { ConfigError } from '../config.js';
import type { ConsoleOptions } from './deps.js';

type LegalConfig = Pick<Config, 'PUBLIC_URL' | 'PRIVACY_TEXT' | 'PRIVACY_FILE' | 'TERMS_TEXT' | 'TERMS_FILE'> &
  Partial<Pick<Config, 'SLACK_BOT_TOKEN' | 'SLACK_CLIENT_ID' | 'MICROSOFT_APP_ID' | 'TEAMS_ALLOW_UNAUTHENTICATED' | 'SMTP_URL' | 'SLACK_COMMAND'>>;

function textOf(text: string | undefined, file: string | undefined, variable: string): string | undefined {
  if (text) return text;
  if (!file) return undefined;
  try {
    const content = readFileSync(file, 'utf8').trim();
    if (!content) throw new Error('the file is empty');
    return content;
  } catch (err) {
    throw new ConfigError(`Invalid configuration:\n  ${variable}: cannot read ${file} (${(err as Error).message})`);
  }
}

export function consoleOptionsFromConfig(config: LegalConfig): ConsoleOptions {
  const privacyText = textOf(config.PRIVACY_TEXT, config.PRIVACY_FILE, 'PRIVACY_FILE');
  const termsText = textOf(config.TERMS_TEXT, config.TERMS_FILE, 'TERMS_FILE');
  return {
    ...(config.PUBLIC_URL ? { publicUrl: config.PUBLIC_URL } : {}),
    ...(privacyText ? { privacyText } : {}),
    ...(termsText ? { termsText } : {}),
    // The sign-in page names only the ways to get a link that this service has.
    signInWays: {
      slack: !!(config.SLACK_BOT_TOKEN || config.SLACK_CLIENT_ID),
      teams: !!(config.MICROSOFT_APP_ID || config.TEAMS_ALLOW_UNAUTHENTICATED),
      email: !!config.SMTP_URL,
    },
    ...(config.SLACK_COMMAND ? { slackCommand: config.SLACK_COMMAND } : {}),
  };
}
