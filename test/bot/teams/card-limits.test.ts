// Teams refuses a message (or an invoke answer) above about 28 KB. The largest cards
// the bot can build, with the longest names and notes the org document and the
// request API accept and 60 refresh ids, stay under it.
import { describe, expect, it } from 'vitest';
import { AUDIT_PAGE_SIZE } from '../../../bot/audit-log/page.js';
import { SETTINGS_SCREENS } from '../../../bot/teams/actions.js';
import { auditLogCard } from '../../../bot/teams/cards/audit-log.js';
import { MAX_CARD_BYTES } from '../../../bot/teams/cards/card.js';
import { DIGEST_PAGE, digestCard, pagesOf } from '../../../bot/teams/cards/digest.js';
import { requestCard } from '../../../bot/teams/cards/request.js';
import { MEMBERS_PAGE, settingsCard, type Overview, type SeatLimits } from '../../../bot/teams/cards/settings.js';
import type { RequestView } from '../../../src/notify/port.js';

const uuid = (i: number) => `3f2b1c9e-8a7d-4e6f-9b1a-${String(i).padStart(12, '0')}`;
const longName = (i: number) => `${'N'.repeat(196)}${String(i).padStart(4, '0')}`;
const request = (i: number): RequestView => ({
  requestId: uuid(i),
  workflowId: `extra-usage-request/${uuid(0)}/${uuid(i)}`,
  orgId: uuid(0),
  orgName: longName(0),
  requester: { memberId: uuid(i), externalId: `m${i}`, name: longName(i), role: 'member', seatTier: 'standard', email: null, slackUserId: null, teamsUserId: uuid(i) },
  seatTier: 'standard',
  requestedAt: '2026-11-15T12:00:00.000Z',
  note: 'x'.repeat(500),
  status: 'pending',
  decision: null,
  decisionCap: null,
  reason: null,
  decidedBy: null,
  decidedAt: null,
  previousDenial: { at: '2026-11-01T12:00:00.000Z', by: { memberId: uuid(i), externalId: `d${i}`, name: longName(i), role: 'owner', seatTier: 'premium', email: null, slackUserId: null, teamsUserId: null }, reason: 'r'.repeat(500) },
  context: { monthToDateExtra: '999999999999.999999999', cap: '999999999999.999999999', orgRemaining: '999999999999.999999999' },
});
const refreshUserIds = Array.from({ length: 80 }, (_, i) => `29:${'a'.repeat(88)}${i}`);
const size = (card: unknown) => Buffer.byteLength(JSON.stringify(card));

describe('card sizes', () => {
  it('a full digest page in the admin view, with a form open', () => {
    const page = pagesOf(Array.from({ length: 20 }, (_, i) => request(i)))[0]!;
    expect(page).toHaveLength(DIGEST_PAGE);
    const card = digestCard(page, { orgName: longName(0), timezone: 'Europe/Paris', mode: 'admin', list: 'digest', refreshUserIds, form: { requestId: page[0]!.requestId, decision: 'deny', value: 'r'.repeat(500), error: 'e'.repeat(200) } });
    expect(card.refresh!.userIds).toHaveLength(60);
    expect(size(card)).toBeLessThan(MAX_CARD_BYTES);
  });

  it('a request card in the admin view with the note whole', () => {
    expect(size(requestCard(request(1), { timezone: 'Europe/Paris', mode: 'admin', refreshUserIds, notice: { tone: 'attention', text: 'n'.repeat(600) } }))).toBeLessThan(MAX_CARD_BYTES);
  });

  it('every settings card (a page of members) with every error and the confirmation shown', () => {
    const members = Array.from({ length: MEMBERS_PAGE * 3 }, (_, i) => ({ id: uuid(i), externalId: `m${i}`, name: longName(i), role: 'member' as const, seatTier: 'standard' as const, extraUsageEnabled: false, cap: '999999999999.99', monthToDateExtra: '999999999999.999999999', monthToDateIncluded: '0.00', paused: true }));
    const overview = {
      org: { id: uuid(0), slug: 'acme', name: longName(0), plan: 'team', timezone: 'America/Argentina/ComodRivadavia', digestHour: 9 },
      period: '2026-11',
      resetsAt: '2026-11-30T23:00:00.000Z',
      extraUsage: { enabled: true, scope: 'selected_members', enforcement: 'check' },
      orgCap: { cap: '999999999999.99', monthToDateExtra: '999999999999.999999999', monthToDateIncluded: '0.00' },
      seatTiers: [
        { tier: 'standard', includedAllowance: '1.00', windowMinutes: 300, cap: '1.00', monthToDateExtra: '0.00' },
        { tier: 'premium', includedAllowance: '3.00', windowMinutes: 300, cap: null, monthToDateExtra: '0.00' },
      ],
      prepaid: { balance: '-999999999999.999999999', autoReload: { enabled: true, threshold: '999999999999.99', amount: '999999999999.99', monthlyLimit: 1000 } },
    } as unknown as Overview;
    const error = 'e'.repeat(300);
    const errors = Object.fromEntries(['cap.org', 'cap.member', 'capMemberId', 'seat.member', 'autoReloadThreshold', 'autoReloadAmount', 'extraUsageScope'].map((id) => [id, error]));
    for (const screen of SETTINGS_SCREENS) {
      const ownSwitch = Object.fromEntries(members.map((m) => [m.id, true]));
      const confirm = { target: 'member' as const, memberId: uuid(1), what: `${longName(1)}'s own monthly limit` };
      const card = settingsCard(overview, { period: '2026-11', members } as SeatLimits, { screen, page: 1, errors, values: { 'cap.org': 'v'.repeat(300) }, notice: { tone: 'attention', text: error }, confirm, ownSwitch, purchaseKey: uuid(2) });
      expect(size(card)).toBeLessThan(MAX_CARD_BYTES);
    }
  });
  it('an audit log page of the longest entries', () => {
    const lines = Array.from({ length: AUDIT_PAGE_SIZE }, (_, i) => ({ id: String(10n ** 17n + BigInt(i)), when: '15 Sept 2026, 13:05', who: 'W'.repeat(120), what: 'A'.repeat(150), change: '"'.repeat(300) }));
    const card = auditLogCard({ lines, older: { before: '999999999999999999' }, newer: { before: '999999999999999999' } }, { orgName: longName(0), timezone: 'America/Argentina/ComodRivadavia' });
    expect(size(card)).toBeLessThan(MAX_CARD_BYTES);
  });
});
