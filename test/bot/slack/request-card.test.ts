// The request card an admin gets in Slack, sent by the real Slack notifier for a request
// the ledger opened: the requester mentioned once, no internal id, the decider's
// context (spend this month in cents, the member's limit, the org's budget left, an
// earlier denial) and names rendered as typed (no tags, no bold or italics).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRequest, requestView } from '../../../src/ledger/requests/requests.js';
import { recordUsage } from '../../../src/ledger/metering/record.js';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import { provision } from '../../support/ledger.js';
import { personOf } from '../../../src/ledger/settings/people.js';
import { noRequests, slackEnterpriseDoc, startSlackHarness, textOf, USERS, type SlackHarness } from '../../support/slack-harness.js';

let scratch: Scratch;
let h: SlackHarness;
let orgId: string;
const NOW = new Date();

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  const doc = slackEnterpriseDoc();
  doc.members.push({ externalId: 'mallory', name: '<script>*Mal_lory*', role: 'member', seatTier: 'standard', slackUserId: null } as never);
  orgId = (await provision(scratch.db.prisma, 'acme', doc)).orgId;
  h = await startSlackHarness(scratch.db.prisma, noRequests());
});
afterAll(async () => {
  h?.expectWithinLimits();
  await h?.close();
  await scratch?.dispose();
});

const db = () => scratch.db.prisma;
const member = (externalId: string) => db().member.findUniqueOrThrow({ where: { orgId_externalId: { orgId, externalId } } });
let runs = 0;
async function ask(externalId: string, note: string | null = null, requestedAt = NOW) {
  const m = await member(externalId);
  const id = await openRequest(db(), { orgId, memberId: m.id, workflowId: `wf-${++runs}`, runId: `run-${runs}`, requestedAt, note });
  return requestView(db(), id, NOW);
}
async function cardTo(slackUserId: string, requestId: string) {
  const admins = [personOf(await member('admin-1'))];
  expect(admins[0]!.slackUserId).toBe(slackUserId);
  const [card] = await h.api.waitFor('chat.postMessage', (c) => c.response.channel === `D_${slackUserId}` && textOf(c.args.blocks).includes(`req:${requestId}:`));
  return card!;
}

describe('Slack request card', () => {
  it('mentions the requester once, shows no internal id, and gives the decider the context in cents', async () => {
    // Alice ($1.00 included a window) uses $2.335: $1.335 extra this month.
    await recordUsage(db(), { orgId, requestId: 'u-1', member: 'alice', model: 'claude-haiku-4-5', usage: { input_tokens: 0, output_tokens: 233.5 * 2_000 }, at: NOW }, NOW);
    const r = await ask('alice', 'Quarter-end *report*');
    await h.slack.notifier.requestOpened(r, [personOf(await member('admin-1'))]);
    const card = await cardTo(USERS.admin, r.requestId);
    const blocks = textOf(card.args.blocks);
    expect(blocks.split(`<@${USERS.alice}>`).length - 1).toBe(1);
    const visible = card.args.blocks.flatMap((b: any) => [b.text?.text, ...(b.fields ?? []).map((f: any) => f.text), ...(b.elements ?? []).map((e: any) => e.text?.text ?? e.text)]).filter(Boolean).join('\n');
    expect(visible).not.toContain(r.requestId);
    expect(visible).not.toContain('Alice'); // the mention is the name
    expect(visible).toContain('*Extra usage this month*\n$1.34');
    expect(visible).not.toContain('1.335');
    expect(visible).toContain('*Their monthly limit*\n$50.00');
    expect(visible).toContain('*Organisation budget left*\n$998.67 this month');
    expect(visible).toContain('Quarter-end *\u200breport*\u200b');
  });

  it('shows an earlier denial with its reason', async () => {
    const first = await ask('bob', null, new Date(NOW.getTime() - 3_600_000));
    await db().extraUsageRequest.update({ where: { id: first.requestId }, data: { status: 'denied', decision: 'deny', reason: 'Budget review', decidedAt: NOW, decidedById: (await member('owner-1')).id, openForMember: null } });
    const second = await ask('bob');
    await h.slack.notifier.requestOpened(second, [personOf(await member('admin-1'))]);
    const blocks = textOf((await cardTo(USERS.admin, second.requestId)).args.blocks);
    expect(blocks).toContain('Previously denied by Olivia Owner');
    expect(blocks).toContain('Budget review');
    expect(blocks).toContain('*Their monthly limit*\\nUnlimited');
  });

  it('renders a name with tags or formatting characters as typed', async () => {
    const r = await ask('mallory');
    await h.slack.notifier.requestOpened(r, [personOf(await member('admin-1'))]);
    const card = await cardTo(USERS.admin, r.requestId);
    const blocks = textOf(card.args.blocks);
    expect(blocks).not.toContain('<script>');
    expect(blocks).toContain('&lt;script&gt;*\u200bMal_\u200blory*\u200b');
    expect(card.args.text).not.toContain('<script>');
  });

  it('says "Extra usage off" for a member who has none, never "Unlimited"', async () => {
    // Selected members only, and Carol is not one: a cap of hers would mean nothing.
    await db().organization.update({ where: { id: orgId }, data: { extraUsageScope: 'selected_members' } });
    await db().member.update({ where: { orgId_externalId: { orgId, externalId: 'carol' } }, data: { extraUsageEnabled: false } });
    const r = await ask('carol');
    await h.slack.notifier.requestOpened(r, [personOf(await member('admin-1'))]);
    const blocks = textOf((await cardTo(USERS.admin, r.requestId)).args.blocks);
    expect(blocks).toContain('*Their monthly limit*\\nExtra usage off');
    expect(blocks).not.toContain('Unlimited');
  });
});
