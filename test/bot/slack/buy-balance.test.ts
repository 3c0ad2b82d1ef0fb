// "Buy balance" in Slack: a team owner gets a Stripe Checkout link (the real `stripe`
// SDK against the local stand-in), never a card form in chat; nothing is credited
// until Stripe's webhook says paid; members are refused on the server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stripePurchases } from '../../../src/payments/purchases.js';
import { createStripeClient } from '../../../src/payments/stripe-client.js';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import { teamDoc } from '../../support/fixtures.js';
import { provision } from '../../support/ledger.js';
import type { SlackCall } from '../../support/slack-api.js';
import { actionIdsOf, noRequests, startSlackHarness, USERS, type SlackHarness } from '../../support/slack-harness.js';
import { startStripeStandIn, type StripeStandIn } from '../../support/stripe-api.js';

let scratch: Scratch;
let h: SlackHarness;
let standIn: StripeStandIn;
let orgId: string;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  const doc = teamDoc({ autoReload: { enabled: false } });
  const slackIds: Record<string, string> = { 'owner-1': USERS.owner, alice: USERS.alice };
  ({ orgId } = await provision(scratch.db.prisma, 'acme', { ...doc, members: doc.members.map((m) => ({ ...m, slackUserId: slackIds[m.externalId] })) }));
  standIn = await startStripeStandIn();
  const stripe = createStripeClient({ secretKey: standIn.secretKey, apiBase: standIn.base });
  h = await startSlackHarness(scratch.db.prisma, noRequests(), { purchases: stripePurchases(scratch.db.prisma, stripe, { publicUrl: 'https://usage.example.com' }) });
});
afterAll(async () => {
  h?.expectWithinLimits();
  await h?.close();
  await standIn?.close();
  await scratch?.dispose();
});

let mark = 0;
const homeOf = async (user: string, where: (c: SlackCall) => boolean = () => true) => {
  const home = (await h.api.waitFor('views.publish', (c) => c.seq > mark && c.args.user_id === user && where(c))).at(-1)!;
  mark = home.seq;
  return home;
};
async function openSettings(user: string) {
  mark = h.api.calls.length ? h.api.calls.at(-1)!.seq : 0;
  await h.openHome(user);
  await homeOf(user);
  await h.clickInHome(user, 'home_tab_settings');
  return homeOf(user, (c) => JSON.stringify(c.args.view.blocks).includes('settings_buy_balance'));
}
const balance = async () => (await scratch.db.prisma.organization.findUniqueOrThrow({ where: { id: orgId } })).balanceNanos;

describe('Buy balance in Slack', () => {
  it('answers the owner with the Checkout link and credits nothing until paid', async () => {
    const home = await openSettings(USERS.owner);
    expect(actionIdsOf(home.args.view.blocks)).toContain('settings_buy_balance');
    await h.clickInHome(USERS.owner, 'settings_buy_balance');
    const [modal] = await h.api.waitFor('views.open', (c) => c.args.view?.callback_id === 'buy_balance');
    // The amount is all it asks: card details are entered on Stripe's page, never in chat.
    expect(modal!.args.view.blocks.filter((b: any) => b.type === 'input').map((b: any) => b.block_id)).toEqual(['buy_amount']);

    for (const bad of ['', 'fifty', '0', '12.345']) {
      const res = await h.submit(USERS.owner, modal!, { buy_amount: bad });
      expect(res.json).toMatchObject({ response_action: 'errors', errors: { buy_amount: expect.stringContaining('US dollars') } });
    }
    expect(standIn.sessions.size).toBe(0);

    const ok = await h.submit(USERS.owner, modal!, { buy_amount: '$25' });
    expect(ok.json).toMatchObject({ response_action: 'update' });
    const viewId = { ...modal!.args.view, ...modal!.response.view }.id;
    const [updated] = await h.api.waitFor('views.update', (c) => c.args.view_id === viewId && JSON.stringify(c.args.view).includes('Stripe Checkout'));
    const [session] = [...standIn.sessions.values()];
    expect(session).toMatchObject({ amount_total: 2500, metadata: { orgId, purchaseKey: `slack:${viewId}` } });
    expect(JSON.stringify(updated!.args.view)).toContain(`<${session!.url}|`);
    await homeOf(USERS.owner, (c) => JSON.stringify(c.args.view.blocks).includes(session!.url));
    expect(await balance()).toBe(0n);

    // Submitting the same modal again is the same purchase: the same link.
    await h.submit(USERS.owner, modal!, { buy_amount: '25.00' });
    await h.api.waitFor('views.update', (c) => c.seq > updated!.seq && c.args.view_id === viewId && JSON.stringify(c.args.view).includes(session!.url));
    expect(standIn.sessions.size).toBe(1);
  });

  it('refuses a member who sends the Buy action anyway, without calling Stripe', async () => {
    const ownerHome = await openSettings(USERS.owner);
    const calls = standIn.calls.length;
    const opened = h.api.of('views.open').length;
    // The owner's Home payload replayed as a member.
    await h.clickInHome(USERS.alice, 'settings_buy_balance', undefined, undefined, ownerHome);
    await h.api.waitFor('views.publish', (c) => c.args.user_id === USERS.alice && JSON.stringify(c.args.view.blocks).includes('Only owners of Small Team'));
    // The modal, if they had one, is refused on submit too.
    const modal = h.api.of('views.open').find((c) => c.args.view?.callback_id === 'buy_balance')!;
    const res = await h.submit(USERS.alice, modal, { buy_amount: '5.00' });
    expect(res.json).toMatchObject({ response_action: 'update', view: { title: { text: 'Not allowed' } } });
    expect(h.api.of('views.open').length).toBe(opened);
    expect(standIn.calls.length).toBe(calls);
  });

  it('turning extra usage on with a zero balance opens "Buy balance" at once, and the settings say nobody can use it yet', async () => {
    await scratch.db.prisma.organization.update({ where: { id: orgId }, data: { extraUsageEnabled: false } });
    expect(await balance()).toBe(0n);
    await openSettings(USERS.owner);
    const opened = h.api.of('views.open').length;
    await h.clickInHome(USERS.owner, 'settings_set_extra_usage', (v) => v === 'on');
    const [modal] = await h.api.waitFor('views.open', (c) => c.args.view?.callback_id === 'buy_balance' && h.api.of('views.open').indexOf(c) >= opened);
    expect(JSON.stringify(modal!.args.view.blocks)).toContain('Balance $0.00: nobody can use extra usage yet');
    const home = await homeOf(USERS.owner, (c) => JSON.stringify(c.args.view.blocks).includes('settings_no_balance'));
    const text = JSON.stringify(home.args.view.blocks);
    expect(text).toContain('Balance $0.00: nobody can use extra usage yet');
    expect(text).toContain('extra usage on — no balance');
    expect((await scratch.db.prisma.organization.findUniqueOrThrow({ where: { id: orgId } })).extraUsageEnabled).toBe(true);
    // The modal is the ordinary purchase: a Checkout link for what the owner types.
    const sessions = standIn.sessions.size;
    expect((await h.submit(USERS.owner, modal!, { buy_amount: '40' })).json).toMatchObject({ response_action: 'update' });
    await expect.poll(() => standIn.sessions.size).toBe(sessions + 1);
  });
});
