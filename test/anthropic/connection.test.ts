// Connecting an org to its Anthropic organization: a replacement key must be of the
// Anthropic organization connected before, and one Anthropic organization is connected
// to one org here (else two orgs would approve the same requests).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectOrg, failingConnections } from '../../src/anthropic/connection.js';
import { anthropicActivities } from '../../src/activities/anthropic.js';
import type { ActivityDeps } from '../../src/activities/deps.js';
import { secretBox } from '../../src/secrets/secret-box.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc } from '../support/fixtures.js';
import { provision } from '../support/ledger.js';
import { startAdminApi, type AdminApiStandIn } from '../support/anthropic-admin-api.js';

const KEY = 'sk-ant-admin01-connection-test-key-0123456789';
const OTHER_KEY = 'sk-ant-admin01-connection-test-other-0123456789';
let scratch: Scratch;
let acme: AdminApiStandIn;
let other: AdminApiStandIn;
const box = secretBox(randomBytes(32));

beforeAll(async () => {
  [scratch, acme, other] = await Promise.all([migrated(scratchPglite), startAdminApi({ key: KEY, orgId: 'org_acme' }), startAdminApi({ key: OTHER_KEY, orgId: 'org_other' })]);
});
afterAll(async () => {
  await Promise.all([acme?.close(), other?.close()]);
  await scratch?.dispose();
});

describe('connecting to an Anthropic organization', () => {
  it("refuses a replacement key of another Anthropic organization, naming adminApiKey; the connection stays as it was", async () => {
    const db = scratch.db.prisma;
    const { orgId } = await provision(db, 'acme', enterpriseDoc());
    await connectOrg(db, { box, baseUrl: acme.url }, orgId, KEY, 'operator');
    await expect(connectOrg(db, { box, baseUrl: other.url }, orgId, OTHER_KEY, 'operator')).rejects.toMatchObject({ status: 409, field: 'adminApiKey' });
    expect((await db.anthropicConnection.findUniqueOrThrow({ where: { orgId } })).anthropicOrgId).toBe('org_acme');
    // A new key of the same organization replaces the old one.
    await expect(connectOrg(db, { box, baseUrl: acme.url }, orgId, KEY, 'operator')).resolves.toMatchObject({ connected: true });
  });

  it('refuses a second org connecting the same Anthropic organization', async () => {
    const db = scratch.db.prisma;
    const { orgId } = await provision(db, 'acme-two', enterpriseDoc());
    await expect(connectOrg(db, { box, baseUrl: acme.url }, orgId, KEY, 'operator')).rejects.toMatchObject({ status: 409, field: 'adminApiKey' });
    expect(await db.anthropicConnection.findUnique({ where: { orgId } })).toBeNull();
  });

  it('a worker without SECRETS_KEY records why its poll failed, so /health names the org', async () => {
    const db = scratch.db.prisma;
    const { orgId } = await provision(db, 'acme', enterpriseDoc());
    await connectOrg(db, { box, baseUrl: acme.url }, orgId, KEY, 'operator');
    const worker = anthropicActivities({ db, now: () => new Date() } as unknown as ActivityDeps);
    await expect(worker.pollAnthropic({ orgId })).rejects.toThrow(/SECRETS_KEY/);
    expect(await failingConnections(db)).toEqual([expect.objectContaining({ org: 'acme', error: expect.stringContaining('SECRETS_KEY is not set') })]);
  });
});
