// "Continue on extra usage" in Slack, through the real Bolt app over signed HTTP: a
// member who chose not to continue reads the one wording at the seat limit in /usage;
// `/usage continue` turns it back on in one step (authorize lets them through at once),
// the App Home's button turns it off again, and each change is audited as via slack.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeUsage } from '../../../src/ledger/metering/authorize.js';
import { recordUsage } from '../../../src/ledger/metering/record.js';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import { HAIKU, usageOfCents } from '../../support/fixtures.js';
import { provision } from '../../support/ledger.js';
import { actionIdsOf, noRequests, slackEnterpriseDoc, startSlackHarness, USERS, type SlackHarness } from '../../support/slack-harness.js';

let scratch: Scratch;
let h: SlackHarness;
let orgId: string;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  const db = scratch.db.prisma;
  orgId = (await provision(db, 'acme', slackEnterpriseDoc())).orgId;
  const alice = await db.member.findFirstOrThrow({ where: { orgId, externalId: 'alice' } });
  await db.member.update({ where: { id: alice.id }, data: { continueOnExtraUsage: false } });
  // Alice uses her $1.00 of included usage and a little more.
  await recordUsage(db, { orgId, requestId: 'alice-seat', member: 'alice', model: HAIKU, usage: usageOfCents(120), at: new Date() }, new Date());
  h = await startSlackHarness(db, noRequests());
}, 120_000);
afterAll(async () => {
  await h?.close();
  await scratch?.dispose();
});

const text = (x: unknown) => JSON.stringify(x);
const authorize = () => authorizeUsage(scratch.db.prisma, { orgId, member: 'alice', model: HAIKU, at: new Date() });

describe('continue on extra usage in Slack', () => {
  it('/usage shows the pause and the button; /usage continue turns it on; the App Home button turns it off', async () => {
    expect(await authorize()).toMatchObject({ allowed: false, reason: 'continue_on_extra_usage_off' });

    const first = await h.command(USERS.alice);
    const [usage] = await h.api.waitFor('response_url', (c) => first.responseUrl.endsWith(c.args.url));
    expect(text(usage!.args.blocks)).toContain('You are paused: You have used the usage included in your seat, and you chose not to continue on extra usage; it lifts');
    expect(text(usage!.args.blocks)).toContain('To go on now, choose \\"Continue on extra usage\\"');
    expect(actionIdsOf(usage!.args.blocks)).toContain('member_set_continue');

    const on = await h.command(USERS.alice, '/usage', 'continue');
    const [saved] = await h.api.waitFor('response_url', (c) => on.responseUrl.endsWith(c.args.url));
    expect(saved!.args.text).toContain('Saved: you continue on extra usage when your included usage runs out');
    expect(text(saved!.args.blocks)).toContain('Your next request uses extra usage');
    expect(await authorize()).toMatchObject({ allowed: true, mode: 'extra' });

    const bad = await h.command(USERS.alice, '/usage', 'continue maybe');
    const [refused] = await h.api.waitFor('response_url', (c) => bad.responseUrl.endsWith(c.args.url));
    expect(refused!.args.text).toContain('Nothing was changed');

    await h.openHome(USERS.alice);
    await h.api.waitFor('views.publish', (c) => c.args.user_id === USERS.alice && text(c.args.view.blocks).includes("Stop at my seat's limit"));
    await h.clickInHome(USERS.alice, 'member_set_continue', (v) => v === 'off');
    await h.api.waitFor('views.publish', (c) => c.args.user_id === USERS.alice && text(c.args.view.blocks).includes("Saved: you stop at your seat's limit"));
    expect(await authorize()).toMatchObject({ allowed: false, reason: 'continue_on_extra_usage_off' });

    const entries = await scratch.db.prisma.auditEntry.findMany({ where: { orgId, action: 'continue.member.set' }, orderBy: { id: 'asc' } });
    expect(entries.map((e) => [e.actor.endsWith('(alice) via slack'), e.after])).toEqual([
      [true, { enabled: true, setBy: 'member' }],
      [true, { enabled: false, setBy: 'member' }],
    ]);
    h.expectWithinLimits();
  }, 120_000);
});
