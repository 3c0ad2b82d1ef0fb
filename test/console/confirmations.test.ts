// Confirmations and forms on the Usage page, in Chromium: what is hard to undo (extra
// usage off, scope to selected members, set to unlimited, a member's extra usage off, a
// seat change) is asked first on a page saying who loses what, and Cancel changes
// nothing; members are changed several at once with checkboxes, each audited; a failed
// form shows an error summary that takes the focus and links to each field; and every
// form ends on a GET page, so reloading never sends it again. Each page at 390 and
// 1280 px: nothing wider than the screen, no serious or critical axe finding.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { migrated, scratchPglite, type Scratch } from '../support/databases.js';
import { enterpriseDoc } from '../support/fixtures.js';
import { consoleHarness, focusedId, pageOverflow, postsFrom, screenshot, seriousViolations, submitAndLand, type ConsoleHarness } from './support.js';

let scratch: Scratch;
let h: ConsoleHarness;
let orgId: string;
const SLUG = 'acme';

beforeAll(async () => {
  scratch = await migrated(scratchPglite);
  h = await consoleHarness(scratch.db.prisma, new Date());
  await h.provision(SLUG, enterpriseDoc());
  orgId = (await scratch.db.prisma.organization.findUniqueOrThrow({ where: { slug: SLUG } })).id;
}, 60_000);
afterAll(async () => {
  await h?.shutdown();
  await scratch?.dispose();
});

const db = () => scratch.db.prisma;
const member = (ref: string) => db().member.findFirstOrThrow({ where: { orgId, externalId: ref } });

