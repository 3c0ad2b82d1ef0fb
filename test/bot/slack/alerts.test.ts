// Cap alerts in Slack, through the real notifier and Bolt app: times in the org's
// timezone (never raw ISO), and owners' copies carry "Adjust limit", which opens that
// limit's modal for an owner and is refused for anyone else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertView } from '../../../src/notify/port.js';
import { personOf } from '../../../src/ledger/settings/people.js';
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

const orgAlert = (): AlertView => ({
  kind: 'org_cap_threshold', orgId, orgName: 'Acme', title: 'Acme reached 80% of its monthly limit',
  text: '$800.00 of $1,000.00 spent; the limit resets 2026-12-31T23:00:00.000Z.', facts: { Spent: '$800.00', Limit: '$1,000.00', Resets: '2026-12-31T23:00:00.000Z' },
});

describe('Slack cap alerts', () => {
  it("shows times in the org's timezone and gives owners an 'Adjust limit' that opens the org limit's modal", async () => {
    const owner = personOf(await member('owner-1'));
    await h.slack.notifier.alert(orgAlert(), [owner]);
    const [dm] = await h.api.waitFor('chat.postMessage', (c) => c.response.channel === `D_${USERS.owner}` && textOf(c.args.blocks).includes('alert_title'));
    const text = textOf(dm!.args.blocks);
    expect(text).toContain('1 Jan 2027, 00:00 (Europe/Paris)');
    expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:/);
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

  it("offers 'Adjust limit' on a member's cap alert to owners only, opening that member's limit", async () => {
    const alice = personOf(await member('alice'));
    const owner = personOf(await member('owner-1'));
    const capAlert: AlertView = { kind: 'member_cap_reached', orgId, orgName: 'Acme', title: 'Alice reached their monthly limit', text: '*Al_ice* <script> used $50.00 of $50.00', facts: { Member: '*Al_ice*', Cap: '$50.00' }, member: alice };
    await h.slack.notifier.alert(capAlert, [alice, owner]);
    const [toAlice] = await h.api.waitFor('chat.postMessage', (c) => c.response.channel === `D_${USERS.alice}` && textOf(c.args.blocks).includes('Alice reached'));
    const [toOwner] = await h.api.waitFor('chat.postMessage', (c) => c.response.channel === `D_${USERS.owner}` && textOf(c.args.blocks).includes('Alice reached'));
    expect(actionIdsOf(toAlice!.args.blocks)).toEqual([]);
    // Names render as typed: no tags, no bold or italics.
    expect(textOf(toAlice!.args.blocks)).toContain('*\u200bAl_\u200bice*\u200b &lt;script&gt;');
    expect(textOf(toAlice!.args.blocks)).not.toContain('<script>');
    expect(actionIdsOf(toOwner!.args.blocks)).toEqual(['settings_adjust_limit']);
    await h.clickInMessage(USERS.owner, toOwner!, 'settings_adjust_limit');
    await h.api.waitFor('views.open', (c) => c.args.view?.callback_id === 'adjust_limit' && textOf(c.args.view.blocks).includes("Alice's monthly limit"));
  });
});
