// Several requests in one card: the admins' daily digest of outstanding requests,
// and the "Pending requests" list an admin opens from their usage card. Each
// request has the same decisions as its own card. Long lists are split into
// cards of DIGEST_PAGE requests.
import type { RequestView } from '../../../src/notify/port.js';
import { VERB } from '../actions.js';
import { actionSet, banner, card, container, execute, heading, text, type AdaptiveCard, type CardAction, type CardElement, type Notice } from './card.js';
import { decidesIt, decisionControls, OWN_REQUEST_TEXT, OWNER_DECIDES_TEXT, requestFacts, requestTitle, type CardMode, type DecisionForm } from './request.js';
import { when } from './format.js';

/** Requests per card: the worst case (long names, notes, earlier denials, the decider's context, 60 refresh ids) stays under Teams' ~28 KB. */
export const DIGEST_PAGE = 3;
/** Notes are cut to this in a list; the request's own card shows them whole. */
const NOTE_IN_LIST = 160;

export interface DigestCardOptions {
  orgName: string;
  timezone: string;
  mode: CardMode;
  list: 'digest' | 'pending';
  /** The digest's time (for its title). */
  at?: string;
  page?: { index: number; count: number };
  notice?: Notice | undefined;
  form?: DecisionForm | null;
  refreshUserIds?: string[];
  /** The member viewing the card ('admin' mode): their own request is read-only. */
  viewerMemberId?: string;
  /** False for an admin: a request to raise a limit reads "an owner must decide". */
  viewerIsOwner?: boolean;
}

export function pagesOf<T>(items: T[], size = DIGEST_PAGE): T[][] {
  const pages: T[][] = [];
  for (let i = 0; i < items.length; i += size) pages.push(items.slice(i, i + size));
  return pages;
}

export function digestCard(requests: RequestView[], o: DigestCardOptions): AdaptiveCard {
  const tz = o.timezone;
  const requestIds = requests.map((r) => r.requestId);
  const origin = { card: 'digest' as const, requestIds, list: o.list };
  const waiting = requests.filter((r) => r.status === 'pending').length;
  const title = o.list === 'digest' ? 'Daily digest: extra usage requests' : 'Requests waiting for a decision';
  const subtitle = [
    o.orgName,
    o.at ? when(o.at, tz) : null,
    `${waiting} waiting`,
    o.page && o.page.count > 1 ? `part ${o.page.index + 1} of ${o.page.count}` : null,
  ].filter(Boolean).join(' · ');
  const body: CardElement[] = [...(o.notice ? [banner(o.notice)] : []), ...heading(title, subtitle)];
  if (requests.length === 0) body.push(text('No request is waiting for a decision.', { isSubtle: true }));
  for (const r of requests) {
    const items: CardElement[] = [requestTitle(r, { size: 'Medium' }), ...requestFacts(r, tz, NOTE_IN_LIST, { context: o.mode !== 'readonly' })];
    if (r.status === 'pending' && r.raise && o.mode === 'admin' && o.viewerIsOwner === false && r.requester.memberId !== o.viewerMemberId) {
      items.push(text(OWNER_DECIDES_TEXT, { isSubtle: true, id: `owner:${r.requestId}` }));
    } else if (r.status === 'pending' && decidesIt(r, o.mode, o.viewerMemberId)) {
      const controls = decisionControls(r, origin, o.form ?? null);
      items.push(actionSet(controls.actions, { id: `actions:${r.requestId}` }), ...controls.open);
    } else if (r.status === 'pending' && o.mode === 'admin') {
      items.push(text(OWN_REQUEST_TEXT, { isSubtle: true, id: `own:${r.requestId}` }));
    }
    body.push(container(items, { separator: true, spacing: 'Medium', id: `request:${r.requestId}` }));
  }
  let actions: CardAction[] = [];
  if (o.mode === 'base' && waiting > 0) actions = [execute('Review requests', VERB.digestView, { requestIds, list: o.list }, { id: 'review-requests' })];
  if (o.mode === 'readonly' && waiting > 0) body.push(text('Only admins and owners of the organisation can decide requests.', { isSubtle: true }));
  const refresh = waiting > 0 && requestIds.length > 0 ? { verb: VERB.digestView, data: { requestIds, list: o.list }, userIds: o.refreshUserIds ?? [] } : null;
  return card(body, { actions, refresh });
}
