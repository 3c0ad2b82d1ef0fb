// Who is told what, and the dedupe keys that stop alert floods: one alert per
// (subject, threshold, period), re-armed by a changed cap. Amounts in nanos ($1 = 1e9).
import { describe, expect, it } from 'vitest';
import { alertFor, localTime, ownersAlertFor, type AlertContext, type AlertEvent } from '../../src/domain/alerts.js';

const usd = (dollars: number) => String(BigInt(dollars) * 1_000_000_000n);
const enterprise: AlertContext = { eventId: '42', org: { name: 'Acme', plan: 'enterprise', timezone: 'Europe/Paris' } };
const team: AlertContext = { eventId: '42', org: { name: 'Small Team', plan: 'team', timezone: 'UTC' } };
const orgCap = (percent: number, cap = 1000): AlertEvent => ({ type: 'org_cap_threshold', percent, period: '2026-11', capNanos: usd(cap), spendNanos: usd((cap * percent) / 100) });

describe('org cap thresholds', () => {
  it('tells owners at 50, 80 and 100 %, one key per threshold, month and cap', () => {
    const alerts = [50, 80, 100].map((p) => alertFor(orgCap(p), enterprise)!);
    expect(alerts.map((a) => a.audience)).toEqual(['owners', 'owners', 'owners']);
    expect(alerts.map((a) => a.kind)).toEqual(['org_cap_threshold', 'org_cap_threshold', 'org_cap_threshold']);
    expect(alerts.map((a) => a.dedupeKey)).toEqual([
      'org_cap:50:2026-11:cap=1000000000000',
      'org_cap:80:2026-11:cap=1000000000000',
      'org_cap:100:2026-11:cap=1000000000000',
    ]);
    expect(alerts[1]).toMatchObject({ title: 'Acme has used 80% of its monthly extra usage cap', facts: { Spent: '$800.00', Cap: '$1,000.00', Threshold: '80%' } });
    // At 100 % extra usage stops until the month ends in the org's timezone.
    expect(alerts[2]!.text).toContain('until 1 Dec 2026, 00:00 (Europe/Paris)');
    expect(alerts[2]!.facts.Resets).toBe('2026-11-30T23:00:00.000Z');
  });

  it('re-arms when the cap changes and keys another month apart', () => {
    const before = alertFor(orgCap(80, 1000), enterprise)!.dedupeKey;
    expect(alertFor(orgCap(80, 2000), enterprise)!.dedupeKey).not.toBe(before);
    expect(alertFor({ ...(orgCap(80) as object), period: '2026-12' } as AlertEvent, enterprise)!.dedupeKey).toBe('org_cap:80:2026-12:cap=1000000000000');
    // The same crossing reported again maps to the same key, whichever event carries it.
    expect(alertFor(orgCap(80), { ...enterprise, eventId: '43' })!.dedupeKey).toBe(before);
  });

  it('shows cents, and the spend exactly only when cents hide part of it', () => {
    const a = alertFor({ type: 'org_cap_threshold', percent: 80, period: '2026-11', capNanos: usd(10), spendNanos: '6003000000' }, enterprise)!;
    expect(a.facts).toMatchObject({ Spent: '$6.00 ($6.003 exactly)', Cap: '$10.00' });
    expect(a.text).toContain('$6.00 ($6.003 exactly) of $10.00 spent');
    expect(a.text).not.toMatch(/\$6\.003(?! exactly)/);
    expect(alertFor(orgCap(80), enterprise)!.facts.Spent).toBe('$800.00');
  });
});

describe('tier cap', () => {
  it('tells owners once per tier, month and cap', () => {
    const a = alertFor({ type: 'tier_cap_reached', tier: 'standard', period: '2026-11', capNanos: usd(500), spendNanos: usd(501) }, enterprise)!;
    expect(a).toMatchObject({ kind: 'tier_cap_reached', audience: 'owners', dedupeKey: 'tier_cap:standard:2026-11:cap=500000000000' });
    expect(a.title).toBe('Standard seats reached their monthly extra usage cap of $500.00');
    expect(a.facts).toMatchObject({ Spent: '$501.00', Tier: 'standard' });
  });

  it('tells owners at their thresholds short of the cap, keyed apart from the cap itself', () => {
    const at = (percent: number) => alertFor({ type: 'tier_cap_reached', tier: 'premium', period: '2026-11', capNanos: usd(500), spendNanos: usd(400), percent }, enterprise)!;
    expect(at(80)).toMatchObject({ audience: 'owners', dedupeKey: 'tier_cap:premium:80:2026-11:cap=500000000000', title: 'Premium seats have used 80% of their monthly extra usage cap', facts: { Threshold: '80%' } });
    expect(at(100).dedupeKey).toBe('tier_cap:premium:2026-11:cap=500000000000');
  });
});

