// Cap alerts in Slack, through the real alert activity, notifier and Bolt app: times in
// the org's timezone (never raw ISO), amounts in cents, and owners' copies carry "Adjust
// limit", which opens that limit's modal for an owner and is refused for anyone else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertActivities } from '../../../src/activities/alerts.js';
import type { AlertEvent } from '../../../src/domain/alerts.js';
import { ledgerOnlyPayments } from '../../../src/payments/port.js';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import { provision } from '../../support/ledger.js';
import { actionIdsOf, noRequests, slackEnterpriseDoc, startSlackHarness, textOf, USERS, type SlackHarness } from '../../support/slack-harness.js';

let scratch: Scratch;
let h: SlackHarness;
let orgId: string;
let member: (externalId: string) => Promise<any>;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  const o = await provision(scratch.db.prisma, 'acme', slackEnterpriseDoc()); // Europe/Paris
  orgId = o.orgId;
  member = o.member;
  h = await startSlackHarness(scratch.db.prisma, noRequests());
});
afterAll(async () => {
  h?.expectWithinLimits();
  await h?.close();
  await scratch?.dispose();
});

/** Delivers an event's alerts as the workflow does: the real activity, the real Slack notifier. */
const deliver = (eventId: string, event: AlertEvent) =>
  alertActivities({ db: scratch.db.prisma, notifier: h.slack.notifier, payments: ledgerOnlyPayments(scratch.db.prisma), now: () => new Date() }).deliverAlert({ orgId, eventId, event });

const usd = (cents: bigint) => String(cents * 10_000_000n);

describe('Slack cap alerts', () => {
  it("shows times in the org's timezone and gives owners an 'Adjust limit' that opens the org limit's modal", async () => {
    expect(await deliver('evt-org-80', { type: 'org_cap_threshold', percent: 80, period: '2026-12', capNanos: usd(100_000n), spendNanos: usd(80_000n) })).toBe('sent');
    const [dm] = await h.api.waitFor('chat.postMessage', (c) => c.response.channel === `D_${USERS.owner}` && textOf(c.args.blocks).includes('80% of its monthly extra usage cap'));
    const text = textOf(dm!.args.blocks);
    expect(text).toContain('1 Jan 2027, 00:00 (Europe/Paris)');
    expect(text).toContain('December 2026');
    expect(text).not.toMatch(/\d{4}-\d{2}/);
    expect(dm!.args.text).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:/);
    expect(actionIdsOf(dm!.args.blocks)).toEqual(['settings_adjust_limit']);

    await h.clickInMessage(USERS.owner, dm!, 'settings_adjust_limit');
    const [modal] = await h.api.waitFor('views.open', (c) => c.args.view?.callback_id === 'adjust_limit');
    expect(textOf(modal!.args.view.blocks)).toContain('Organisation monthly limit');

    // A member replaying the owner's button is refused and no modal opens.
    const opened = h.api.of('views.open').length;
    await h.clickInMessage(USERS.bob, dm!, 'settings_adjust_limit');
    await h.api.waitFor('chat.postEphemeral', (c) => c.args.user === USERS.bob && String(c.args.text).includes('Only owners of Acme'));
    expect(h.api.of('views.open')).toHaveLength(opened);
  });

  it("offers 'Adjust limit' on the owners' copy of a member's cap alert, opening that member's limit; the member's own copy has none", async () => {
    const alice = await member('alice');
    const event: AlertEvent = { type: 'member_cap_reached', memberId: alice.id, period: '2026-12', capNanos: usd(5_000n), spendNanos: String(50_003_000_000n) };
    expect(await deliver('evt-alice-cap', event)).toBe('sent');
    const [toAlice] = await h.api.waitFor('chat.postMessage', (c) => c.response.channel === `D_${USERS.alice}` && textOf(c.args.blocks).includes('You reached your extra usage cap'));
    const [toOwner] = await h.api.waitFor('chat.postMessage', (c) => c.response.channel === `D_${USERS.owner}` && textOf(c.args.blocks).includes('Alice reached their extra usage cap'));
    expect(actionIdsOf(toAlice!.args.blocks)).toEqual([]);
    expect(actionIdsOf(toOwner!.args.blocks)).toEqual(['settings_adjust_limit']);
    for (const m of [toAlice!, toOwner!]) {
      const text = textOf(m.args.blocks);
      // Cents, the exact spend beside its cap; the reset time in the one date format.
      expect(text).toContain('$50.00 ($50.003 exactly)');
      expect(text.replace('($50.003 exactly)', '')).not.toContain('50.003');
      expect(text).toContain('1 Jan 2027, 00:00 (Europe/Paris)');
      expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}/);
    }
    await h.clickInMessage(USERS.owner, toOwner!, 'settings_adjust_limit');
    await h.api.waitFor('views.open', (c) => c.args.view?.callback_id === 'adjust_limit' && textOf(c.args.view.blocks).includes("Alice's monthly limit"));

    // A member replaying the owners' button is refused.
    const opened = h.api.of('views.open').length;
    await h.clickInMessage(USERS.bob, toOwner!, 'settings_adjust_limit');
    await h.api.waitFor('chat.postEphemeral', (c) => c.args.user === USERS.bob && String(c.args.text).includes('Only owners of Acme'));
    expect(h.api.of('views.open')).toHaveLength(opened);
  });

  it('tells a member paused at their seat limit when it resets, once and in the one date format', async () => {
    const carol = await member('carol');
    expect(await deliver('evt-carol-seat', { type: 'seat_limit_reached', memberId: carol.id, resetsAt: '2026-12-07T17:17:00.000Z' })).toBe('sent');
    const [dm] = await h.api.waitFor('chat.postMessage', (c) => c.response.channel === `D_${USERS.carol}` && textOf(c.args.blocks).includes('included in your seat'));
    const text = textOf(dm!.args.blocks) + String(dm!.args.text);
    expect(text).toContain('7 Dec 2026, 18:17 (Europe/Paris)');
    expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}/);
    // The text and one fact: never three times.
    expect(textOf(dm!.args.blocks).split('7 Dec 2026, 18:17').length - 1).toBeLessThanOrEqual(2);
  });
});
