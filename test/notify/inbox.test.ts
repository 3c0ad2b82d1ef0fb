// Notices kept in the console inbox through the activities the worker runs
// (createActivities): each recipient gets one entry even when the activity is retried
// because a chat channel was down, with times in the org's timezone and amounts in cents.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities/index.js';
import { formatWhen } from '../../src/domain/display.js';
import { inboxOf, markRead, unreadCount } from '../../src/ledger/notices/inbox.js';
import type { Notifier } from '../../src/notify/port.js';
import { ledgerOnlyPayments } from '../../src/payments/port.js';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc } from '../support/fixtures.js';
import { provision } from '../support/ledger.js';
import { recordingNotifier } from '../support/recording-notifier.js';

let scratch: Scratch;
beforeAll(async () => {
  scratch = await migrated(scratchPglite);
}, 60_000);
afterAll(async () => {
  await scratch?.dispose();
});

/** Slack down for the first `down` sends of each alert, then delivering. */
function chatDownFirst(down: number) {
  const rec = recordingNotifier();
  let failures = down;
  const notifier: Notifier = {
    ...rec,
    async alert(a, to, o) {
      if (failures-- > 0) throw new Error('1 of 2 notification channel(s) failed (slack)');
      await rec.alert(a, to, o);
    },
  };
  return { notifier, rec };
}

const NANOS = 10n ** 9n;

describe('the inbox keeps every notice once', () => {
  it('an org cap notice reaches each owner\'s inbox while chat is down, and the retries add nothing', async () => {
    const db = scratch.db.prisma;
    const { orgId, member } = await provision(db, 'acme', enterpriseDoc({ members: [...enterpriseDoc().members, { externalId: 'owner-2', name: 'Oscar Owner', role: 'owner', seatTier: 'standard' }] }));
    const { notifier, rec } = chatDownFirst(2);
    const { deliverAlert } = createActivities({ db, notifier, payments: ledgerOnlyPayments(db), now: () => new Date() });
    const input = { orgId, eventId: '77', event: { type: 'org_cap_threshold' as const, percent: 100, period: '2026-12', capNanos: String(1000n * NANOS), spendNanos: String(1000n * NANOS + 4n * NANOS / 1000n) } };

    await expect(deliverAlert(input)).rejects.toThrow(/slack/);
    // Chat is down, yet the owners already have it in the console.
    const olivia = await member('owner-1');
    const oscar = await member('owner-2');
    expect(await unreadCount(db, orgId, olivia.id)).toBe(1);
    await expect(deliverAlert(input)).rejects.toThrow(/slack/);
    expect(await deliverAlert(input)).toBe('sent');
    expect(await deliverAlert(input)).toBe('already_sent');
    expect(rec.of('alert')).toHaveLength(1);

    for (const owner of [olivia, oscar]) {
      const entries = await inboxOf(db, orgId, owner.id);
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ kind: 'org_cap_threshold', title: 'Acme reached its monthly extra usage cap of $1,000.00', link: '/usage', readAt: null });
      // Cents, the exact figure only where cents hide it; the reset in the org's time.
      expect(entries[0]!.body).toContain('Spent: $1,000.00 ($1,000.004 exactly)');
      expect(entries[0]!.body).toContain(`Resets: ${formatWhen('2026-12-31T23:00:00.000Z', 'Europe/Paris')}`);
      expect(entries[0]!.body).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
    }
    // Nobody else has it: members are not told of the org cap.
    expect(await unreadCount(db, orgId, (await member('alice')).id)).toBe(0);

    // Read by one owner: the other's stays unread.
    expect(await markRead(db, orgId, olivia.id, [(await inboxOf(db, orgId, olivia.id))[0]!.id], new Date())).toBe(1);
    expect(await unreadCount(db, orgId, olivia.id)).toBe(0);
    expect(await unreadCount(db, orgId, oscar.id)).toBe(1);
    // Another person's id marks nothing.
    expect(await markRead(db, orgId, olivia.id, [(await inboxOf(db, orgId, oscar.id))[0]!.id], new Date())).toBe(0);
    expect(await unreadCount(db, orgId, oscar.id)).toBe(1);
  });

  it('a member who reached their cap finds it in their own inbox, with the way forward on My usage', async () => {
    const db = scratch.db.prisma;
    const { orgId, member } = await provision(db, 'beta', enterpriseDoc({ name: 'Beta' }));
    const alice = await member('alice');
    const { notifier } = chatDownFirst(1);
    const { deliverAlert } = createActivities({ db, notifier, payments: ledgerOnlyPayments(db), now: () => new Date() });
    const input = { orgId, eventId: '78', event: { type: 'member_cap_reached' as const, memberId: alice.id, period: '2026-12', capNanos: String(50n * NANOS), spendNanos: String(50n * NANOS) } };
    await expect(deliverAlert(input)).rejects.toThrow(/slack/);
    expect(await deliverAlert(input)).toBe('sent');
    const entries = await inboxOf(db, orgId, alice.id);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ kind: 'member_cap_reached', title: 'You reached your extra usage cap of $50.00 for this month', link: '/me' });
    expect(entries[0]!.body).toContain('(Europe/Paris)');
  });
});
