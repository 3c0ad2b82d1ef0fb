// `npm run teams:package [-- --out DIR]`: writes the Teams app package to
// DIR/extra-usage-teams-app.zip (default DIR = dist), plus its unzipped files in
// DIR/teams-app/. Reads MICROSOFT_APP_ID (required) and PUBLIC_URL from the environment.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, loadConfig } from '../../src/config.js';
import { ManifestError, teamsAppPackage } from './manifest.js';

export const PACKAGE_FILE = 'extra-usage-teams-app.zip';

export function buildTeamsPackage(opts: { appId: string; publicUrl?: string | undefined; outDir: string; version?: string }): { zipPath: string; warnings: string[] } {
  const version = opts.version ?? (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  const pkg = teamsAppPackage({ appId: opts.appId, publicUrl: opts.publicUrl, version });
  const outDir = resolve(opts.outDir);
  mkdirSync(join(outDir, 'teams-app'), { recursive: true });
  for (const [name, data] of Object.entries(pkg.files)) writeFileSync(join(outDir, 'teams-app', name), data);
  const zipPath = join(outDir, PACKAGE_FILE);
  writeFileSync(zipPath, pkg.zip);
  return { zipPath, warnings: pkg.warnings };
}

export function main(argv: string[], env: NodeJS.ProcessEnv): number {
  const outAt = argv.indexOf('--out');
  const outDir = outAt >= 0 && argv[outAt + 1] ? argv[outAt + 1]! : 'dist';
  try {
    const config = loadConfig(env);
    if (!config.MICROSOFT_APP_ID) {
      console.error('teams:package: MICROSOFT_APP_ID is required: the Microsoft App ID of your Azure Bot (see docs/teams.md).');
      return 1;
    }
    const { zipPath, warnings } = buildTeamsPackage({ appId: config.MICROSOFT_APP_ID, publicUrl: config.PUBLIC_URL, outDir });
    for (const w of warnings) console.warn(`teams:package: ${w}`);
    console.log(`teams:package: wrote ${zipPath}; upload it in Teams (Apps > Manage your apps > Upload an app).`);
    return 0;
  } catch (err) {
    if (err instanceof ConfigError || err instanceof ManifestError) {
      console.error(`teams:package: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2), process.env);
}
