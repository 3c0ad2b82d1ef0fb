// "Get payment link" in Teams: a team owner types an amount and gets a Stripe
// Checkout link (the real `stripe` SDK against the local stand-in) as an Open URL
// button, never a card form in chat; nothing is credited until Stripe's webhook says
// paid; members are refused whatever the card data says.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stripePurchases } from '../../../src/payments/purchases.js';
import { createStripeClient } from '../../../src/payments/stripe-client.js';
import type { RequestService } from '../../../src/services/requests.js';
import { migrated, scratchPglite, type Scratch } from '../../support/databases.js';
import { provision } from '../../support/ledger.js';
import { startStripeStandIn, type StripeStandIn } from '../../support/stripe-api.js';
import { buttonData, buttonsOf, startTeamsHarness, teamsTeamDoc, textOf, USERS, type TeamsHarness } from '../../support/teams-harness.js';

let scratch: Scratch;
let h: TeamsHarness;
let standIn: StripeStandIn;
let orgId: string;

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  ({ orgId } = await provision(scratch.db.prisma, 'acme', teamsTeamDoc({ autoReload: { enabled: false } })));
  standIn = await startStripeStandIn();
  const stripe = createStripeClient({ secretKey: standIn.secretKey, apiBase: standIn.base });
  h = await startTeamsHarness(scratch.db.prisma, {} as RequestService, { purchases: stripePurchases(scratch.db.prisma, stripe, { publicUrl: 'https://usage.example.com' }) });
});
afterAll(async () => {
  await h?.close();
  await standIn?.close();
  await scratch?.dispose();
});

/** Action.OpenUrl buttons of a card: [title, url]. */
function openUrls(card: unknown): [string, string][] {
  const out: [string, string][] = [];
  const walk = (n: unknown) => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    const o = n as Record<string, unknown>;
    if (o.type === 'Action.OpenUrl') out.push([o.title as string, o.url as string]);
    Object.values(o).forEach(walk);
  };
  walk(card);
  return out;
}
const balance = async () => (await scratch.db.prisma.organization.findUniqueOrThrow({ where: { id: orgId } })).balanceNanos;

describe('Buy balance in Teams', () => {
  it('answers the owner with a Pay button to Stripe Checkout and credits nothing until paid', async () => {
    const settings = h.cardOf(await h.invoke(USERS.owner, 'settings.show', { verb: 'settings.show', screen: 'balance', page: 0 }));
    expect(buttonsOf(settings)).toContain('Get payment link');
    const buy = buttonData(settings, 'Get payment link');
    expect(buy.data.purchaseKey).toMatch(/^[A-Za-z0-9-]{8,64}$/);

    for (const [typed, error] of [['', 'Enter the amount'], ['lots', 'is not an amount'], ['0', 'more than zero']] as const) {
      const refused = h.cardOf(await h.invoke(USERS.owner, buy.verb, { ...buy.data, buyAmount: typed }));
      expect(textOf(refused)).toContain(error);
    }
    expect(standIn.sessions.size).toBe(0);

    const answered = h.cardOf(await h.invoke(USERS.owner, buy.verb, { ...buy.data, buyAmount: '30' }));
    const [session] = [...standIn.sessions.values()];
    expect(session).toMatchObject({ amount_total: 3000, metadata: { orgId, purchaseKey: `teams:${buy.data.purchaseKey}` } });
    expect(openUrls(answered)).toEqual([['Pay $30.00', session!.url]]);
    expect(textOf(answered)).toContain('payment link for $30.00 is ready');
    expect(await balance()).toBe(0n);

    // The same card clicked again is the same purchase: the same link.
    const again = h.cardOf(await h.invoke(USERS.owner, buy.verb, { ...buy.data, buyAmount: '30' }));
    expect(openUrls(again)).toEqual([['Pay $30.00', session!.url]]);
    expect(standIn.sessions.size).toBe(1);
  });

  it('refuses a member who sends the action anyway, without calling Stripe', async () => {
    const settings = h.cardOf(await h.invoke(USERS.owner, 'settings.show', { verb: 'settings.show', screen: 'balance', page: 0 }));
    const buy = buttonData(settings, 'Get payment link');
    const calls = standIn.calls.length;
    const refused = h.cardOf(await h.invoke(USERS.alice, buy.verb, { ...buy.data, buyAmount: '10' }));
    expect(textOf(refused)).toContain('Only owners');
    expect(openUrls(refused)).toEqual([]);
    expect(standIn.calls.length).toBe(calls);
  });

  it('turning extra usage on with a zero balance answers with the Balance card and its Buy form; every settings card says nobody can use it yet', async () => {
    const off = h.cardOf(await h.invoke(USERS.owner, 'settings.extraUsage', { verb: 'settings.extraUsage', page: 0, extraUsageEnabled: 'false', extraUsageScope: 'all_members' }));
    expect(textOf(off)).not.toContain('nobody can use extra usage yet');
    expect(await balance()).toBe(0n);
    const on = h.cardOf(await h.invoke(USERS.owner, 'settings.extraUsage', { verb: 'settings.extraUsage', page: 0, extraUsageEnabled: 'true', extraUsageScope: 'all_members' }));
    expect(textOf(on)).toContain('Extra usage is on. Balance $0.00: nobody can use extra usage yet');
    // Straight into buying: the card is the Balance screen with "Get payment link".
    expect(buttonsOf(on)).toContain('Get payment link');
    const buy = buttonData(on, 'Get payment link');
    const sessions = standIn.sessions.size;
    const answered = h.cardOf(await h.invoke(USERS.owner, buy.verb, { ...buy.data, buyAmount: '40' }));
    expect(openUrls(answered).map(([title]) => title)).toEqual(['Pay $40.00']);
    expect(standIn.sessions.size).toBe(sessions + 1);
    // The menu and Members say so until there is a balance.
    const menu = h.cardOf(await h.invoke(USERS.owner, 'settings.show', { verb: 'settings.show', screen: 'menu', page: 0 }));
    expect(textOf(menu)).toContain('Balance $0.00: nobody can use extra usage yet');
    const members = h.cardOf(await h.invoke(USERS.owner, 'settings.show', { verb: 'settings.show', screen: 'members', page: 0 }));
    expect(textOf(members)).toContain('on — no balance');
  });
});