describe('owners told a member reached their cap', () => {
  it('names the member, keyed apart from the member\'s own alert; nothing for other events', () => {
    const ctx = { ...enterprise, member: { name: 'Alice', extraUsageAvailable: true } };
    const event: AlertEvent = { type: 'member_cap_reached', memberId: 'm1', period: '2026-11', capNanos: usd(50), spendNanos: usd(51) };
    const owners = ownersAlertFor(event, ctx)!;
    expect(owners).toMatchObject({ kind: 'member_cap_reached', audience: 'owners', dedupeKey: 'member_cap_owners:m1:2026-11:cap=50000000000', title: 'Alice reached their extra usage cap of $50.00 for this month' });
    expect(owners.dedupeKey).not.toBe(alertFor(event, ctx)!.dedupeKey);
    expect(ownersAlertFor({ ...event, type: 'product_cap_reached', product: 'claude-code' } as AlertEvent, ctx)!.title).toBe('Alice reached their extra usage cap of $50.00 on claude-code for this month');
    expect(ownersAlertFor(orgCap(50), ctx)).toBeNull();
  });
});

describe('member cap', () => {
  it('tells the member they are paused until the month ends in the org timezone', () => {
    const a = alertFor({ type: 'member_cap_reached', memberId: 'mem_1', period: '2026-11', capNanos: usd(50), spendNanos: usd(52) }, { ...enterprise, member: { name: 'Alice', extraUsageAvailable: true } })!;
    expect(a).toMatchObject({ kind: 'member_cap_reached', audience: 'member', memberId: 'mem_1', dedupeKey: 'member_cap:mem_1:2026-11:cap=50000000000' });
    // The one wording of the refusal (src/domain/refusal-words.ts), with the console link.
    expect(a.text).toBe('You reached your monthly extra usage limit ($52.00 of $50.00); it lifts 1 Dec 2026, 00:00 (Europe/Paris). To go on sooner, ask to raise your limit in the web console at /me');
    expect(alertFor({ type: 'member_cap_reached', memberId: 'mem_1', period: '2026-11', capNanos: usd(50), spendNanos: usd(52) }, { ...enterprise, consoleUrl: 'https://usage.example.com' })!.text)
      .toMatch(/: https:\/\/usage\.example\.com\/me$/);
    // The reset time once, machine-readable: each channel shows it in the org's time.
    expect(a.facts).toEqual({ Month: '2026-11', Resets: '2026-11-30T23:00:00.000Z', Cap: '$50.00', Spent: '$52.00' });
  });

  it('uses the org timezone for the month end (New York: 05:00 UTC)', () => {
    const a = alertFor({ type: 'member_cap_reached', memberId: 'm', period: '2026-12', capNanos: usd(5), spendNanos: usd(5) }, { ...enterprise, org: { ...enterprise.org, timezone: 'America/New_York' } })!;
    expect(a.facts.Resets).toBe('2027-01-01T05:00:00.000Z');
    expect(a.text).toContain('it lifts 1 Jan 2027, 00:00 (America/New_York)');
  });
});

