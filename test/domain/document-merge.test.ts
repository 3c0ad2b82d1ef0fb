// A re-sent org document applies only what it changes since the document applied last
// time; what it says as before, or leaves out, stays as owners and approvals left it.
import { describe, expect, it } from 'vitest';
import { documentPatch, sameJson } from '../../src/domain/document-merge.js';

type Doc = {
  name: string;
  plan: 'team' | 'enterprise';
  timezone: string;
  digestHour?: number;
  teamsTenantId?: string | null;
  seatTiers: { standard: { includedAllowance: string; windowMinutes: number }; premium: { includedAllowance: string; windowMinutes: number } };
  extraUsage?: { enabled: boolean; scope?: string; orgMonthlyCap?: string | null; tierCaps?: { standard?: string | null; premium?: string | null } };
  autoReload?: { enabled: boolean; threshold?: string | null; amount?: string | null; monthlyLimit?: number | null };
  members: { externalId: string; name: string; role: string; seatTier: string; slackUserId?: string | null; extraUsageEnabled?: boolean; extraUsageCap?: string | null }[];
};

const base = (): Doc => ({
  name: 'Acme',
  plan: 'enterprise',
  timezone: 'Europe/Paris',
  seatTiers: { standard: { includedAllowance: '1.00', windowMinutes: 300 }, premium: { includedAllowance: '3.00', windowMinutes: 300 } },
  extraUsage: { enabled: true, scope: 'all_members', orgMonthlyCap: '1000.00', tierCaps: { standard: '500.00', premium: null } },
  members: [
    { externalId: 'olivia', name: 'Olivia', role: 'primary_owner', seatTier: 'premium', slackUserId: 'U01' },
    { externalId: 'alice', name: 'Alice', role: 'member', seatTier: 'standard', extraUsageCap: '50.00' },
  ],
});

const member = (patch: ReturnType<typeof documentPatch<Doc>>, id: string) => patch.members.get(id)!;

