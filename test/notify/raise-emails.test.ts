// The emails of a request to raise a limit: the owners read which limit, its amount and
// the suggestion; the member reads the new limit (never "your spend limit in Claude").
import { describe, expect, it } from 'vitest';
import { requestClosedEmail, requestOpenedEmail } from '../../src/notify/email-format.js';
import type { Person, RequestView } from '../../src/notify/port.js';

const alice: Person = { memberId: 'm-alice', externalId: 'alice', name: 'Alice', role: 'member', seatTier: 'standard', email: 'alice@example.com', slackUserId: null, teamsUserId: null };
const olivia: Person = { ...alice, memberId: 'm-olivia', externalId: 'owner-1', name: 'Olivia Owner', role: 'primary_owner' };
const pending: RequestView = {
  requestId: 'r1', workflowId: 'request/acme/alice', orgId: 'o1', orgName: 'Acme', requester: alice, seatTier: 'standard',
  requestedAt: '2026-12-11T09:00:00.000Z', note: 'launch week', status: 'pending', decision: null, decisionCap: null, reason: null,
  decidedBy: null, decidedAt: null, previousDenial: null, raise: { scope: 'member', from: '50.00', suggested: '233.00' },
};

describe('emails of a request to raise a limit', () => {
  it('tells the owners which limit, its amount and the suggestion', () => {
    const e = requestOpenedEmail(pending, { timeZone: 'Europe/Paris', now: new Date('2026-12-11T12:00:00Z') });
    expect(e.subject).toBe('Alice asks to raise a limit — Acme');
    expect(e.text).toContain('Alice reached their monthly extra usage limit of $50.00 and asks an owner to raise it (suggested: $233.00).');
  });

  it('tells the member their new limit', () => {
    const e = requestClosedEmail({ ...pending, status: 'approved', decision: 'increase_limit', decisionCap: '233.00', decisionPeriod: 'monthly', decidedBy: olivia, decidedAt: '2026-12-11T10:00:00.000Z' }, { timeZone: 'Europe/Paris', now: new Date('2026-12-11T12:00:00Z') });
    expect(e.subject).toBe('Your request to raise your limit was approved — Acme');
    expect(e.text).toContain('Your request was approved by Olivia Owner: your monthly extra usage limit is now $233.00.');
    expect(e.text).not.toContain('Claude');
  });
});
