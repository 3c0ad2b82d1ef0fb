// The Slack notifier (the workflows' notifier port): request copies remembered and
// sent once per admin, every copy updated on close, alerts to the owners' channel or
// by DM, the seat-limit DM with its button, and a digest paged within Block Kit limits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertView, Person, RequestView } from '../../../src/notify/port.js';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import { provision } from '../../support/ledger.js';
import { blockKitProblems } from '../../support/slack-block-kit-limits.js';
import { actionIdsOf, noRequests, slackEnterpriseDoc, startSlackHarness, USERS, type SlackHarness } from '../../support/slack-harness.js';

let scratch: Scratch;
let h: SlackHarness;
let orgId: string;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  orgId = (await provision(scratch.db.prisma, 'acme', slackEnterpriseDoc())).orgId;
  h = await startSlackHarness(scratch.db.prisma, noRequests());
});
afterAll(async () => {
  h?.expectWithinLimits();
  await h?.close();
  await scratch?.dispose();
});

const person = (i: number, over: Partial<Person> = {}): Person => ({
  memberId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, externalId: `m${i}`, name: `Member ${i}`, role: 'member', seatTier: 'standard', email: null, slackUserId: `U_M${i}`, teamsUserId: null, ...over,
});
const admin = (slackUserId: string, i: number): Person => person(900 + i, { role: 'admin', slackUserId, name: `Admin ${i}` });

let n = 0;
function request(over: Partial<RequestView> = {}): RequestView {
  const i = ++n;
  return {
    requestId: `10000000-0000-4000-8000-${String(i).padStart(12, '0')}`, workflowId: `wf-${i}`, orgId, orgName: 'Acme', requester: person(i), seatTier: 'standard',
    requestedAt: '2026-11-15T10:00:00.000Z', note: null, status: 'pending', decision: null, decisionCap: null, reason: null, decidedBy: null, decidedAt: null, previousDenial: null, ...over,
  };
}

