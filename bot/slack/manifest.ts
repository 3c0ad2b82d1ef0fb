// The Socket Mode variant of the app manifest, generated from bot/slack/manifest.json
// (never edited by hand): the same app with socket_mode_enabled and no request URLs
// (Slack delivers everything over the socket). Regenerate after changing the manifest:
//   npx tsx bot/slack/manifest.ts        (writes bot/slack/manifest.socket.json)
// test/bot/slack/manifest.test.ts fails when the committed file is out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const MANIFEST_URL = new URL('./manifest.json', import.meta.url);
export const SOCKET_MANIFEST_URL = new URL('./manifest.socket.json', import.meta.url);

type Manifest = {
  features: { slash_commands?: { url?: string }[] };
  settings: { socket_mode_enabled: boolean; event_subscriptions?: { request_url?: string }; interactivity?: { request_url?: string } };
} & Record<string, unknown>;

export function socketModeManifest(http: Manifest): Manifest {
  const m = JSON.parse(JSON.stringify(http)) as Manifest;
  m.settings.socket_mode_enabled = true;
  delete m.settings.event_subscriptions?.request_url;
  delete m.settings.interactivity?.request_url;
  for (const c of m.features.slash_commands ?? []) delete c.url;
  return m;
}

export const renderSocketManifest = () => `${JSON.stringify(socketModeManifest(JSON.parse(readFileSync(MANIFEST_URL, 'utf8'))), null, 2)}\n`;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(SOCKET_MANIFEST_URL, renderSocketManifest());
  console.log(`wrote ${fileURLToPath(SOCKET_MANIFEST_URL)}`);
}
