// The Teams manifest validated against Microsoft's official JSON schema, as shipped
// by @microsoft/app-manifest (no network): the version we generate is the newest
// that package ships, so a manifest Teams would refuse on upload fails here first.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { AppManifestUtils } from '@microsoft/app-manifest';
import { describe, expect, it } from 'vitest';
import { MANIFEST_VERSION, teamsManifest } from '../../../bot/teams/manifest.js';

const schemas = join(dirname(createRequire(import.meta.url).resolve('@microsoft/app-manifest/package.json')), 'build', 'json-schemas', 'teams');
const schemaOf = (version: string) => JSON.parse(readFileSync(join(schemas, `v${version}`, 'MicrosoftTeams.schema.json'), 'utf8'));
const APP_ID = '6f1c0a52-1c8f-4a39-9a52-3b0e0f3c7d11';

// AppManifestUtils is typed per manifest version; the schema check itself takes any object.
const validate = (manifest: Record<string, unknown>, schema: unknown) => AppManifestUtils.validateAgainstSchema(manifest as never, schema as never);

describe('Teams manifest against the official schema', () => {
  it('is generated at the newest manifest version the package ships', () => {
    const released = readdirSync(schemas).filter((v) => /^v\d+\.\d+$/.test(v)).map((v) => v.slice(1));
    const newest = released.sort((a, b) => { const [am, an] = a.split('.').map(Number); const [bm, bn] = b.split('.').map(Number); return am! - bm! || an! - bn!; }).at(-1);
    expect(MANIFEST_VERSION).toBe(newest);
  });

  it.each([
    ['with an https PUBLIC_URL', 'https://usage.example.com/'],
    ['without a PUBLIC_URL (sideloading)', undefined],
  ])('validates %s', async (_, publicUrl) => {
    const { manifest } = teamsManifest({ appId: APP_ID, publicUrl, version: '1.2.3' });
    expect(manifest.$schema).toBe(`https://developer.microsoft.com/en-us/json-schemas/teams/v${MANIFEST_VERSION}/MicrosoftTeams.schema.json`);
    expect(await validate(manifest, schemaOf(MANIFEST_VERSION))).toEqual([]);
  });

  it('would catch a manifest Teams refuses (the check is not vacuous)', async () => {
    const { manifest } = teamsManifest({ appId: APP_ID, publicUrl: 'https://usage.example.com', version: '1.2.3' });
    const broken = { ...manifest, name: { short: 'x'.repeat(31), full: 'Extra usage' }, accentColor: 'blue' };
    const failures = await validate(broken, schemaOf(MANIFEST_VERSION));
    expect(failures.join('\n')).toMatch(/name\/short/);
    expect(failures.join('\n')).toMatch(/accentColor/);
  });
});
