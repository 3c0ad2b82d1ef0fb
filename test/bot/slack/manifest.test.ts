// The manifest asks Slack for exactly what the app uses: the scopes it requests at
// install, the /usage command, interactivity and the app_home_opened event, all on
// the endpoint the HTTP receiver serves.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BOT_SCOPES } from '../../../bot/slack/app.js';
import { USAGE_COMMAND } from '../../../bot/slack/listeners/commands/index.js';
import { renderSocketManifest, SOCKET_MANIFEST_URL } from '../../../bot/slack/manifest.js';

const manifest = JSON.parse(readFileSync(new URL('../../../bot/slack/manifest.json', import.meta.url), 'utf8'));

describe('Slack app manifest', () => {
  it('matches what the app does', () => {
    expect(manifest.oauth_config.scopes.bot.sort()).toEqual([...BOT_SCOPES].sort());
    expect(manifest.features.slash_commands.map((c: { command: string }) => c.command)).toEqual([USAGE_COMMAND]);
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(['app_home_opened', 'app_uninstalled', 'tokens_revoked']);
    expect(manifest.features.slash_commands[0].usage_hint).toBe('[signin]');
    expect(manifest.settings.org_deploy_enabled).toBe(true); // Enterprise Grid: installable org-wide
    for (const url of [manifest.settings.interactivity.request_url, manifest.settings.event_subscriptions.request_url, manifest.features.slash_commands[0].url]) {
      expect(new URL(url).pathname).toBe('/slack/events');
    }
    expect(new URL(manifest.oauth_config.redirect_urls[0]).pathname).toBe('/slack/oauth_redirect');
  });

  it('has a Socket Mode variant generated from it (npx tsx bot/slack/manifest.ts), committed up to date', () => {
    const committed = readFileSync(SOCKET_MANIFEST_URL, 'utf8');
    expect(committed).toBe(renderSocketManifest());
    const socket = JSON.parse(committed);
    expect(socket.settings.socket_mode_enabled).toBe(true);
    expect(JSON.stringify(socket)).not.toContain('/slack/events');
    expect([...socket.oauth_config.scopes.bot].sort()).toEqual([...manifest.oauth_config.scopes.bot].sort());
    expect(socket.settings.event_subscriptions.bot_events).toEqual(manifest.settings.event_subscriptions.bot_events);
  });
});