describe('seat limit', () => {
  const hit: AlertEvent = { type: 'seat_limit_reached', memberId: 'mem_1', resetsAt: '2026-11-15T17:00:00.000Z' };

  it('offers "Request extra usage" on enterprise when the member has no extra usage', () => {
    const a = alertFor(hit, { ...enterprise, member: { name: 'Alice', extraUsageAvailable: false } })!;
    expect(a).toMatchObject({ kind: 'seat_limit_reached', audience: 'member', memberId: 'mem_1', canRequestExtraUsage: true });
    expect(a.dedupeKey).toBe('seat_limit:mem_1:2026-11-15T17:00:00.000Z');
    expect(a.facts).toEqual({ Resets: '2026-11-15T17:00:00.000Z' });
    expect(a.text).toBe('You have used the usage included in your seat, and extra usage is not on for you; it lifts 15 Nov 2026, 18:00 (Europe/Paris). To go on sooner, request extra usage from your admins in the web console at /me');
    // The org's switch off: the words say so.
    expect(alertFor(hit, { ...enterprise, org: { ...enterprise.org, extraUsageEnabled: false }, member: { name: 'Alice', extraUsageAvailable: false } })!.text)
      .toMatch(/^You have used the usage included in your seat, and extra usage is off for your organisation;/);
  });

  it('does not offer it on team plans, nor to a member who carries on with extra usage', () => {
    expect(alertFor(hit, { ...team, member: { name: 'Alice', extraUsageAvailable: false } })!.canRequestExtraUsage).toBe(false);
    const carrying = alertFor(hit, { ...enterprise, member: { name: 'Alice', extraUsageAvailable: true } })!;
    expect(carrying.canRequestExtraUsage).toBe(false);
    expect(carrying.text).toContain('extra usage, billed at standard API rates');
  });

  it('tells a member who chose not to continue on extra usage that they are stopped, with the one step to continue', () => {
    const stopped = alertFor(hit, { ...enterprise, member: { name: 'Alice', extraUsageAvailable: true, continuesOnExtraUsage: false } })!;
    expect(stopped.canRequestExtraUsage).toBe(false);
    expect(stopped.text).toBe('You have used the usage included in your seat, and you chose not to continue on extra usage; it lifts 15 Nov 2026, 18:00 (Europe/Paris). To go on now, choose "Continue on extra usage" (billed at standard API rates) in the web console at /me');
  });

  it('keys each window apart: the next window alerts again', () => {
    const next = alertFor({ ...hit, resetsAt: '2026-11-15T22:00:00.000Z' } as AlertEvent, enterprise)!;
    expect(next.dedupeKey).not.toBe(alertFor(hit, enterprise)!.dedupeKey);
  });
});

describe('balance and reloads', () => {
  it('keys a low balance by its outbox event', () => {
    const a = alertFor({ type: 'balance_below_threshold', thresholdNanos: usd(10), balanceNanos: '9500000000' }, team)!;
    expect(a).toMatchObject({ kind: 'balance_low', audience: 'owners', dedupeKey: 'balance_low:event=42', facts: { Balance: '$9.50', Threshold: '$10.00' } });
  });

  it('keys reload outcomes by the crossing and the limit by month and limit', () => {
    expect(alertFor({ type: 'reload_succeeded', triggerEventId: '7', amountNanos: usd(50), balanceNanos: usd(55) }, team)).toMatchObject({
      kind: 'reload_succeeded', audience: 'owners', dedupeKey: 'reload_succeeded:7', facts: { Amount: '$50.00', Balance: '$55.00' },
    });
    expect(alertFor({ type: 'reload_failed', triggerEventId: '7', amountNanos: usd(50), balanceNanos: usd(5), error: 'card declined' }, team)).toMatchObject({
      kind: 'reload_failed', dedupeKey: 'reload_failed:7', facts: { Error: 'card declined' },
    });
    expect(alertFor({ type: 'reload_limit_reached', period: '2026-11', limit: 2, balanceNanos: usd(3) }, team)).toMatchObject({
      kind: 'reload_limit_reached', dedupeKey: 'reload_limit:2026-11:limit=2', title: 'Small Team reached its limit of 2 auto-reloads this month',
    });
  });
});

it('says nothing for settings events', () => {
  expect(alertFor({ type: 'member_removed', memberId: 'm' }, enterprise)).toBeNull();
  expect(alertFor({ type: 'org_provisioned' }, enterprise)).toBeNull();
});

it('renders local time in the one date format', () => {
  expect(localTime(new Date('2026-03-29T01:30:00Z'), 'Europe/Paris')).toBe('29 Mar 2026, 03:30 (Europe/Paris)');
  expect(localTime(new Date('2026-12-31T23:00:00Z'), 'Europe/Paris')).toBe('1 Jan 2027, 00:00 (Europe/Paris)');
  expect(localTime(new Date('2026-11-30T23:00:00Z'), 'UTC')).toBe('30 Nov 2026, 23:00 (UTC)');
});

describe('a member\'s product cap', () => {
  it('tells the member once per product, month and cap, naming the product', () => {
    const event = { type: 'product_cap_reached' as const, memberId: 'm-1', product: 'claude_code', period: '2026-11', capNanos: '50000000000', spendNanos: '50100000000' };
    const rule = alertFor(event, { eventId: '1', org: { name: 'Acme', plan: 'enterprise', timezone: 'Europe/Paris' } })!;
    expect(rule).toMatchObject({ audience: 'member', memberId: 'm-1', dedupeKey: 'product_cap:m-1:claude_code:2026-11:cap=50000000000' });
    expect(rule.title).toBe('You reached your extra usage cap of $50.00 on claude_code for this month');
    expect(rule.facts).toMatchObject({ Product: 'claude_code', Spent: '$50.10', Resets: '2026-11-30T23:00:00.000Z' });
  });
});
