// Owners' notice choices (GET/PUT /v1/settings/notices): owners only, validated with
// the field named, kept sorted and once each, audited; and the record path writes the
// threshold crossings the owners chose, not the defaults.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, migrated, type Scratch } from '../support/databases.js';
import { enterpriseDoc, harness, HAIKU, usageOfCents, type Harness } from '../support/fixtures.js';

describe.each(BACKENDS)('notice settings on $kind', ({ open }) => {
  let scratch: Scratch;
  let h: Harness;
  let key: string;
  let orgId: string;
  beforeAll(async () => {
    scratch = await migrated(open);
    h = await harness(scratch.db.prisma);
    orgId = (await h.provision('ent', enterpriseDoc({ extraUsage: { enabled: true, scope: 'all_members', orgMonthlyCap: '10.00', tierCaps: { standard: null, premium: '10.00' } } }))).orgId;
    key = await h.issueKey('ent');
  });
  afterAll(async () => {
    await h?.close();
    await scratch?.dispose();
  });

  const as = (actor: string) => ({
    get: (url: string) => h.call('GET', url, { token: key, actor }),
    put: (url: string, body: unknown) => h.call('PUT', url, { token: key, actor, body }),
  });

  it('starts at the defaults, lets owners and admins read them and only owners change them, and audits the change', async () => {
    const owner = as('owner-1');
    const defaults = { memberCapReached: true, orgCapThresholds: [50, 80, 100], tierCapThresholds: [50, 80, 100] };
    expect((await owner.get('/v1/settings/notices')).body).toEqual(defaults);
    // One rule with the console (docs/notices.md): admins read what owners chose, members do not.
    expect((await as('admin-1').get('/v1/settings/notices')).body).toEqual(defaults);
    expect((await as('alice').get('/v1/settings/notices')).status).toBe(403);
    for (const actor of ['admin-1', 'alice']) {
      expect((await as(actor).put('/v1/settings/notices', { memberCapReached: false })).status).toBe(403);
    }
    const res = await owner.put('/v1/settings/notices', { orgCapThresholds: [100, 25, 25, 90], memberCapReached: false });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ memberCapReached: false, orgCapThresholds: [25, 90, 100], tierCapThresholds: [50, 80, 100] });
    expect((await owner.get('/v1/settings/notices')).body).toEqual(res.body);
    // The same again changes nothing and is not audited twice.
    await owner.put('/v1/settings/notices', { orgCapThresholds: [25, 90, 100] });
    const log = await owner.get('/v1/reports/audit-log');
    const entries = log.body.entries.filter((e: any) => e.action === 'notices.set');
    expect(entries.map((e: any) => [e.action, e.before, e.after])).toEqual([
      ['notices.set', { memberCapReached: true, orgCapThresholds: [50, 80, 100], tierCapThresholds: [50, 80, 100] }, { memberCapReached: false, orgCapThresholds: [25, 90, 100], tierCapThresholds: [50, 80, 100] }],
    ]);
    expect(entries[0].actor).toContain('owner-1');
  });

  it.each([
    ['a threshold of 0', { orgCapThresholds: [0] }, 'orgCapThresholds.0'],
    ['a threshold over 100', { tierCapThresholds: [50, 101] }, 'tierCapThresholds.1'],
    ['a fractional threshold', { orgCapThresholds: [12.5] }, 'orgCapThresholds.0'],
    ['a threshold as text', { orgCapThresholds: ['50'] }, 'orgCapThresholds.0'],
    ['a switch as text', { memberCapReached: 'yes' }, 'memberCapReached'],
    ['an unknown field', { balance: true }, 'balance'],
  ])('refuses %s naming the field', async (_name, body, field) => {
    const res = await as('owner-1').put('/v1/settings/notices', body);
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe(field);
  });

  it('writes the org and tier crossings the owners chose to the outbox', async () => {
    await as('owner-1').put('/v1/settings/notices', { orgCapThresholds: [25, 90], tierCapThresholds: [75] });
    const record = (cents: number, n: number) => h.call('POST', '/v1/usage/record', { token: key, body: { requestId: `n-${n}`, member: 'bob', model: HAIKU, usage: usageOfCents(cents) } });
    // Bob's premium seat includes $3; then $3 (30 %), $5 (80 %), $1.50 (95 %) of extra against $10 caps.
    for (const [i, cents] of [300, 300, 500, 150].entries()) expect((await record(cents, i)).status).toBe(200);
    const events = await scratch.db.prisma.outboxEvent.findMany({ where: { orgId, type: { in: ['org_cap_threshold', 'tier_cap_reached'] } }, orderBy: { id: 'asc' } });
    expect(events.map((e) => `${e.type}:${(e.payload as { percent: number }).percent}`)).toEqual(['org_cap_threshold:25', 'tier_cap_reached:75', 'org_cap_threshold:90']);
  });
});
