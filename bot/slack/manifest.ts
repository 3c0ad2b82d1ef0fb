// The Slack app manifests, generated, never edited by hand.
//  - bot/slack/manifest.json is the template: the HTTP app, with the placeholder address
//    https://usage.example.com and the default command /usage.
//  - bot/slack/manifest.socket.json is its Socket Mode variant (socket_mode_enabled, no
//    request URLs: Slack delivers everything over the socket), generated from it:
//      npx tsx bot/slack/manifest.ts --templates
//    test/bot/slack/manifest.test.ts fails when the committed file is out of date.
//  - `npm run slack:manifest [-- --out DIR]` writes the manifests to paste into Slack,
//    DIR/slack-manifest.json (HTTP, needs PUBLIC_URL) and DIR/slack-manifest.socket.json
//    (Socket Mode), with PUBLIC_URL in place of the placeholder and SLACK_COMMAND in
//    place of /usage: the same settings the running app reads.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConfigError, loadConfig } from '../../src/config.js';
import { DEFAULT_COMMAND } from './settings.js';

export const MANIFEST_URL = new URL('./manifest.json', import.meta.url);
export const SOCKET_MANIFEST_URL = new URL('./manifest.socket.json', import.meta.url);
/** Where the templates say Slack reaches the service; `slack:manifest` puts PUBLIC_URL there. */
export const TEMPLATE_URL = 'https://usage.example.com';
export const HTTP_FILE = 'slack-manifest.json';
export const SOCKET_FILE = 'slack-manifest.socket.json';

type Manifest = {
  features: { slash_commands?: { command: string; url?: string }[] };
  oauth_config: { redirect_urls?: string[] } & Record<string, unknown>;
  settings: { socket_mode_enabled: boolean; event_subscriptions?: { request_url?: string }; interactivity?: { request_url?: string } };
} & Record<string, unknown>;

const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
export const template = (): Manifest => JSON.parse(readFileSync(MANIFEST_URL, 'utf8')) as Manifest;

export function socketModeManifest(http: Manifest): Manifest {
  const m = copy(http);
  m.settings.socket_mode_enabled = true;
  delete m.settings.event_subscriptions?.request_url;
  delete m.settings.interactivity?.request_url;
  for (const c of m.features.slash_commands ?? []) delete c.url;
  return m;
}

export const renderSocketManifest = () => `${JSON.stringify(socketModeManifest(template()), null, 2)}\n`;

/**
 * The template with the service's address and the command in place: every URL under
 * TEMPLATE_URL moves under `publicUrl`, and the default command, as a command and where
 * the descriptions name it, becomes `command`. Without `publicUrl` the URLs are dropped
 * (Socket Mode needs none unless the OAuth install is on, which needs PUBLIC_URL).
 */
export function filledManifest(t: Manifest, opts: { publicUrl?: string | undefined; command: string }): Manifest {
  const base = opts.publicUrl?.replace(/\/+$/, '');
  const named = new RegExp(`(^|[\\s"'(\`])${DEFAULT_COMMAND.replace('/', '\\/')}(?![\\w-])`, 'g');
  const fill = (v: unknown): unknown => {
    if (typeof v === 'string') return v.startsWith(TEMPLATE_URL) && base ? base + v.slice(TEMPLATE_URL.length) : v.replace(named, `$1${opts.command}`);
    if (Array.isArray(v)) return v.map(fill);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x)]));
    return v;
  };
  const m = fill(t) as Manifest;
  if (!base) delete m.oauth_config.redirect_urls;
  return m;
}

export class ManifestSettingsError extends Error {}

/** The manifests `slack:manifest` writes: the HTTP one only with an https PUBLIC_URL (Slack sends to https only). */
export function slackManifests(opts: { publicUrl?: string | undefined; command: string }): { http?: Manifest; socket: Manifest; notes: string[] } {
  const notes: string[] = [];
  const https = opts.publicUrl?.startsWith('https://') ? opts.publicUrl : undefined;
  if (!opts.publicUrl) notes.push(`PUBLIC_URL is not set: wrote the Socket Mode manifest only. For the HTTP app set PUBLIC_URL to the https address where Slack reaches the service (e.g. PUBLIC_URL=https://usage.example.com npm run slack:manifest).`);
  else if (!https) notes.push(`PUBLIC_URL (${opts.publicUrl}) is not https: Slack only sends to https addresses, so wrote the Socket Mode manifest only.`);
  const socket = filledManifest(socketModeManifest(template()), { publicUrl: https, command: opts.command });
  return { ...(https ? { http: filledManifest(template(), { publicUrl: https, command: opts.command }) } : {}), socket, notes };
}

export function main(argv: string[], env: NodeJS.ProcessEnv): number {
  if (argv.includes('--templates')) {
    writeFileSync(SOCKET_MANIFEST_URL, renderSocketManifest());
    console.log(`slack:manifest: wrote ${fileURLToPath(SOCKET_MANIFEST_URL)}`);
    return 0;
  }
  const outAt = argv.indexOf('--out');
  const outDir = resolve(outAt >= 0 && argv[outAt + 1] ? argv[outAt + 1]! : 'dist');
  let config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`slack:manifest: ${err.message}`);
      return 1;
    }
    throw err;
  }
  const { http, socket, notes } = slackManifests({ publicUrl: config.PUBLIC_URL, command: config.SLACK_COMMAND });
  mkdirSync(outDir, { recursive: true });
  const write = (file: string, m: Manifest) => {
    writeFileSync(join(outDir, file), `${JSON.stringify(m, null, 2)}\n`);
    return join(outDir, file);
  };
  const written = [...(http ? [`${write(HTTP_FILE, http)} (HTTP: SLACK_SIGNING_SECRET)`] : []), `${write(SOCKET_FILE, socket)} (Socket Mode: SLACK_APP_TOKEN)`];
  for (const n of notes) console.warn(`slack:manifest: ${n}`);
  console.log(`slack:manifest: command ${config.SLACK_COMMAND}${config.SLACK_COMMAND === DEFAULT_COMMAND ? ' (SLACK_COMMAND to change it)' : ''}; wrote\n  ${written.join('\n  ')}\nPaste one at https://api.slack.com/apps > Create New App > From a manifest (docs/slack.md).`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2), process.env);
}
