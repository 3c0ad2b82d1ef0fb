// "Ask to raise my limit" in Slack, end to end with the real Temporal dev server, the
// real worker (its notifier is the Slack app's) and the real Bolt app over signed HTTP:
// a member stopped by their own cap clicks "Ask to raise my limit" on the App Home, the
// modal is pre-filled with the suggestion, a raise above the org's cap is refused in
// words (nothing stored), then "Request sent to owners"; only the owner gets the card
// and raises the cap with "Increase limit"; an admin on the App Home reads that an
// owner must decide; the member is told.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerOnlyPayments } from '../../../src/payments/port.js';
import { recordUsage } from '../../../src/ledger/metering/record.js';
import { requestService } from '../../../src/services/requests.js';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import { HAIKU, usageOfCents } from '../../support/fixtures.js';
import { provision } from '../../support/ledger.js';
import { actionIdsOf, slackEnterpriseDoc, startSlackHarness, USERS, type SlackHarness } from '../../support/slack-harness.js';
import { devServerEnv, testWorker } from '../../support/temporal.js';

const DAY = 86_400_000;
let scratch: Scratch;
let env: TestWorkflowEnvironment;
let worker: Awaited<ReturnType<typeof testWorker>>;
let h: SlackHarness;
let orgId: string;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  const db = scratch.db.prisma;
  env = await devServerEnv();
  const o = await provision(db, 'acme', slackEnterpriseDoc());
  orgId = o.orgId;
  // Alice (cap $50.00): $1.00 included, then $51.00 extra, past her cap.
  await recordUsage(db, { orgId, requestId: 'alice-past-cap', member: 'alice', model: HAIKU, usage: usageOfCents(5200), at: new Date() }, new Date());
  const taskQueue = `slack-raise-${process.pid}`;
  const requests = requestService({ db, client: env.client, taskQueue, timings: { remindAfterMs: DAY, expireAfterMs: 7 * DAY }, now: () => new Date() });
  h = await startSlackHarness(db, requests);
  worker = await testWorker(env, { db, notifier: h.slack.notifier, payments: ledgerOnlyPayments(db), now: () => new Date() }, { taskQueue });
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await h?.close();
  await env?.teardown();
  await scratch?.dispose();
});

const text = (x: unknown) => JSON.stringify(x);

describe('asking to raise a limit in Slack', () => {
  it('a member stopped by their cap asks owners from the App Home; the owner raises it with Increase limit', async () => {
    const db = scratch.db.prisma;
    await h.openHome(USERS.alice);
    const [home] = await h.api.waitFor('views.publish', (c) => c.args.user_id === USERS.alice);
    expect(actionIdsOf(home!.args.view.blocks)).toContain('request_raise_limit');
    expect(text(home!.args.view.blocks)).toContain('To go on sooner, ask to raise your limit');

    await h.clickInHome(USERS.alice, 'request_raise_limit');
    const [modal] = await h.api.waitFor('views.open', (c) => c.args.view?.callback_id === 'raise_limit');
    const amountBlock = modal!.args.view.blocks.find((b: { block_id?: string }) => b.block_id === 'amount');
    const suggested = amountBlock.element.initial_value as string;
    expect(suggested).toMatch(/^\d+\.00$/);
    expect(Number(suggested)).toBeGreaterThan(50);

    // Malformed: answered inline. Above the org's $1,000.00 cap: refused in words on the Home. Nothing stored either way.
    expect((await h.submit(USERS.alice, modal!, { amount: 'lots' })).json).toMatchObject({ response_action: 'errors', errors: { amount: expect.any(String) } });
    expect((await h.submit(USERS.alice, modal!, { amount: '1500' })).status).toBe(200);
    await h.api.waitFor('views.publish', (c) => c.args.user_id === USERS.alice && text(c.args.view.blocks).includes("above the organisation's monthly limit of $1,000.00"));
    expect(await db.extraUsageRequest.count({ where: { orgId } })).toBe(0);

    expect((await h.submit(USERS.alice, modal!, { amount: suggested, note: 'launch week' })).status).toBe(200);
    await h.api.waitFor('views.publish', (c) => c.args.user_id === USERS.alice && text(c.args.view.blocks).includes('Request sent to owners'));

    // Only the owner gets the card (only owners change caps), with Increase limit and Deny.
    const [card] = await h.api.waitFor('chat.postMessage', (c) => text(c.args.blocks).includes('Request to raise a limit'));
    expect(card!.response.channel).toBe(`D_${USERS.owner}`);
    expect(actionIdsOf(card!.args.blocks)).toEqual(['decide_increase_limit', 'decide_deny']);
    expect(text(card!.args.blocks)).toContain(`asks to raise their monthly limit ($50.00); suggested $${suggested}`);
    const request = await db.extraUsageRequest.findFirstOrThrow({ where: { orgId, status: 'pending' } });
    let stored = 0;
    for (let i = 0; i < 300 && stored < 1; i++) {
      stored = await db.chatMessage.count({ where: { requestId: request.id, purpose: 'request' } });
      if (stored < 1) await new Promise((r) => setTimeout(r, 50));
    }

    // An admin on the App Home's Requests tab reads that an owner must decide: no buttons.
    await h.openHome(USERS.admin);
    await h.api.waitFor('views.publish', (c) => c.args.user_id === USERS.admin);
    await h.clickInHome(USERS.admin, 'home_tab_requests', () => true);
    const [adminHome] = await h.api.waitFor('views.publish', (c) => c.args.user_id === USERS.admin && text(c.args.view.blocks).includes('an owner must decide this request'));
    expect(actionIdsOf(adminHome!.args.view.blocks)).not.toContain('decide_increase_limit');

    await h.clickInMessage(USERS.owner, card!, 'decide_increase_limit');
    const [decide] = await h.api.waitFor('views.open', (c) => c.args.view?.callback_id === 'decision_increase_limit');
    expect(text(decide!.args.view.blocks)).toContain(`"initial_value":"${suggested}"`);
    expect((await h.submit(USERS.owner, decide!, { amount: suggested, period: 'monthly' })).status).toBe(200);
    await h.api.waitFor('chat.postMessage', (c) => c.response.channel === `D_${USERS.alice}` && text(c.args.blocks).includes(`Your request to raise your monthly limit was approved`));
    const alice = await db.member.findFirstOrThrow({ where: { orgId, externalId: 'alice' } });
    expect(alice.extraUsageCapNanos).toBe(BigInt(Number(suggested)) * 1_000_000_000n);
    h.expectWithinLimits();
  }, 120_000);
});
