// "Continue on extra usage when my seat's included usage runs out" over HTTP, on PGlite
// and on the PostgreSQL server: the owners' default, a member's own choice (for
// themselves only), authorize (check mode and reservations) stopping a member who chose
// not to continue at the seat limit with the one wording, and each change audited.
// Also: a member stopped by a monthly limit reads that their included usage comes back
// before the month's end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, migrated, type Scratch } from '../support/databases.js';
import { enterpriseDoc, harness, HAIKU, usageOfCents, type Harness } from '../support/fixtures.js';

describe.each(BACKENDS)('continue on extra usage on $kind', ({ kind, open }) => {
  let scratch: Scratch;
  let h: Harness;
  let n = 0;

  beforeAll(async () => {
    scratch = await migrated(open);
    h = await harness(scratch.db.prisma, new Date('2026-12-07T10:00:00Z'));
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await scratch?.dispose();
  });

  async function org(over: Parameters<typeof enterpriseDoc>[0] = {}) {
    const slug = `continue-${kind}-${++n}`;
    await h.provision(slug, enterpriseDoc(over));
    const key = await h.issueKey(slug);
    const orgId = (await scratch.db.prisma.organization.findUniqueOrThrow({ where: { slug } })).id;
    const as = (actor: string) => ({
      get: (url: string) => h.call('GET', url, { token: key, actor }),
      put: (url: string, body: unknown) => h.call('PUT', url, { token: key, actor, body }),
    });
    const use = async (ref: string, cents: number) => {
      const res = await h.call('POST', '/v1/usage/record', { token: key, body: { requestId: `use-${ref}-${++n}`, member: ref, model: HAIKU, usage: usageOfCents(cents) } });
      expect(res.status).toBe(200);
      return res.body;
    };
    const authorize = async (ref: string, extra: Record<string, unknown> = {}) => (await h.call('POST', '/v1/usage/authorize', { token: key, body: { member: ref, model: HAIKU, ...extra } })).body;
    const audits = (action: string) => scratch.db.prisma.auditEntry.findMany({ where: { orgId, action }, orderBy: { id: 'asc' } });
    return { orgId, as, use, authorize, audits };
  }

  it('a member who chose not to continue stops at the seat limit, with words and the one step; choosing again lets them on at once', async () => {
    const o = await org();
    expect((await o.as('alice').get('/v1/me/continue-on-extra-usage')).body).toEqual({ enabled: true, setBy: 'org_default', orgDefault: true, extraUsageAvailable: true });

    const off = await o.as('alice').put('/v1/me/continue-on-extra-usage', { enabled: false });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ enabled: false, setBy: 'member', orgDefault: true });

    // Within the seat's included usage the choice changes nothing.
    expect(await o.authorize('alice')).toMatchObject({ allowed: true, mode: 'included' });
    await o.use('alice', 150); // past the $1.00 allowance
    const refused = await o.authorize('alice');
    expect(refused).toMatchObject({ allowed: false, reason: 'continue_on_extra_usage_off', canRequestExtraUsage: false });
    expect(refused.resetsAt).not.toBeNull();
    expect(refused.message).toMatch(/^You have used the usage included in your seat, and you chose not to continue on extra usage; it lifts \d+ Dec 2026, \d\d:\d\d \(Europe\/Paris\)\. To go on now, choose "Continue on extra usage" \(billed at standard API rates\)/);
    expect(refused.message).toContain('/me');

    // What the request ran past the allowance is not billed as extra: they chose to stop.
    const after = await o.use('alice', 10);
    expect(after.extra).toBe('0.00');

    const on = await o.as('alice').put('/v1/me/continue-on-extra-usage', { enabled: true });
    expect(on.body).toMatchObject({ enabled: true, setBy: 'member' });
    expect(await o.authorize('alice')).toMatchObject({ allowed: true, mode: 'extra' });

    const entries = await o.audits('continue.member.set');
    expect(entries.map((e) => [e.actor.includes('(alice)'), e.subject.startsWith('member:'), e.before, e.after])).toEqual([
      [true, true, { enabled: true, setBy: 'org_default' }, { enabled: false, setBy: 'member' }],
      [true, true, { enabled: false, setBy: 'member' }, { enabled: true, setBy: 'member' }],
    ]);
  });

  it('reservation mode honours the choice too', async () => {
    const o = await org({ extraUsage: { ...enterpriseDoc().extraUsage!, enforcement: 'reserve' } });
    await o.as('bob').put('/v1/me/continue-on-extra-usage', { enabled: false });
    await o.use('bob', 350); // past the premium $3.00 allowance
    const refused = await o.authorize('bob', { requestId: `r-${++n}`, estimate: { input_tokens: 100, max_tokens: 1000 } });
    expect(refused).toMatchObject({ allowed: false, reason: 'continue_on_extra_usage_off' });
    await o.as('bob').put('/v1/me/continue-on-extra-usage', { enabled: true });
    expect(await o.authorize('bob', { requestId: `r-${++n}`, estimate: { input_tokens: 100, max_tokens: 1000 } })).toMatchObject({ allowed: true, mode: 'extra' });
  });

  it('owners choose the default; members without a choice follow it, a member\'s own choice stays; only owners may change it', async () => {
    const o = await org();
    const denied = await o.as('alice').put('/v1/settings/continue-on-extra-usage', { enabled: false });
    expect(denied.status).toBe(403);
    expect(await o.audits('continue.default.set')).toEqual([]);

    await o.as('bob').put('/v1/me/continue-on-extra-usage', { enabled: true });
    const set = await o.as('owner-1').put('/v1/settings/continue-on-extra-usage', { enabled: false });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ orgDefault: false });
    expect((await o.as('alice').get('/v1/me/continue-on-extra-usage')).body).toEqual({ enabled: false, setBy: 'org_default', orgDefault: false, extraUsageAvailable: true });
    expect((await o.as('bob').get('/v1/me/continue-on-extra-usage')).body).toMatchObject({ enabled: true, setBy: 'member' });

    await o.use('alice', 150);
    expect(await o.authorize('alice')).toMatchObject({ allowed: false, reason: 'continue_on_extra_usage_off' });
    await o.use('bob', 350);
    expect(await o.authorize('bob')).toMatchObject({ allowed: true, mode: 'extra' });

    const [entry] = await o.audits('continue.default.set');
    expect(entry).toMatchObject({ subject: 'org', before: { enabled: true }, after: { enabled: false } });
    expect(entry!.actor).toContain('(owner-1)');
  });

  it('bad input is a 400 naming the field, nothing changed', async () => {
    const o = await org();
    const bad = await o.as('alice').put('/v1/me/continue-on-extra-usage', { enabled: 'nope' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('enabled');
    expect((await o.as('alice').get('/v1/me/continue-on-extra-usage')).body).toMatchObject({ setBy: 'org_default' });
    expect(await o.audits('continue.member.set')).toEqual([]);
  });

  it('a member stopped by their monthly limit reads that their included usage comes back before the month ends', async () => {
    const o = await org();
    await o.use('alice', 100 + 5_000); // the $1.00 allowance, then past the $50.00 cap
    const refused = await o.authorize('alice');
    expect(refused).toMatchObject({ allowed: false, reason: 'member_cap_reached' });
    expect(refused.message).toMatch(/it lifts 1 Jan 2027, 00:00 \(Europe\/Paris\); your included usage comes back 7 Dec 2026, 16:00 \(Europe\/Paris\)\./);
  });
});
