// The Teams app package: manifest.json (schema 1.30, the newest that
// @microsoft/app-manifest ships; test/bot/teams/manifest-schema.test.ts validates it
// against that schema) for a bot in the personal scope, with its commands, and the
// two icons, zipped ready to sideload (Teams > Apps > Manage your apps > Upload an app).
import { ACCENT, colorIcon, outlineIcon } from './icons.js';
import { zip } from './zip.js';

export const MANIFEST_VERSION = '1.30';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PLACEHOLDER_URL = 'https://www.example.com/extra-usage';

export interface ManifestOptions {
  /** The Azure Bot's Microsoft App ID (also the Teams app id). */
  appId: string;
  /** Where the service is reached (https), for the developer links and valid domains. */
  publicUrl?: string | undefined;
  /** Semantic version of the app package (bump it to update an uploaded app). */
  version: string;
}

export const BOT_COMMANDS = [
  { title: 'usage', description: 'Your seat, included usage, extra usage and limits' },
  { title: 'requests', description: 'Requests waiting for a decision (admins)' },
  { title: 'settings', description: 'Extra usage switch, limits, balance and auto-reload (owners)' },
  { title: 'help', description: 'What this bot does' },
];

/** In a team channel (mentioning the bot): where owners' alerts go (bot/teams/channel.ts). */
export const TEAM_COMMANDS = [
  { title: 'alerts here', description: "Owners: post the organisation's alerts in this channel too" },
  { title: 'alerts off', description: 'Owners: stop posting alerts in a channel' },
];

export class ManifestError extends Error {}

export function teamsManifest(o: ManifestOptions): { manifest: Record<string, unknown>; warnings: string[] } {
  const warnings: string[] = [];
  if (!GUID.test(o.appId)) throw new ManifestError(`MICROSOFT_APP_ID must be the bot's Microsoft App ID (a GUID), got '${o.appId}'`);
  if (!/^\d+\.\d+\.\d+$/.test(o.version)) throw new ManifestError(`the package version must be like 1.2.3, got '${o.version}'`);
  let base = PLACEHOLDER_URL;
  if (o.publicUrl && o.publicUrl.startsWith('https://')) base = o.publicUrl.replace(/\/+$/, '');
  else warnings.push(`PUBLIC_URL is ${o.publicUrl ? 'not https' : 'not set'}: the manifest's developer links point at ${PLACEHOLDER_URL} (fine for sideloading)`);
  const host = new URL(base).host;
  const manifest = {
    $schema: `https://developer.microsoft.com/en-us/json-schemas/teams/v${MANIFEST_VERSION}/MicrosoftTeams.schema.json`,
    manifestVersion: MANIFEST_VERSION,
    version: o.version,
    id: o.appId,
    developer: {
      name: 'Extra usage control plane',
      websiteUrl: base,
      privacyUrl: `${base}/privacy`,
      termsOfUseUrl: `${base}/terms`,
    },
    name: { short: 'Extra usage', full: 'Extra usage for seat-based AI plans' },
    description: {
      short: 'See your usage, ask for more, approve requests and set limits.',
      full:
        'Members see their seat, included usage, extra usage and the limits that apply, and ask their admins for more when they reach the seat limit. ' +
        'Admins approve (premium seat, or extra usage with an optional monthly limit) or deny requests from a card, and get a daily digest. ' +
        'Owners turn extra usage on or off, set the organisation, seat-tier and member limits, see the prepaid balance and auto-reload, and receive cap alerts.',
    },
    icons: { color: 'color.png', outline: 'outline.png' },
    accentColor: ACCENT,
    bots: [
      {
        botId: o.appId,
        // 'team': installed in a team, the bot learns the tenant and owners can send their alerts to a channel.
        scopes: ['personal', 'team'],
        supportsFiles: false,
        isNotificationOnly: false,
        commandLists: [{ scopes: ['personal'], commands: BOT_COMMANDS }, { scopes: ['team'], commands: TEAM_COMMANDS }],
      },
    ],
    permissions: ['identity', 'messageTeamMembers'],
    validDomains: host === new URL(PLACEHOLDER_URL).host ? [] : [host],
  };
  return { manifest, warnings };
}

/** The zip to upload to Teams, and the files in it. */
export function teamsAppPackage(o: ManifestOptions): { zip: Buffer; files: Record<string, Buffer>; warnings: string[] } {
  const { manifest, warnings } = teamsManifest(o);
  const files: Record<string, Buffer> = {
    'manifest.json': Buffer.from(JSON.stringify(manifest, null, 2) + '\n'),
    'color.png': colorIcon(),
    'outline.png': outlineIcon(),
  };
  return { zip: zip(Object.entries(files).map(([name, data]) => ({ name, data }))), files, warnings };
}
