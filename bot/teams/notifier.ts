// The notifier port for Teams. Messages go to each person's personal chat with the
// bot (a stored conversation reference, or one created through the Bot Connector),
// and every card sent is remembered as a ChatMessage row (channel 'teams',
// conversation id, activity id, request id), so:
//  - a retried activity does not send a second copy of a request to the same admin;
//  - when a request closes, every admin's copy is updated in place (PUT activity).
// One recipient failing does not stop the others; the failures are raised
// afterwards so the activity retries (and the rows make it send only what is missing).
import { loadOrg } from '../../src/ledger/limits-state.js';
import type { AlertView, DigestView, Notifier, Person, RequestView, SendOptions } from '../../src/notify/port.js';
import type { ConversationRef, OutgoingMessage } from './activity.js';
import { alertCard } from './cards/alert.js';
import { attachment, type AdaptiveCard } from './cards/card.js';
import { digestCard, pagesOf } from './cards/digest.js';
import { outcomeForRequesterCard, requestCard } from './cards/request.js';
import type { TeamsDeps } from './deps.js';
import { adminUserIds, usageScreen } from './screens.js';

type Purpose = 'request' | 'reminder' | 'outcome' | 'alert' | 'digest' | 'usage';

export type TeamsNotifierDeps = Pick<TeamsDeps, 'db' | 'transport' | 'conversations' | 'now' | 'log'>;

const message = (card: AdaptiveCard, summary: string): OutgoingMessage => ({ summary, attachments: [attachment(card)] });

type Reachable = Person & { teamsUserId: string };
const reachable = (people: Person[]) => people.filter((p): p is Reachable => !!p.teamsUserId);

export function teamsNotifier(deps: TeamsNotifierDeps): Notifier {
  const { db } = deps;

  const timeZoneOf = async (orgId: string) => (await db.organization.findUniqueOrThrow({ where: { id: orgId }, select: { timezone: true } })).timezone;

  async function sent(orgId: string, purpose: Purpose, requestId: string | null, memberId: string): Promise<boolean> {
    return (await db.chatMessage.count({ where: { orgId, channel: 'teams', purpose, requestId, memberId } })) > 0;
  }

  /** Sends to a person's personal chat and remembers the message. False when they cannot be reached. */
  async function send(orgId: string, person: Reachable, purpose: Purpose, requestId: string | null, msg: OutgoingMessage): Promise<boolean> {
    const ref = await deps.conversations.personal(orgId, { memberId: person.memberId, teamsUserId: person.teamsUserId, name: person.name });
    if (!ref) return false;
    let activityId = '';
    await deps.transport.continue(ref, async (turn) => {
      activityId = await turn.send(msg);
    });
    await db.chatMessage.create({ data: { orgId, channel: 'teams', purpose, requestId, memberId: person.memberId, conversationId: ref.conversation.id, messageId: activityId } });
    return true;
  }

  /** Runs one send per item; raises all failures at the end. */
  async function each<T>(items: T[], fn: (item: T) => Promise<unknown>) {
    const results = await Promise.allSettled(items.map(fn));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length) {
      throw new AggregateError(failed.map((f) => f.reason), `teams: ${failed.length} of ${items.length} message(s) failed: ${failed.map((f) => String((f.reason as Error)?.message ?? f.reason)).join('; ')}`);
    }
  }

  async function sendCards(r: RequestView, admins: Person[], purpose: 'request' | 'reminder') {
    const [timezone, refreshUserIds] = await Promise.all([timeZoneOf(r.orgId), adminUserIds(deps, r.orgId)]);
    const card = requestCard(r, { timezone, mode: 'base', reminder: purpose === 'reminder', refreshUserIds });
    const summary = `${purpose === 'reminder' ? 'Reminder: ' : ''}${r.requester.name} asks for more usage`;
    await each(reachable(admins), async (admin) => {
      if (await sent(r.orgId, purpose, r.requestId, admin.memberId)) return;
      await send(r.orgId, admin, purpose, r.requestId, message(card, summary));
    });
  }

  async function referenceOf(orgId: string, conversationId: string): Promise<ConversationRef | null> {
    const row = await db.teamsConversation.findFirst({ where: { orgId, conversationId } });
    return row ? (row.reference as unknown as ConversationRef) : null;
  }

  return {
    async requestOpened(r, admins) {
      await sendCards(r, admins, 'request');
    },

    async requestReminder(r, admins) {
      if (r.status === 'pending') await sendCards(r, admins, 'reminder');
    },

    async requestClosed(r, _admins) {
      const timezone = await timeZoneOf(r.orgId);
      const copies = await db.chatMessage.findMany({ where: { orgId: r.orgId, channel: 'teams', requestId: r.requestId, purpose: { in: ['request', 'reminder'] } } });
      const tasks: (() => Promise<void>)[] = copies.map((m) => async () => {
        const ref = await referenceOf(r.orgId, m.conversationId);
        if (!ref) return deps.log(`[teams] no stored conversation ${m.conversationId}; copy ${m.messageId} of request ${r.requestId} left as it was`);
        const card = requestCard(r, { timezone, mode: 'base', reminder: m.purpose === 'reminder' });
        await deps.transport.continue(ref, (turn) => turn.update(m.messageId, message(card, `${r.requester.name}'s request: ${r.status}`)));
      });
      const requester = r.requester;
      if (requester.teamsUserId) {
        tasks.push(async () => {
          if (await sent(r.orgId, 'outcome', r.requestId, requester.memberId)) return;
          await send(r.orgId, requester as Reachable, 'outcome', r.requestId, message(outcomeForRequesterCard(r, timezone), `Your request for more usage: ${r.status}`));
        });
      }
      await each(tasks, (t) => t());
    },

    async alert(a: AlertView, to: Person[], opts?: SendOptions) {
      const org = await loadOrg(db, a.orgId);
      await each(reachable(to), async (person) => {
        if (a.kind === 'seat_limit_reached' && a.member?.memberId === person.memberId) {
          // A refused member gets their usage card, with "Request extra usage" where it applies.
          const member = await db.member.findUnique({ where: { id: person.memberId } });
          if (!member || member.removedAt) return;
          const card = await usageScreen(deps, org, member, { alert: { title: a.title, text: a.text } });
          await send(a.orgId, person, 'usage', null, message(card, a.title));
          return;
        }
        const forOwner = person.role === 'owner' || person.role === 'primary_owner';
        await send(a.orgId, person, 'alert', null, message(alertCard(a, org.timezone, forOwner && !a.member), a.title));
        await opts?.delivered?.(person.memberId); // a retry skips them (src/notify/fanout.ts)
      });
    },

    async digest(d: DigestView, admins: Person[], opts?: SendOptions) {
      if (d.requests.length === 0) return;
      const [timezone, refreshUserIds] = await Promise.all([timeZoneOf(d.orgId), adminUserIds(deps, d.orgId)]);
      const pages = pagesOf(d.requests);
      const cards = pages.map((page, index) => digestCard(page, { orgName: d.orgName, timezone, mode: 'base', list: 'digest', at: d.at, page: { index, count: pages.length }, refreshUserIds }));
      await each(reachable(admins), async (admin) => {
        for (const card of cards) await send(d.orgId, admin, 'digest', null, message(card, `${d.requests.length} extra usage request(s) waiting`));
        await opts?.delivered?.(admin.memberId);
      });
    },
  };
}
