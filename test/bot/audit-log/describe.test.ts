// Audit entries in words, as owners read them in Slack and Teams: actor labels
// become names, times read in the org's timezone, before → after stays short.
import { describe, expect, it } from 'vitest';
import { changeText, describeEntry, memberIdsOf, whoText, type AuditEntryRow } from '../../../bot/audit-log/describe.js';

const OWNER = '0b6f2c1e-0000-4000-8000-000000000001';
const ALICE = '0b6f2c1e-0000-4000-8000-000000000002';
const names = new Map([[OWNER, 'Olivia Owner'], [ALICE, 'Alice']]);
const entry = (over: Partial<AuditEntryRow>): AuditEntryRow => ({ id: 7n, actor: `member:${OWNER} (owner-1)`, action: 'cap.member.set', subject: `member:${ALICE}`, before: { cap: '50.00' }, after: { cap: '75.50' }, createdAt: new Date('2026-11-15T12:05:00Z'), ...over });

describe('audit entries in words', () => {
  it('names the actor, what changed and how, at the org\'s local time', () => {
    expect(describeEntry(entry({}), names, 'Europe/Paris')).toEqual({ id: '7', when: '15 Nov 2026, 13:05', who: 'Olivia Owner', what: "Alice's monthly limit", change: '$50.00 → $75.50' });
    expect(describeEntry(entry({}), names, 'America/New_York').when).toBe('15 Nov 2026, 07:05');
  });

  it('resolves actor labels to names, says how they acted, and falls back to the external id of someone unknown', () => {
    expect(whoText(`member:${OWNER} (owner-1) via api_key:k-123`, names)).toBe('Olivia Owner via an API key');
    expect(whoText(`member:${OWNER} (owner-1) via oidc`, names)).toBe('Olivia Owner via single sign-on');
    expect(whoText('member:gone-id (ext (weird) id)', names)).toBe('ext (weird) id');
    expect(whoText('operator', names)).toBe('Operator (org document)');
    expect(whoText('system', names)).toBe('The service');
  });

  it('finds every member an entry mentions, the one a request was for included', () => {
    expect(memberIdsOf(entry({ action: 'request.decided', subject: 'request:r-1', after: { status: 'denied', member: `member:${ALICE}` } }))).toEqual([OWNER, ALICE]);
  });

  it('shows only what changed, in words, and cuts long values', () => {
    expect(changeText({ enabled: false, scope: 'all_members' }, { enabled: true, scope: 'selected_members', viaRequest: 'r-1' })).toBe('enabled off → on, scope all members → selected members');
    expect(changeText({ status: 'pending' }, { status: 'denied', decision: 'deny', cap: null, reason: 'No budget', member: 'member:x' })).toBe('status pending → denied, decision deny, reason No budget');
    expect(changeText({ cap: '10.00' }, { cap: null })).toBe('$10.00 → Unlimited');
    expect(changeText(null, null)).toBe('');
    expect(changeText({ name: 'x'.repeat(5000) }, { name: 'y' }).length).toBeLessThanOrEqual(300);
    const request = describeEntry(entry({ action: 'request.decided', subject: 'request:r-1', before: { status: 'pending' }, after: { status: 'approved', decision: 'upgrade_seat', cap: null, reason: null, member: `member:${ALICE}` } }), names, 'UTC');
    expect(request).toMatchObject({ what: "Alice's request decided", change: 'status pending → approved, decision upgrade seat' });
  });
});
