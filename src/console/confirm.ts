// Confirming what is hard to undo, without script: the form posts as usual; when the
// change needs a confirmation and the post does not carry confirm=yes, the server sends
// the browser to a page of its own (a GET, safe to reload) that says the effect in words
// and posts the same fields again with confirm=yes, or cancels back to where it came from.
// The page is built from the address alone, so nothing a person typed is kept anywhere.
import { usdCents } from '../domain/display.js';
import type { OrgWithTiers } from '../ledger/limits-state.js';
import { csrfField } from './forms.js';
import type { PageContext } from './guard.js';
import { html, type Html } from './html.js';
import { layout, type PageInput } from './layout.js';
import { durationWords } from '../domain/display.js';

export interface Confirmation {
  /** The question, e.g. "Turn extra usage off?". */
  title: string;
  /** What will happen, in words (who loses what). */
  effect: Html;
  /** The button that does it, e.g. "Turn extra usage off". */
  button: string;
  /** More fields shown on the page (the reason for a denial). */
  extra?: Html;
  /** A change that takes nothing away (turning extra usage on) is not shown as a danger. */
  gives?: boolean;
}

/** The fields a form posted, as they go into the confirmation's address (never the CSRF token). */
export function postedFields(body: Record<string, unknown>): [string, string][] {
  const out: [string, string][] = [];
  for (const [name, value] of Object.entries(body)) {
    if (name === '_csrf' || name === 'confirm') continue;
    for (const v of Array.isArray(value) ? value : [value]) if (typeof v === 'string' && v.length <= 200) out.push([name, v]);
  }
  return out;
}

/** The confirmation page's address: `page` with the posted fields and `to` (where they go). */
export function confirmAddress(page: string, to: string, fields: [string, string][]): string {
  const p = new URLSearchParams([['to', to], ...fields]);
  return `${page}?${p.toString()}`;
}

/** The page asking to confirm: the effect, the button that posts the fields with confirm=yes, and Cancel. */
export function confirmationPage(ctx: PageContext, c: Confirmation, post: { to: string; fields: [string, string][]; cancel: string; current?: PageInput['current'] }): Html {
  return layout({
    title: c.title,
    viewer: ctx.viewer,
    csrf: ctx.csrf,
    current: post.current,
    body: html`<h1>${c.title}</h1>
<section class="confirm" aria-labelledby="confirm-effect-h" data-testid="confirmation"><h2 id="confirm-effect-h" class="visually-hidden">What changes</h2>
<div data-testid="effect">${c.effect}</div>
<form method="post" action="${post.to}">${csrfField(ctx.csrf)}${post.fields.map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}<input type="hidden" name="confirm" value="yes">
${c.extra ?? ''}
<div class="actions"><button type="submit"${c.gives ? '' : html` class="danger"`}>${c.button}</button><a href="${post.cancel}">Cancel</a></div></form>
</section>`,
  });
}

/** Moving a member to another seat tier: what they get and lose, from the org's tiers. */
export function seatConfirmation(org: OrgWithTiers, name: string, to: 'standard' | 'premium'): Confirmation {
  const tier = org.seatTiers.find((t) => t.tier === to);
  const allowance = tier ? ` (${usdCents(tier.includedAllowanceNanos)} of included usage every ${durationWords(tier.windowMinutes)})` : '';
  return to === 'premium'
    ? { title: `Move ${name} to a Premium seat?`, button: 'Upgrade to a Premium seat', effect: html`<p><strong>${name} moves from a Standard to a Premium seat</strong> at once: the Premium seat's included usage${allowance} and cap apply, and the seat is billed at the Premium seat's price.</p>` }
    : { title: `Move ${name} to a Standard seat?`, button: 'Move to a Standard seat', effect: html`<p><strong>${name} moves from a Premium to a Standard seat</strong> at once: they get the Standard seat's included usage${allowance} and cap, which are lower.</p>` };
}
