// Every notice the activities send is first kept in each recipient's console inbox,
// then handed to the channels (log, email, Slack, Teams). Kept first and on its own:
// a channel that is down fails the activity after the inbox has it, and the retry
// finds the entry already kept (the notice's delivery key is its natural key).
import { DEFAULT_COOLDOWN_AFTER_DENIAL_MS } from '../domain/requests.js';
import { keepInInbox, retitleRequestEntries, type InboxNotice } from '../ledger/notices/inbox.js';
import { alertText, digestText, requestClosedText, requestOpenedText, requestOutcomeTitle, requestPage, requestReminderText, type InboxText } from '../notify/inbox-format.js';
import { isOwnersAlert, type Notifier, type Person, type RequestView } from '../notify/port.js';
import type { ActivityDeps } from './deps.js';

export function keptInInbox(deps: ActivityDeps): Notifier {
  const { db, notifier } = deps;
  const cooldownMs = deps.cooldownAfterDenialMs ?? DEFAULT_COOLDOWN_AFTER_DENIAL_MS;
  const timeZoneOf = async (orgId: string) => (await db.organization.findUnique({ where: { id: orgId }, select: { timezone: true } }))?.timezone ?? 'UTC';

  /** Only members of the org have an inbox (operators, for one, do not). */
  async function keep(orgId: string, to: Person[], key: string, text: InboxText): Promise<void> {
    const ids = [...new Set(to.map((p) => p.memberId))];
    const members = await db.member.findMany({ where: { orgId, id: { in: ids } }, select: { id: true } });
    const notices: InboxNotice[] = members.map((m) => ({ memberId: m.id, noticeKey: key, ...text }));
    await keepInInbox(db, orgId, notices, deps.now());
  }

  /** A denial tells the member when they may ask again. */
  const withAskAgain = (r: RequestView): RequestView =>
    r.status === 'denied' && r.decidedAt && !r.anthropic ? { ...r, mayAskAgainAt: new Date(Date.parse(r.decidedAt) + cooldownMs).toISOString() } : r;

  return {
    async requestOpened(r, admins, opts) {
      await keep(r.orgId, admins, opts?.deliveryKey ?? `request-opened:${r.requestId}`, requestOpenedText(r, await timeZoneOf(r.orgId)));
      await notifier.requestOpened(r, admins, opts);
    },
    async requestReminder(r, admins, opts) {
      await keep(r.orgId, admins, opts?.deliveryKey ?? `request-reminder:${r.requestId}`, requestReminderText(r, await timeZoneOf(r.orgId)));
      await notifier.requestReminder(r, admins, opts);
    },
    async requestClosed(request, admins, opts) {
      const r = withAskAgain(request);
      await keep(r.orgId, [r.requester], opts?.deliveryKey ?? `request-closed:${r.requestId}:${r.status}`, requestClosedText(r, await timeZoneOf(r.orgId), r.mayAskAgainAt ?? null));
      // The deciders' entries say how it ended, as their chat copies are updated in place.
      await retitleRequestEntries(db, r.orgId, requestPage(r), requestOutcomeTitle(r), r.requester.memberId);
      await notifier.requestClosed(r, admins, opts);
    },
    async alert(a, to, opts) {
      await keep(a.orgId, to, opts?.deliveryKey ?? `alert:${a.kind}:${a.title}`, alertText(a, await timeZoneOf(a.orgId), !isOwnersAlert(a)));
      await notifier.alert(a, to, opts);
    },
    async digest(d, admins, opts) {
      await keep(d.orgId, admins, opts?.deliveryKey ?? `digest:${d.orgId}:${d.at}`, digestText(d, await timeZoneOf(d.orgId)));
      await notifier.digest(d, admins, opts);
    },
  };
}
