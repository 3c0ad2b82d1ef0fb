// The sideloadable Teams app package: manifest.json (1.30) naming the bot, the two
// icons at the required sizes, zipped; built by `npm run teams:package`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { BOT_COMMANDS, ManifestError, TEAM_COMMANDS, teamsManifest } from '../../../bot/teams/manifest.js';
import { buildTeamsPackage, main, PACKAGE_FILE } from '../../../bot/teams/package.js';

const APP_ID = '6f1c0a52-1c8f-4a39-9a52-3b0e0f3c7d11';
const dir = mkdtempSync(join(tmpdir(), 'teams-package-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The entries of a zip, read back from its central directory (independent of the writer). */
function unzip(buf: Buffer): Record<string, Buffer> {
  const end = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = buf.readUInt16LE(end + 10);
  let p = buf.readUInt32LE(end + 16);
  const out: Record<string, Buffer> = {};
  for (let i = 0; i < count; i++) {
    expect(buf.readUInt32LE(p)).toBe(0x02014b50);
    const method = buf.readUInt16LE(p + 10);
    const size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    const dataStart = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(dataStart, dataStart + size);
    out[name] = method === 8 ? inflateRawSync(raw) : raw;
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

function pngSize(png: Buffer) {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20), colorType: png[25] };
}

describe('Teams app package', () => {
  it('zips manifest.json with the bot and its commands, color.png 192×192 and outline.png 32×32', () => {
    const { zipPath, warnings } = buildTeamsPackage({ appId: APP_ID, publicUrl: 'https://usage.example.com/', outDir: dir, version: '0.1.0' });
    expect(zipPath).toBe(join(dir, PACKAGE_FILE));
    expect(warnings).toEqual([]);
    const files = unzip(readFileSync(zipPath));
    expect(Object.keys(files).sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    const manifest = JSON.parse(files['manifest.json']!.toString('utf8'));
    expect(manifest).toMatchObject({
      $schema: 'https://developer.microsoft.com/en-us/json-schemas/teams/v1.30/MicrosoftTeams.schema.json',
      manifestVersion: '1.30',
      version: '0.1.0',
      id: APP_ID,
      developer: { websiteUrl: 'https://usage.example.com', privacyUrl: 'https://usage.example.com/privacy', termsOfUseUrl: 'https://usage.example.com/terms' },
      icons: { color: 'color.png', outline: 'outline.png' },
      bots: [{ botId: APP_ID, scopes: ['personal', 'team'], commandLists: [{ scopes: ['personal'], commands: BOT_COMMANDS }, { scopes: ['team'], commands: TEAM_COMMANDS }] }],
      validDomains: ['usage.example.com'],
    });
    // Store limits of the manifest schema.
    expect(manifest.name.short.length).toBeLessThanOrEqual(30);
    expect(manifest.name.full.length).toBeLessThanOrEqual(100);
    expect(manifest.description.short.length).toBeLessThanOrEqual(80);
    expect(manifest.description.full.length).toBeLessThanOrEqual(4000);
    expect(manifest.accentColor).toMatch(/^#[0-9A-F]{6}$/i);
    for (const c of manifest.bots[0].commandLists.flatMap((l: { commands: { title: string; description: string }[] }) => l.commands)) {
      expect(c.title.length).toBeLessThanOrEqual(32);
      expect(c.description.length).toBeLessThanOrEqual(128);
    }
    expect(pngSize(files['color.png']!)).toEqual({ width: 192, height: 192, colorType: 6 });
    expect(pngSize(files['outline.png']!)).toEqual({ width: 32, height: 32, colorType: 6 });
    // The same files are left unzipped beside it, and the zip is readable by another implementation.
    expect(readFileSync(join(dir, 'teams-app', 'manifest.json'))).toEqual(files['manifest.json']);
    const listed = execFileSync('python3', ['-c', 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(",".join(z.namelist()))', zipPath]).toString().trim();
    expect(listed).toBe('manifest.json,color.png,outline.png');
  });

  it('refuses an app id that is not a GUID, and warns without an https PUBLIC_URL', () => {
    expect(() => teamsManifest({ appId: 'my-bot', version: '1.0.0' })).toThrow(ManifestError);
    expect(teamsManifest({ appId: APP_ID, version: '1.0.0', publicUrl: 'http://127.0.0.1:3000' }).warnings[0]).toMatch(/not https/);
  });

  it('the npm script\'s entry point needs MICROSOFT_APP_ID', () => {
    const errors: string[] = [];
    const error = console.error;
    console.error = (line: string) => errors.push(line);
    try {
      expect(main(['--out', dir], {})).toBe(1);
    } finally {
      console.error = error;
    }
    expect(errors.join('\n')).toContain('MICROSOFT_APP_ID is required');
  });
});
