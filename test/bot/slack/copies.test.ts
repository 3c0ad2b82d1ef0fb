// Every Slack copy of a request, through the real Slack notifier: a reminder is a reply
// in the thread of the admin's card, and once the request is decided every copy (the
// card, its reminder, each admin's digest page listing it) is updated in place with no
// live buttons left for it, while the other requests on a digest page keep theirs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyDecision, openRequest, requestView } from '../../../src/ledger/requests/requests.js';
import { personOf } from '../../../src/ledger/settings/people.js';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import type { SlackCall } from '../../support/slack-api.js';
import { provision } from '../../support/ledger.js';
import { actionIdsOf, noRequests, slackEnterpriseDoc, startSlackHarness, textOf, USERS, type SlackHarness } from '../../support/slack-harness.js';

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

const db = () => scratch.db.prisma;
const member = (externalId: string) => db().member.findUniqueOrThrow({ where: { orgId_externalId: { orgId, externalId } } });
async function ask(externalId: string, minutesAgo: number) {
  const m = await member(externalId);
  const id = await openRequest(db(), { orgId, memberId: m.id, workflowId: `wf-${externalId}`, runId: `run-${externalId}`, requestedAt: new Date(Date.now() - minutesAgo * 60_000), note: null });
  return requestView(db(), id);
}
/** Actions left in a message for one request. */
const buttonsFor = (blocks: any[], requestId: string) => actionIdsOf(blocks.filter((b) => String(b.block_id ?? '').startsWith(`req:${requestId}:`)));

describe('Slack copies of a request', () => {
  it('threads reminders under the card and updates the card, the reminder and every digest page once decided', async () => {
    const alice = await ask('alice', 30);
    const bob = await ask('bob', 10);
    const admins = [personOf(await member('admin-1')), personOf(await member('owner-1'))];
    const notifier = h.slack.notifier;

    await notifier.requestOpened(alice, admins);
    await notifier.digest({ orgId, orgName: 'Acme', at: new Date().toISOString(), requests: [alice, bob] }, admins);
    await notifier.requestReminder(alice, admins);

    const cards = h.api.of('chat.postMessage').filter((c) => textOf(c.args.blocks).includes(`req:${alice.requestId}:header`));
    const originals = cards.filter((c) => !c.args.thread_ts);
    const reminders = cards.filter((c) => c.args.thread_ts);
    expect(originals).toHaveLength(2);
    expect(reminders).toHaveLength(2);
    for (const reminder of reminders) {
      const original = originals.find((o) => o.response.channel === reminder.args.channel)!;
      expect(original).toBeDefined();
      expect(reminder.args.thread_ts).toBe(original.response.ts); // a reply in that card's thread
      expect(textOf(reminder.args.blocks)).toContain('Reminder: a request is waiting');
    }
    const digests = h.api.of('chat.postMessage').filter((c) => textOf(c.args.blocks).includes('digest_header'));
    expect(digests).toHaveLength(2);
    for (const d of digests) expect(buttonsFor(d.args.blocks, alice.requestId).length).toBeGreaterThan(0);

    // The owner denies Alice's request (wherever: the workflow tells the notifier).
    const decided = await applyDecision(db(), { requestId: alice.requestId, deciderRef: 'owner-1', decision: 'deny', reason: 'Not this month' }, new Date());
    await notifier.requestClosed(decided, admins);

    const updates = h.api.of('chat.update');
    const updated = (m: SlackCall) => updates.filter((u) => u.args.channel === m.response.channel && u.args.ts === m.response.ts).at(-1);
    for (const copy of [...originals, ...reminders, ...digests]) {
      const u = updated(copy);
      expect(u, `copy ${copy.response.channel}/${copy.response.ts} updated`).toBeDefined();
      expect(buttonsFor(u!.args.blocks, alice.requestId)).toEqual([]);
      expect(textOf(u!.args.blocks)).toContain('Denied');
    }
    for (const d of digests) {
      const u = updated(d)!;
      // Bob's request on the same page is still waiting, with its buttons.
      expect(buttonsFor(u.args.blocks, bob.requestId)).toEqual(['decide_enable_extra_usage', 'decide_deny']);
      expect(textOf(u.args.blocks)).toContain('1 of 2 requests still waiting');
    }

    // Bob's turn: the pages now say everything is decided and have no buttons at all.
    const bobDecided = await applyDecision(db(), { requestId: bob.requestId, deciderRef: 'admin-1', decision: 'deny' }, new Date());
    await notifier.requestClosed(bobDecided, admins);
    for (const d of digests) {
      const u = h.api.of('chat.update').filter((x) => x.args.channel === d.response.channel && x.args.ts === d.response.ts).at(-1)!;
      expect(actionIdsOf(u.args.blocks)).toEqual([]);
      expect(textOf(u.args.blocks)).toContain('All 2 requests of this digest decided');
    }
    expect(h.dmsTo(USERS.alice).some((m) => textOf(m.args.blocks).includes('denied'))).toBe(true);
  });
});