describe('Slack notifier', () => {
  it('sends each admin one copy of a request, even when the activity is retried, and updates every copy on close', async () => {
    const r = request({ note: 'Quarter-end report <script>' });
    const admins = [admin(USERS.owner, 1), admin(USERS.admin, 2), admin('', 3)]; // the third has no Slack user: skipped
    admins[2]!.slackUserId = null;
    await h.slack.notifier.requestOpened(r, admins);
    await h.slack.notifier.requestOpened(r, admins); // a retry
    const cards = h.api.of('chat.postMessage').filter((c) => JSON.stringify(c.args.blocks).includes(`req:${r.requestId}:`));
    expect(cards).toHaveLength(2);
    expect(JSON.stringify(cards[0]!.args.blocks)).toContain('Quarter-end report &lt;script&gt;');

    await h.slack.notifier.requestReminder(r, admins);
    const reminders = h.api.of('chat.postMessage').filter((c) => JSON.stringify(c.args.blocks).includes('Reminder: a request is waiting') && JSON.stringify(c.args.blocks).includes(r.requestId));
    expect(reminders).toHaveLength(2);

    const closed: RequestView = { ...r, status: 'expired' };
    await h.slack.notifier.requestClosed(closed, admins);
    const updates = h.api.of('chat.update').filter((c) => JSON.stringify(c.args.blocks).includes(`req:${r.requestId}:outcome`));
    expect(updates).toHaveLength(4); // two copies and two reminders
    expect(updates.every((u) => JSON.stringify(u.args.blocks).includes('Expired without a decision'))).toBe(true);
    const told = h.api.of('chat.postMessage').filter((c) => c.response.channel === `D_${r.requester.slackUserId}`);
    expect(told).toHaveLength(1);
    expect(JSON.stringify(told[0]!.args.blocks)).toContain('expired without a decision');
    await h.slack.notifier.requestClosed(closed, admins); // a retry: the requester is not told twice
    expect(h.api.of('chat.postMessage').filter((c) => c.response.channel === `D_${r.requester.slackUserId}`)).toHaveLength(1);
  });

  it('offers the seat-limit DM the "Request extra usage" button only when the member can ask', async () => {
    const base: AlertView = { kind: 'seat_limit_reached', orgId, orgName: 'Acme', title: 'You reached your seat limit', text: 'Your included usage resets at 15:00.', facts: { Resets: '15:00' }, member: person(500, { slackUserId: 'U_PAUSED' }) };
    await h.slack.notifier.alert({ ...base, canRequestExtraUsage: true }, [base.member!]);
    await h.slack.notifier.alert({ ...base, canRequestExtraUsage: false }, [base.member!]);
    const dms = h.api.of('chat.postMessage').filter((c) => c.response.channel === 'D_U_PAUSED');
    expect(dms.map((d) => actionIdsOf(d.args.blocks))).toEqual([['request_extra_usage'], []]);
  });

  it('sends owners\' alerts to the picked channel, else to each owner by DM', async () => {
    const alert: AlertView = { kind: 'org_cap_threshold', orgId, orgName: 'Acme', title: 'Acme reached 80% of its monthly limit', text: '$800.00 of $1000.00 spent in November.', facts: { Spent: '$800.00', Limit: '$1000.00' } };
    const owners = [admin(USERS.owner, 1)];
    await h.slack.notifier.alert(alert, owners);
    expect(h.api.of('chat.postMessage').filter((c) => c.response.channel === `D_${USERS.owner}` && c.args.text.includes('80%'))).toHaveLength(1);
    await scratch.db.prisma.organization.update({ where: { id: orgId }, data: { slackAlertChannelId: 'C_ALERTS' } });
    await h.slack.notifier.alert(alert, owners);
    expect(h.api.of('chat.postMessage').filter((c) => c.args.channel === 'C_ALERTS')).toHaveLength(1);
    expect(h.api.of('chat.postMessage').filter((c) => c.response.channel === `D_${USERS.owner}` && c.args.text.includes('80%'))).toHaveLength(1);
    // The app was removed from that channel: the owners get it by DM instead.
    h.api.failNext('chat.postMessage', 'not_in_channel');
    await h.slack.notifier.alert(alert, owners);
    expect(h.api.of('chat.postMessage').filter((c) => c.response.channel === `D_${USERS.owner}` && c.args.text.includes('80%'))).toHaveLength(2);
    await scratch.db.prisma.organization.update({ where: { id: orgId }, data: { slackAlertChannelId: null } });
  });

  it('pages a long digest so every message stays within 50 blocks, each request with its actions', async () => {
    const requests = Array.from({ length: 40 }, (_, i) => request({ requester: person(1000 + i, { name: `A very long member name ${'x'.repeat(300)} ${i}` }), note: 'n'.repeat(2000), seatTier: i % 2 ? 'premium' : 'standard' }));
    const before = h.api.of('chat.postMessage').length;
    await h.slack.notifier.digest({ orgId, orgName: 'Acme', at: '2026-11-16T08:00:00.000Z', requests }, [admin(USERS.admin, 2)]);
    const pages = h.api.of('chat.postMessage').slice(before);
    expect(pages).toHaveLength(3);
    for (const p of pages) {
      expect(p.response.ok).toBe(true);
      expect(p.args.blocks.length).toBeLessThanOrEqual(50);
      expect(blockKitProblems('message', p.args)).toEqual([]);
    }
    const all = pages.flatMap((p) => p.args.blocks);
    // Every request appears once with its decision buttons (no upgrade for premium seats).
    for (const r of requests) {
      const actions = all.find((b: any) => b.block_id === `req:${r.requestId}:actions`);
      expect(actionIdsOf([actions])).toEqual(r.seatTier === 'standard' ? ['decide_upgrade_seat', 'decide_enable_extra_usage', 'decide_deny'] : ['decide_enable_extra_usage', 'decide_deny']);
    }
    expect(JSON.stringify(pages[2]!.args.blocks)).toContain('Requests waiting (31–40 of 40)');
    expect(await scratch.db.prisma.chatMessage.count({ where: { orgId, purpose: 'digest' } })).toBe(3);
  });

  it('raises a failure after sending to everyone else, so the activity retries only what is missing', async () => {
    const r = request();
    h.api.failNext('conversations.open', 'user_not_found');
    await expect(h.slack.notifier.requestOpened(r, [admin(USERS.owner, 1), admin(USERS.admin, 2)])).rejects.toThrow(/1 of 2 message\(s\) failed.*user_not_found/);
    expect(await scratch.db.prisma.chatMessage.count({ where: { requestId: r.requestId } })).toBe(1);
    await h.slack.notifier.requestOpened(r, [admin(USERS.owner, 1), admin(USERS.admin, 2)]);
    expect(await scratch.db.prisma.chatMessage.count({ where: { requestId: r.requestId } })).toBe(2);
  });
});