/** Everything a cancelled or refused change must leave as it was. */
async function state() {
  const [org, members, audit] = await Promise.all([
    db().organization.findUniqueOrThrow({ where: { id: orgId } }),
    db().member.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    db().auditEntry.count({ where: { orgId, NOT: { action: { startsWith: 'sign_in_link' } } } }),
  ]);
  return JSON.stringify({ org, members, audit }, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
}

/** The page fits 390 and 1280 px and passes axe at both; screenshots at both when asked. */
async function fitsAndPasses(page: Page, shot?: string) {
  for (const width of [390, 1280]) {
    await page.setViewportSize({ width, height: 800 });
    expect(await pageOverflow(page), `${page.url()} at ${width} px`).toBe(0);
    expect(await seriousViolations(page), `${page.url()} at ${width} px`).toEqual([]);
    if (shot) await screenshot(page, `${shot}-${width}`);
  }
}

/** The organisation's Spending cap section (exact: not "Spending cap per seat tier"). */
const ORG_CAP = { name: 'Spending cap', exact: true };
const heading = (page: Page) => page.getByRole('heading', { level: 1 }).textContent();
const effect = (page: Page) => page.getByTestId('effect').textContent();

/** Cancels the confirmation on the page: back at Usage, nothing changed. */
async function cancel(page: Page, before: string) {
  await page.getByRole('link', { name: 'Cancel' }).click();
  await page.waitForURL((u) => u.pathname === '/usage');
  expect(await state()).toBe(before);
}

describe('confirming what is hard to undo', () => {
  it('each change says its effect first, and Cancel changes nothing', async () => {
    const { context, page } = await h.signedIn(SLUG, 'owner-1', '/usage');
    const before = await state();
    const asks: { act: () => Promise<unknown>; title: string; says: string }[] = [
      {
        act: async () => {
          await page.getByLabel('Off', { exact: true }).check();
          await page.getByRole('button', { name: 'Save' }).click();
        },
        title: 'Turn extra usage off?',
        says: '4 members lose extra usage. Extra usage turns off for the whole organisation',
      },
      {
        act: async () => {
          await page.getByLabel('Scope').selectOption('selected_members');
          await page.getByRole('button', { name: 'Save' }).click();
        },
        title: 'Switch extra usage to selected members?',
        says: '4 members lose extra usage.',
      },
      {
        act: async () => {
          await page.getByRole('region', ORG_CAP).getByText('Adjust limit').click();
          await page.getByRole('region', ORG_CAP).getByRole('button', { name: 'Set to unlimited' }).click();
        },
        title: 'Set the organisation\'s spending cap to unlimited?',
        says: 'The organisation\'s monthly cap of $1,000.00 is removed.',
      },
      {
        act: async () => {
          const row = page.getByRole('region', { name: 'Spending cap per seat tier' }).getByRole('row', { name: /Standard/ });
          await row.getByText('Adjust limit').click();
          await row.getByRole('button', { name: 'Set to unlimited' }).click();
        },
        title: 'Set the spending cap of Standard seats to unlimited?',
        says: 'The spending cap of $500.00 for Standard seats is removed.',
      },
      {
        act: async () => {
          const row = page.locator('tr[data-member="alice"]');
          await row.getByText('…').click();
          await row.getByRole('button', { name: 'Set to unlimited' }).click();
        },
        title: 'Set Alice\'s limit to unlimited?',
        says: 'Alice\'s monthly limit of $50.00 is removed.',
      },
      {
        act: async () => {
          const row = page.locator('tr[data-member="alice"]');
          await row.getByText('…').click();
          await row.getByLabel('Seat').selectOption('premium');
          await row.getByRole('button', { name: 'Change seat' }).click();
        },
        title: 'Move Alice to a Premium seat?',
        says: 'Alice moves from a Standard to a Premium seat at once: the Premium seat\'s included usage ($3.00 of included usage every 5 hours) and cap apply, and the seat is billed at the Premium seat\'s price.',
      },
    ];
    for (const ask of asks) {
      await submitAndLand(page, ask.act);
      expect(new URL(page.url()).pathname, ask.title).toBe('/usage/confirm');
      expect(await heading(page)).toBe(ask.title);
      expect(await effect(page)).toContain(ask.says);
      expect(await state(), ask.title).toBe(before);
      if (ask.title.startsWith('Switch')) await fitsAndPasses(page, 'confirm-selected-members');
      // The confirmation is a GET page: reloading it asks again and changes nothing.
      await page.reload();
      expect(await heading(page)).toBe(ask.title);
      await cancel(page, before);
    }
    await context.close();
  });

  it('confirming does it, once: the address is Usage again and a reload sends nothing', async () => {
    const { context, page } = await h.signedIn(SLUG, 'owner-1', '/usage');
    await page.getByRole('region', ORG_CAP).getByText('Adjust limit').click();
    await submitAndLand(page, () => page.getByRole('region', ORG_CAP).getByRole('button', { name: 'Set to unlimited' }).click());
    await submitAndLand(page, () => page.getByRole('button', { name: 'Set to unlimited' }).click());
    expect(new URL(page.url()).pathname).toBe('/usage');
    expect(await page.getByRole('status').textContent()).toContain('Spending cap saved');
    expect((await db().organization.findUniqueOrThrow({ where: { id: orgId } })).orgMonthlyCapNanos).toBeNull();
    const audits = await db().auditEntry.count({ where: { orgId, action: 'cap.org.set' } });
    expect(audits).toBe(1);
    const posts = postsFrom(page);
    await page.reload();
    expect(posts.count()).toBe(0);
    expect(await db().auditEntry.count({ where: { orgId, action: 'cap.org.set' } })).toBe(1);

    // Selected members: confirmed with how many lose it; then nobody has extra usage until turned on.
    await submitAndLand(page, async () => {
      await page.getByLabel('Scope').selectOption('selected_members');
      await page.getByRole('button', { name: 'Save' }).click();
    });
    await submitAndLand(page, () => page.getByRole('button', { name: 'Switch to selected members' }).click());
    expect((await db().organization.findUniqueOrThrow({ where: { id: orgId } })).extraUsageScope).toBe('selected_members');
    await context.close();
  });
});

describe('changing several members at once', () => {
  it('turns extra usage on, sets a cap and turns it off for the selected rows only, confirmed with how many change, audited per member', async () => {
    const { context, page } = await h.signedIn(SLUG, 'owner-1', '/usage');
    expect((await db().organization.findUniqueOrThrow({ where: { id: orgId } })).extraUsageScope).toBe('selected_members');
    const tick = async (...names: string[]) => {
      for (const name of names) await page.getByLabel(`Select ${name}`).check();
    };
    const bulk = page.getByTestId('bulk');
    const auditOf = async (action: string) => (await db().auditEntry.findMany({ where: { orgId, action } })).map((a) => a.subject).sort();

    // Nobody selected: the summary says so, focused, and nothing changes.
    const before = await state();
    const refused = await submitAndLand(page, () => bulk.getByRole('button', { name: 'Apply to selected' }).click());
    expect(refused.status()).toBe(400);
    expect(await page.getByTestId('error-summary').textContent()).toContain('select at least one member');
    expect(await focusedId(page)).toBe('error-summary');
    expect(await state()).toBe(before);

    // On for Alice and Bob.
    await tick('Alice', 'Bob');
    await bulk.getByLabel('For the selected members').selectOption('extra-on');
    await submitAndLand(page, () => bulk.getByRole('button', { name: 'Apply to selected' }).click());
    expect(await heading(page)).toBe('Turn extra usage on for 2 members?');
    expect(await effect(page)).toContain('2 members change: Alice and Bob will each get extra usage.');
    await fitsAndPasses(page, 'confirm-bulk');
    expect(await state()).toBe(before);
    await submitAndLand(page, () => page.getByRole('button', { name: 'Turn extra usage on for 2 members' }).click());
    expect(new URL(page.url()).pathname).toBe('/usage');
    expect(await page.getByRole('status').textContent()).toContain('The selected members were changed');
    expect([(await member('alice')).extraUsageEnabled, (await member('bob')).extraUsageEnabled, (await member('admin-1')).extraUsageEnabled]).toEqual([true, true, false]);
    const [alice, bob] = [await member('alice'), await member('bob')];
    expect(await auditOf('extra_usage.member.set')).toEqual([`member:${alice.id}`, `member:${bob.id}`].sort());

    // A $75 cap for both.
    await tick('Alice', 'Bob');
    await bulk.getByLabel('For the selected members').selectOption('cap');
    await bulk.getByLabel('Limit in USD (for Set cap)').fill('75');
    await submitAndLand(page, () => bulk.getByRole('button', { name: 'Apply to selected' }).click());
    expect(await effect(page)).toContain('2 members change: Alice and Bob will each get a monthly limit of $75.00.');
    await submitAndLand(page, () => page.getByRole('button', { name: 'Set cap for 2 members' }).click());
    expect([(await member('alice')).extraUsageCapNanos, (await member('bob')).extraUsageCapNanos]).toEqual([75_000_000_000n, 75_000_000_000n]);
    expect(await auditOf('cap.member.set')).toEqual([`member:${alice.id}`, `member:${bob.id}`].sort());

    // Off for Bob only; Cancel first changes nothing.
    await tick('Bob');
    await bulk.getByLabel('For the selected members').selectOption('extra-off');
    await submitAndLand(page, () => bulk.getByRole('button', { name: 'Apply to selected' }).click());
    expect(await effect(page)).toContain('1 member change: Bob will lose extra usage.');
    const beforeOff = await state();
    await cancel(page, beforeOff);
    await tick('Bob');
    await bulk.getByLabel('For the selected members').selectOption('extra-off');
    await submitAndLand(page, () => bulk.getByRole('button', { name: 'Apply to selected' }).click());
    await submitAndLand(page, () => page.getByRole('button', { name: 'Turn extra usage off for 1 member' }).click());
    expect([(await member('alice')).extraUsageEnabled, (await member('bob')).extraUsageEnabled]).toEqual([true, false]);
    expect((await db().auditEntry.findMany({ where: { orgId, action: 'extra_usage.member.set' } })).length).toBe(3);
    await context.close();
  });

  it('an admin is not offered the checkboxes, and a forced bulk change is refused with nothing changed', async () => {
    const { context, page } = await h.signedIn(SLUG, 'admin-1', '/usage');
    expect(await page.getByTestId('bulk').count()).toBe(0);
    expect(await page.getByRole('checkbox').count()).toBe(0);
    const before = await state();
    const alice = await member('alice');
    const csrf = await page.locator('input[name=_csrf]').first().inputValue();
    for (const confirm of ['', 'yes']) {
      const res = await page.request.post(`${h.base}/usage/members-bulk`, { form: { member: alice.id, op: 'unlimited', confirm, _csrf: csrf } });
      expect(res.status()).toBe(403);
    }
    expect(await state()).toBe(before);
    await context.close();
  });
});

describe('a form that fails', () => {
  it('shows an error summary that takes the focus and links to the field, at the page\'s own address; reloading sends nothing', async () => {
    const { context, page } = await h.signedIn(SLUG, 'owner-1', '/usage');
    const before = await state();
    const row = page.locator('tr[data-member="bob"]');
    await row.getByText('…').click();
    await row.getByRole('textbox').fill('twelve');
    const res = await submitAndLand(page, () => row.getByRole('button', { name: /Set (limit|cap)/ }).click());
    expect(res.status()).toBe(400);
    expect(new URL(page.url()).pathname).toBe('/usage');
    const summary = page.getByTestId('error-summary');
    expect(await summary.getByRole('heading').textContent()).toBe('There is a problem');
    expect(await focusedId(page)).toBe('error-summary');
    const input = page.locator('tr[data-member="bob"]').getByRole('textbox');
    expect(await input.inputValue()).toBe('twelve');
    expect(await input.getAttribute('aria-invalid')).toBe('true');
    const link = summary.getByRole('link');
    expect(await link.textContent()).toContain('Enter an amount in US dollars');
    expect(await link.getAttribute('href')).toBe(`#${await input.getAttribute('id')}`);
    await fitsAndPasses(page, 'usage-error-summary');
    await link.click();
    await expect.poll(() => focusedId(page)).toBe(await input.getAttribute('id'));
    expect(await state()).toBe(before);

    // A reload is a GET of /usage: the form is not sent again, the summary is gone.
    const posts = postsFrom(page);
    const again = await page.reload();
    expect(again!.request().method()).toBe('GET');
    expect(again!.status()).toBe(200);
    expect(posts.count()).toBe(0);
    expect(await page.getByTestId('error-summary').count()).toBe(0);
    expect(await state()).toBe(before);
    await context.close();
  });

  it('the kept page is shown once, only to the session that posted', async () => {
    const owner = await h.signedIn(SLUG, 'owner-1', '/usage');
    await owner.page.getByRole('region', ORG_CAP).getByText('Adjust limit').click();
    await owner.page.getByLabel('Organisation spending cap in USD').fill('1.234');
    await submitAndLand(owner.page, () => owner.page.getByRole('region', ORG_CAP).getByRole('button', { name: 'Set cap' }).click());
    expect(await owner.page.getByTestId('error-summary').count()).toBe(1);
    // What the database keeps is encrypted and gone once shown.
    expect(await db().consoleFlash.count()).toBe(0);

    // The cookie of a failed form carried to another session shows that session nothing of it.
    const csrf = await owner.page.locator('input[name=_csrf]').first().inputValue();
    const res = await owner.page.request.post(`${h.base}/usage/org-cap`, { form: { action: 'set', cap: '2.345', back: '/usage', _csrf: csrf }, maxRedirects: 0 });
    expect(res.status()).toBe(303);
    expect(res.headers().location).toBe('/usage');
    const setCookie = res.headersArray().find((x) => x.name.toLowerCase() === 'set-cookie' && x.value.startsWith('eu_flash='))!.value;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    const stored = await db().consoleFlash.findFirstOrThrow();
    expect(Buffer.from(stored.body).toString('utf8')).not.toContain('2.345');
    const other = await h.signedIn(SLUG, 'owner-1', '/me');
    await other.context.addCookies([{ name: 'eu_flash', value: /^eu_flash=([^;]+)/.exec(setCookie)![1]!, url: h.base }]);
    await other.page.goto(`${h.base}/usage`);
    expect(await other.page.getByTestId('error-summary').count()).toBe(0);
    expect(await other.page.locator('input[name=cap]').first().inputValue()).not.toBe('2.345');
    // Taken by the wrong session, it is gone for the right one too: shown once, at most.
    expect(await db().consoleFlash.count()).toBe(0);
    await owner.context.close();
    await other.context.close();
  });
});
