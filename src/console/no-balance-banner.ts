// The banner every console page shows while a Team org's extra usage is on with
// nothing to spend: owners are sent to buy balance, everyone else told who can.
import { noBalanceWords } from '../domain/alerts.js';
import { availableBalance, onWithoutBalance } from '../domain/balance-watch.js';
import { isOwner } from '../ledger/actors.js';
import { html, type Html } from './html.js';
import type { Viewer } from './session.js';

export function noBalanceBanner(viewer: Viewer): Html {
  if (!onWithoutBalance(viewer.org)) return html``;
  const next = isOwner(viewer.member) ? html`<a href="/usage#buy">Buy balance</a> to let members use it.` : html`An owner can add funds.`;
  return html`<div class="alert" data-testid="no-balance-banner"><strong>${noBalanceWords(availableBalance(viewer.org))}.</strong> ${next}</div>`;
}
