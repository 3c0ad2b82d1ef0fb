// How the Slack app runs, from the environment: nothing set = no Slack; one
// workspace or OAuth; Socket Mode or HTTP; half-set configurations are refused
// with the variables named.
import { describe, expect, it } from 'vitest';
import { slackSettings } from '../../../bot/slack/settings.js';
import { ConfigError, loadConfig } from '../../../src/config.js';

const settingsOf = (env: Record<string, string>) => slackSettings(loadConfig(env));

describe('Slack settings', () => {
  it('is off when no Slack variable is set', () => {
    expect(settingsOf({})).toBeNull();
  });

  it('runs one workspace over HTTP with signature verification', () => {
    expect(settingsOf({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_ORG_SLUG: 'acme', SLACK_SIGNING_SECRET: 's' })).toMatchObject({
      transport: { kind: 'http', signingSecret: 's' },
      workspaces: { kind: 'single', botToken: 'xoxb-1', orgSlug: 'acme' },
      port: 3001,
    });
  });

  it('uses Socket Mode when SLACK_APP_TOKEN is set (no signing secret needed)', () => {
    expect(settingsOf({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_ORG_SLUG: 'acme', SLACK_APP_TOKEN: 'xapp-1' })?.transport).toEqual({ kind: 'socket', appToken: 'xapp-1' });
  });

  it('serves many workspaces through OAuth', () => {
    expect(settingsOf({ SLACK_CLIENT_ID: 'id', SLACK_CLIENT_SECRET: 'secret', SLACK_STATE_SECRET: 'a-state-secret-long-enough', SLACK_SIGNING_SECRET: 's', SLACK_PORT: '4000' })).toMatchObject({
      workspaces: { kind: 'oauth', clientId: 'id' },
      port: 4000,
    });
  });

  it('names every missing or conflicting variable', () => {
    expect(() => settingsOf({ SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow(ConfigError);
    expect(() => settingsOf({ SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow(/SLACK_ORG_SLUG[\s\S]*SLACK_SIGNING_SECRET/);
    expect(() => settingsOf({ SLACK_CLIENT_ID: 'id', SLACK_SIGNING_SECRET: 's' })).toThrow(/SLACK_CLIENT_SECRET[\s\S]*SLACK_STATE_SECRET/);
    expect(() => settingsOf({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_CLIENT_ID: 'id', SLACK_CLIENT_SECRET: 'x', SLACK_STATE_SECRET: 'a-state-secret-long-enough', SLACK_SIGNING_SECRET: 's' })).toThrow(/not both/);
    expect(() => settingsOf({ SLACK_SIGNING_SECRET: 's' })).toThrow(/neither SLACK_BOT_TOKEN/);
    expect(() => loadConfig({ SLACK_BOT_TOKEN: 'xapp-wrong' })).toThrow(/SLACK_BOT_TOKEN: must be a bot token/);
    expect(() => loadConfig({ SLACK_APP_TOKEN: 'xoxb-wrong' })).toThrow(/SLACK_APP_TOKEN: must be an app-level token/);
  });
});
