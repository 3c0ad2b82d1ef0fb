// A bar of spend against a cap (GitHub's budgets page has one): a native <meter>, no
// script and no inline style for the CSP, with the same fact in words beside it, so
// "at risk" (from 80%) and "reached" never rest on colour alone.
import { capUse } from '../domain/cap-use.js';
import type { Nanos } from '../domain/money.js';
import { html, type Html } from './html.js';

/** "[bar] 85% used: at risk"; nothing for no cap (Unlimited). `what` names the cap for screen readers. */
export function capBar(spent: Nanos, cap: Nanos | null, what: string): Html {
  const use = capUse(spent, cap);
  if (!use) return html``;
  const word = use.level === 'reached' ? 'reached' : use.level === 'at_risk' ? 'at risk' : '';
  return html`<span class="cap-use ${use.level}" data-cap-use="${use.level}"><meter min="0" max="100" low="80" high="99" optimum="0" value="${Math.min(use.percent, 100)}" aria-label="${what}: ${use.percent}% used"></meter> <span>${use.percent}% used${word ? html`: <strong>${word}</strong>` : ''}</span></span>`;
}

/** A table row's class when its cap is at risk or reached (highlighted, with the words in capBar). */
export function capRowClass(spent: Nanos, cap: Nanos | null): string {
  const level = capUse(spent, cap)?.level;
  return level === 'at_risk' || level === 'reached' ? 'cap-at-risk' : '';
}