describe('documentPatch', () => {
  it('applies every field written on a first apply (no document applied before)', () => {
    const doc = base();
    const p = documentPatch(null, doc);
    const { members: _m, ...org } = doc;
    expect(p.org).toEqual(org);
    expect(member(p, 'alice')).toEqual({ first: true, set: { name: 'Alice', role: 'member', seatTier: 'standard', extraUsageCap: '50.00' } });
    expect([...p.members.keys()]).toEqual(['olivia', 'alice']);
  });

  it('treats a stored document it cannot read as none: a first apply', () => {
    for (const junk of [undefined, 'text', 42, [], { members: 'nope' }]) {
      const p = documentPatch(junk, base());
      expect(p.org.name).toBe('Acme');
      expect(member(p, 'olivia').first).toBe(true);
    }
  });

  it('applies nothing when the same document is sent again', () => {
    const p = documentPatch(base(), base());
    expect(p.org).toEqual({});
    for (const m of p.members.values()) expect(m).toEqual({ first: false, set: {} });
  });

  it('applies exactly the fields the document changed, at any depth', () => {
    const next = base();
    next.extraUsage!.orgMonthlyCap = '2000.00';
    next.seatTiers.premium.windowMinutes = 600;
    next.members[1]!.seatTier = 'premium';
    const p = documentPatch(base(), next);
    expect(p.org).toEqual({ extraUsage: { orgMonthlyCap: '2000.00' }, seatTiers: { premium: { windowMinutes: 600 } } });
    expect(member(p, 'alice').set).toEqual({ seatTier: 'premium' });
    expect(member(p, 'olivia').set).toEqual({});
  });

  it('leaves a field left out as it is, whatever the last document said', () => {
    const next = base();
    delete next.extraUsage!.orgMonthlyCap;
    delete next.extraUsage!.scope;
    delete next.extraUsage!.tierCaps!.premium;
    delete next.members[1]!.extraUsageCap;
    delete next.members[0]!.slackUserId;
    const p = documentPatch(base(), next);
    expect(p.org).toEqual({});
    expect(member(p, 'alice').set).toEqual({});
    expect(member(p, 'olivia').set).toEqual({});
  });

  it('leaves a whole section left out as it is', () => {
    const next = base();
    delete next.extraUsage;
    expect(documentPatch(base(), next).org).toEqual({});
  });

  it('applies null where it is written and was not before: Unlimited only when said', () => {
    const last = base();
    delete last.extraUsage!.orgMonthlyCap;
    const next = base();
    next.extraUsage!.orgMonthlyCap = null;
    expect(documentPatch(last, next).org).toEqual({ extraUsage: { orgMonthlyCap: null } });
    // A value changed to null is a change too.
    expect(documentPatch(base(), next).org).toEqual({ extraUsage: { orgMonthlyCap: null } });
    // null said twice is not.
    expect(documentPatch(next, next).org).toEqual({});
  });

  it('applies a field written for the first time even when it says the same as a default', () => {
    const last = base();
    delete last.extraUsage!.scope;
    const p = documentPatch(last, base());
    expect(p.org).toEqual({ extraUsage: { scope: 'all_members' } });
  });

  it('applies a section new to the document whole', () => {
    const last = base();
    delete last.extraUsage;
    const next = base();
    next.autoReload = { enabled: false };
    const p = documentPatch(last, next);
    expect(p.org).toEqual({ extraUsage: base().extraUsage, autoReload: { enabled: false } });
  });

  it('compares amounts by value: "1000" says what "1000.00" said', () => {
    const next = base();
    next.extraUsage!.orgMonthlyCap = '1000';
    next.extraUsage!.tierCaps!.standard = '500.0';
    next.seatTiers.standard.includedAllowance = '1';
    next.members[1]!.extraUsageCap = '50';
    const p = documentPatch(base(), next);
    expect(p.org).toEqual({});
    expect(member(p, 'alice').set).toEqual({});
    // But a name is text: "1.0" is not "1".
    const named = base();
    named.name = '1.0';
    const before = base();
    before.name = '1';
    expect(documentPatch(before, named).org).toEqual({ name: '1.0' });
  });

  it('matches members by externalId, wherever they stand in the list', () => {
    const next = base();
    next.members.reverse();
    const p = documentPatch(base(), next);
    expect([...p.members.keys()]).toEqual(['alice', 'olivia']);
    for (const m of p.members.values()) expect(m).toEqual({ first: false, set: {} });
  });

  it('gives a member new to the document (or coming back) every field it writes', () => {
    const next = base();
    next.members.push({ externalId: 'bob', name: 'Bob', role: 'member', seatTier: 'premium', extraUsageEnabled: true });
    const p = documentPatch(base(), next);
    expect(member(p, 'bob')).toEqual({ first: true, set: { name: 'Bob', role: 'member', seatTier: 'premium', extraUsageEnabled: true } });
    expect(member(p, 'alice').first).toBe(false);
  });

  it('applies a seat tier only when the document changes it from what it said last time', () => {
    // An approval upgraded Alice since; the document still says standard: not the document's change.
    expect(member(documentPatch(base(), base()), 'alice').set).toEqual({});
    const next = base();
    next.members[1]!.seatTier = 'premium';
    expect(member(documentPatch(base(), next), 'alice').set).toEqual({ seatTier: 'premium' });
    // Said again after that: nothing more.
    expect(member(documentPatch(next, next), 'alice').set).toEqual({});
  });

  it('leaves members out of the patch when the document leaves them out', () => {
    const next = base();
    next.members = next.members.filter((m) => m.externalId !== 'alice');
    expect([...documentPatch(base(), next).members.keys()]).toEqual(['olivia']);
  });

  it('does not change its inputs', () => {
    const last = base();
    const next = base();
    next.extraUsage!.orgMonthlyCap = '5.00';
    documentPatch(last, next);
    expect(last).toEqual(base());
    expect(next.extraUsage!.orgMonthlyCap).toBe('5.00');
  });
});

describe('sameJson', () => {
  it('ignores key order and undefined-valued keys, and nothing else', () => {
    expect(sameJson({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toBe(true);
    expect(sameJson({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(sameJson({ a: 1 }, { a: '1' })).toBe(false);
    expect(sameJson({ a: null }, { a: undefined })).toBe(false);
    expect(sameJson([1, 2], [2, 1])).toBe(false);
    expect(sameJson(null, {})).toBe(false);
  });
});
