// "Continue on extra usage" in Teams, through botbuilder's CloudAdapter against the
// local connector stand-in: a member who chose not to continue reads the one wording
// at the seat limit on their usage card, with one button, "Continue on extra usage";
// the card action turns it on (authorize lets them through at once), the "continue
// off" command turns it off again, and each change is audited as via teams.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeUsage } from '../../../src/ledger/metering/authorize.js';
import { recordUsage } from '../../../src/ledger/metering/record.js';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import { HAIKU, usageOfCents } from '../../support/fixtures.js';
import { provision } from '../../support/ledger.js';
import { personalConversationId } from '../../support/teams-connector.js';
import { buttonData, buttonsOf, ledgerRequests, startTeamsHarness, teamsEnterpriseDoc, textOf, USERS, type TeamsHarness } from '../../support/teams-harness.js';

let scratch: Scratch;
let h: TeamsHarness;
let orgId: string;
const dm = (u: { aadObjectId: string }) => personalConversationId(u.aadObjectId);

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  const db = scratch.db.prisma;
  orgId = (await provision(db, 'acme', teamsEnterpriseDoc())).orgId;
  // Owners chose "off" as the default; Alice made no choice of her own.
  await db.organization.update({ where: { id: orgId }, data: { continueOnExtraUsageDefault: false } });
  await recordUsage(db, { orgId, requestId: 'alice-seat', member: 'alice', model: HAIKU, usage: usageOfCents(120), at: new Date() }, new Date());
  h = await startTeamsHarness(db, ledgerRequests(db));
}, 120_000);
afterAll(async () => {
  await h?.close();
  await scratch?.dispose();
});

const authorize = () => authorizeUsage(scratch.db.prisma, { orgId, member: 'alice', model: HAIKU, at: new Date() });

describe('continue on extra usage in Teams', () => {
  it('the usage card shows the pause and one button; the card action turns it on, "continue off" turns it off', async () => {
    expect(await authorize()).toMatchObject({ allowed: false, reason: 'continue_on_extra_usage_off' });
    await h.message(USERS.alice, 'usage');
    const [usage] = await h.connector.waitFor('send', (c) => c.conversationId === dm(USERS.alice));
    const card = h.connector.cardOf(usage!);
    expect(textOf(card)).toContain('Paused: You have used the usage included in your seat, and you chose not to continue on extra usage; it lifts');
    expect(textOf(card)).toContain("Continue on extra usage when your seat's included usage runs out: off (your organisation's default).");
    expect(buttonsOf(card)).toContain('Continue on extra usage');

    const click = buttonData(card, 'Continue on extra usage');
    const after = h.cardOf(await h.invoke(USERS.alice, click.verb, click.data));
    expect(textOf(after)).toContain('Saved: you continue on extra usage when your included usage runs out');
    expect(textOf(after)).toContain('Your next request uses extra usage');
    expect(buttonsOf(after)).toContain("Stop at my seat's limit");
    expect(await authorize()).toMatchObject({ allowed: true, mode: 'extra' });

    await h.message(USERS.alice, 'continue off');
    await h.connector.waitFor('send', (c) => c.conversationId === dm(USERS.alice) && textOf(h.connector.cardOf(c) ?? {}).includes("Saved: you stop at your seat's limit"));
    expect(await authorize()).toMatchObject({ allowed: false, reason: 'continue_on_extra_usage_off' });

    const entries = await scratch.db.prisma.auditEntry.findMany({ where: { orgId, action: 'continue.member.set' }, orderBy: { id: 'asc' } });
    expect(entries.map((e) => [e.actor.endsWith('(alice) via teams'), e.before, e.after])).toEqual([
      [true, { enabled: false, setBy: 'org_default' }, { enabled: true, setBy: 'member' }],
      [true, { enabled: true, setBy: 'member' }, { enabled: false, setBy: 'member' }],
    ]);
  }, 120_000);
});
