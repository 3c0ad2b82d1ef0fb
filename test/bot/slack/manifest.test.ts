// The manifest asks Slack for exactly what the app uses: the scopes it requests at
// install, the slash command, interactivity and the app_home_opened event, all on
// the endpoint the HTTP receiver serves. The committed files are templates;
// `npm run slack:manifest` fills in PUBLIC_URL and SLACK_COMMAND.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BOT_SCOPES } from '../../../bot/slack/app.js';
import { HTTP_FILE, main, renderSocketManifest, SOCKET_FILE, SOCKET_MANIFEST_URL, slackManifests, TEMPLATE_URL } from '../../../bot/slack/manifest.js';
import { DEFAULT_COMMAND } from '../../../bot/slack/settings.js';

const manifest = JSON.parse(readFileSync(new URL('../../../bot/slack/manifest.json', import.meta.url), 'utf8'));

describe('Slack app manifest', () => {
  it('matches what the app does', () => {
    expect(manifest.oauth_config.scopes.bot.sort()).toEqual([...BOT_SCOPES].sort());
    expect(manifest.features.slash_commands.map((c: { command: string }) => c.command)).toEqual([DEFAULT_COMMAND]);
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

  it('has a Socket Mode variant generated from it (npx tsx bot/slack/manifest.ts --templates), committed up to date', () => {
    const committed = readFileSync(SOCKET_MANIFEST_URL, 'utf8');
    expect(committed).toBe(renderSocketManifest());
    const socket = JSON.parse(committed);
    expect(socket.settings.socket_mode_enabled).toBe(true);
    expect(JSON.stringify(socket)).not.toContain('/slack/events');
    expect([...socket.oauth_config.scopes.bot].sort()).toEqual([...manifest.oauth_config.scopes.bot].sort());
    expect(socket.settings.event_subscriptions.bot_events).toEqual(manifest.settings.event_subscriptions.bot_events);
  });

  it('slack:manifest fills PUBLIC_URL and the command into both variants, wherever the template names them', () => {
    const { http, socket, notes } = slackManifests({ publicUrl: 'https://eu.acme.example/', command: '/extra-usage' });
    expect(notes).toEqual([]);
    for (const m of [http!, socket]) {
      const text = JSON.stringify(m);
      expect(text).not.toContain('usage.example.com');
      expect(text).not.toMatch(/[\s"(]\/usage\b/);
      expect(m.features.slash_commands!.map((c) => c.command)).toEqual(['/extra-usage']);
      expect(text).toContain('\\"/extra-usage signin\\"'); // the description names the command people type
      expect(m.oauth_config.redirect_urls).toEqual(['https://eu.acme.example/slack/oauth_redirect']);
    }
    expect(http!.settings.socket_mode_enabled).toBe(false);
    expect([http!.settings.interactivity!.request_url, http!.settings.event_subscriptions!.request_url, http!.features.slash_commands![0]!.url]).toEqual(Array(3).fill('https://eu.acme.example/slack/events'));
    expect(socket.settings.socket_mode_enabled).toBe(true);
    expect(JSON.stringify(socket)).not.toContain('/slack/events');
    // Everything else is the template's.
    expect([...(http!.oauth_config.scopes as { bot: string[] }).bot].sort()).toEqual([...manifest.oauth_config.scopes.bot].sort());
    expect(http!.settings.event_subscriptions).toEqual({ ...manifest.settings.event_subscriptions, request_url: 'https://eu.acme.example/slack/events' });
  });

  it('without an https PUBLIC_URL writes the Socket Mode manifest only, without a placeholder address, and says why', () => {
    for (const publicUrl of [undefined, 'http://127.0.0.1:3000']) {
      const { http, socket, notes } = slackManifests({ publicUrl, command: DEFAULT_COMMAND });
      expect(http).toBeUndefined();
      expect(JSON.stringify(socket)).not.toContain(TEMPLATE_URL);
      expect(socket.oauth_config.redirect_urls).toBeUndefined();
      expect(socket.features.slash_commands!.map((c) => c.command)).toEqual(['/usage']);
      expect(notes.join(' ')).toContain('PUBLIC_URL');
    }
  });

  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('npm run slack:manifest writes the files from the environment, and refuses a bad SLACK_COMMAND naming it', () => {
    const out = mkdtempSync(join(tmpdir(), 'eu-slack-manifest-'));
    dirs.push(out);
    expect(main(['--out', out], { PUBLIC_URL: 'https://eu.acme.example', SLACK_COMMAND: '/extra-usage' })).toBe(0);
    expect(readdirSync(out).sort()).toEqual([HTTP_FILE, SOCKET_FILE].sort());
    const written = JSON.parse(readFileSync(join(out, HTTP_FILE), 'utf8'));
    expect(written.features.slash_commands[0]).toMatchObject({ command: '/extra-usage', url: 'https://eu.acme.example/slack/events' });
    const bad = mkdtempSync(join(tmpdir(), 'eu-slack-manifest-'));
    dirs.push(bad);
    const errors: string[] = [];
    const error = console.error;
    console.error = (line: string) => errors.push(line);
    try {
      expect(main(['--out', bad], { SLACK_COMMAND: 'extra usage' })).toBe(1);
    } finally {
      console.error = error;
    }
    expect(errors.join('\n')).toContain('SLACK_COMMAND');
    expect(readdirSync(bad)).toEqual([]);
  });
});
