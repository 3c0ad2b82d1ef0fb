// The owners' Audit log tab through the real Bolt app: the latest entries, ten a
// page, names instead of actor labels, times in the org's timezone, "Older" back to
// the first entry and "Newer" up again. Admins and members never get the tab, and a
// replayed "Older" shows them a refusal and nothing of the log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrg } from '../../../../../src/ledger/limits-state.js';
import { setMemberCap } from '../../../../../src/ledger/settings/settings.js';
import { migrated, scratchPglite, type Scratch } from '../../../../support/databases.js';
import { provision } from '../../../../support/ledger.js';
import type { SlackCall } from '../../../../support/slack-api.js';
import { actionIdsOf, noRequests, slackEnterpriseDoc, startSlackHarness, USERS, type SlackHarness } from '../../../../support/slack-harness.js';

let scratch: Scratch;
let h: SlackHarness;
let orgId: string;
/** Every entry id of the org, newest first, as the owner should page through them. */
let all: string[];
/** When the first entry was written, as it reads in the org's timezone (Europe/Paris). */
let firstAt: string;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  const db = scratch.db.prisma;
  const doc = slackEnterpriseDoc();
  const o = await provision(db, 'acme', { ...doc, members: [...doc.members, { externalId: 'eve', name: 'Eve <script> & *Co*', role: 'member', seatTier: 'standard', slackUserId: null }] });
  orgId = o.orgId;
  const owner = await o.member('owner-1');
  const alice = await o.member('alice');
  for (let i = 1; i <= 15; i++) await setMemberCap(db, await loadOrg(db, orgId), owner, alice.id, BigInt(i) * 1_000_000_000n);
  const entries = await db.auditEntry.findMany({ where: { orgId }, orderBy: { id: 'desc' }, select: { id: true, createdAt: true } });
  all = entries.map((e) => String(e.id));
  firstAt = entries.at(-1)!.createdAt.toLocaleString('en-GB', { timeZone: 'Europe/Paris', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  h = await startSlackHarness(db, noRequests());
});
afterAll(async () => {
  h?.expectWithinLimits();
  await h?.close();
  await scratch?.dispose();
});

let mark = 0;
/** The next Home published for `user` (after everything so far) that matches. */
const homeOf = async (user: string, where: (c: SlackCall) => boolean = () => true) => {
  const home = (await h.api.waitFor('views.publish', (c) => c.seq > mark && c.args.user_id === user && where(c))).at(-1)!;
  mark = home.seq;
  return home;
};
const entryIds = (home: SlackCall) => (home.args.view.blocks as any[]).map((b) => /^audit_(\d+)$/.exec(b.block_id ?? '')?.[1]).filter((id): id is string => !!id);
const isAuditPage = (c: SlackCall) => JSON.stringify(c.args.view.blocks).includes('"block_id":"audit_intro"');

describe('audit log in the App Home', () => {
  it('lets an owner page from the latest entries back to the first and up again', async () => {
    mark = h.api.calls.at(-1)?.seq ?? 0;
    await h.openHome(USERS.owner);
    await homeOf(USERS.owner);
    await h.clickInHome(USERS.owner, 'home_tab_audit');
    let home = await homeOf(USERS.owner, isAuditPage);
    const first = home;
    expect(all.length).toBeGreaterThan(20);
    expect(entryIds(home)).toEqual(all.slice(0, 10));
    const latest = JSON.stringify(home.args.view.blocks);
    expect(latest).toContain("*Alice's monthly limit* · $14.00 → $15.00");
    expect(latest).toContain('Olivia Owner');
    expect(latest).not.toContain('member:');
    expect(actionIdsOf(home.args.view.blocks)).not.toContain('audit_newer');

    const seen = [...entryIds(home)];
    const texts = [latest];
    while (actionIdsOf(home.args.view.blocks).includes('audit_older')) {
      const previous = entryIds(home)[0];
      await h.clickInHome(USERS.owner, 'audit_older', undefined, undefined, home);
      home = await homeOf(USERS.owner, (c) => isAuditPage(c) && entryIds(c)[0] !== previous);
      seen.push(...entryIds(home));
      texts.push(JSON.stringify(home.args.view.blocks));
    }
    expect(seen).toEqual(all);
    const oldest = texts.at(-1)!;
    expect(oldest).toContain('This is where the log begins.');
    expect(oldest).toContain(firstAt);
    expect(oldest).toContain('Times in Europe/Paris');
    expect(texts.join()).toContain('Eve &lt;script&gt; &amp; *Co* added');

    while (actionIdsOf(home.args.view.blocks).includes('audit_newer')) {
      const previous = entryIds(home)[0];
      await h.clickInHome(USERS.owner, 'audit_newer', undefined, undefined, home);
      home = await homeOf(USERS.owner, (c) => isAuditPage(c) && entryIds(c)[0] !== previous);
    }
    expect(entryIds(home)).toEqual(entryIds(first));
  });

  it('never shows the log to an admin or a member, even when they replay an owner\'s "Older"', async () => {
    mark = h.api.calls.at(-1)?.seq ?? 0;
    await h.openHome(USERS.owner);
    await homeOf(USERS.owner);
    await h.clickInHome(USERS.owner, 'home_tab_audit');
    const ownerPage = await homeOf(USERS.owner, isAuditPage);
    for (const user of [USERS.admin, USERS.bob]) {
      await h.openHome(user);
      const own = await homeOf(user);
      expect(actionIdsOf(own.args.view.blocks)).not.toContain('home_tab_audit');

      await h.clickInHome(user, 'audit_older', undefined, undefined, ownerPage);
      const refused = await homeOf(user, (c) => JSON.stringify(c.args.view.blocks).includes('Only owners of Acme can read the audit log.'));
      expect(entryIds(refused)).toEqual([]);
      expect(isAuditPage(refused)).toBe(false);

      // Replaying the owner's tab button shows "My usage" and says why.
      await h.clickInHome(user, 'home_tab_audit', undefined, undefined, ownerPage);
      const forged = await homeOf(user, (c) => JSON.stringify(c.args.view.blocks).includes('Only owners can read the audit log.'));
      expect(entryIds(forged)).toEqual([]);
    }
  });
});
