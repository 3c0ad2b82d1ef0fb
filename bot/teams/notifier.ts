// The notifier port for Teams. Messages go to each person's personal chat with the
// bot (a stored conversation reference, or one created through the Bot Connector),
// and every card sent is remembered as a ChatMessage row (channel 'teams',
// conversation id, activity id, request id), so:
//  - a retried activity does not send a second copy of a request to the same admin;
//  - a reminder updates each admin's copy of the request in place (the card then
//    reads "Reminder: …"), instead of posting another message;
//  - when a request closes, every admin's copy is updated in place (PUT activity),
//    and so is every digest card that lists it (the requests a digest message lists
//    are its ChatMessageRequest rows).
// Owners' alerts are also posted to the team channel owners chose (bot/teams/channel.ts),
// once per notice (purpose 'channel-alert:<delivery key>').
// One recipient failing does not stop the others; the failures are raised
// afterwards so the activity retries (and the rows make it send only what is missing).
import { loadOrg } from '../../src/ledger/limits-state.js';
import { orgRequest } from '../../src/ledger/requests/requests.js';
import { isOwnersAlert, type AlertView, type DigestView, type Notifier, type Person, type RequestView, type SendOptions } from '../../src/notify/port.js';
import type { ConversationRef, OutgoingMessage } from './activity.js';
import { alertCard } from './cards/alert.js';
import { attachment, type AdaptiveCard } from './cards/card.js';
import { digestCard, pagesOf } from './cards/digest.js';
import { outcomeForRequesterCard, requestCard } from './cards/request.js';
import type { TeamsDeps } from './deps.js';
import { adminUserIds, usageScreen } from './screens.js';
import { unreachableNotice } from './unreachable-notice.js';

type Purpose = 'request' | 'reminder' | 'outcome' | 'alert' | 'digest' | 'usage';

export type TeamsNotifierDeps = Pick<TeamsDeps, 'db' | 'transport' | 'conversations' | 'now' | 'log' | 'publicUrl'>;

const message = (card: AdaptiveCard, summary: string): OutgoingMessage => ({ summary, attachments: [attachment(card)] });

type Reachable = Person & { teamsUserId: string };
const reachable = (people: Person[]) => people.filter((p): p is Reachable => !!p.teamsUserId);

export function teamsNotifier(deps: TeamsNotifierDeps): Notifier {
  const { db } = deps;
  const notice = unreachableNotice(deps);

  const timeZoneOf = async (orgId: string) => (await db.organization.findUniqueOrThrow({ where: { id: orgId }, select: { timezone: true } })).timezone;

  async function sent(orgId: string, purpose: Purpose, requestId: string | null, memberId: string): Promise<boolean> {
    return (await db.chatMessage.count({ where: { orgId, channel: 'teams', purpose, requestId, memberId } })) > 0;
  }

  /** Sends to a person's personal chat and remembers the message (and the requests it lists). False when they cannot be reached. */
  async function send(orgId: string, person: Reachable, purpose: Purpose, requestId: string | null, msg: OutgoingMessage, lists: string[] = []): Promise<boolean> {
    const ref = await deps.conversations.personal(orgId, { memberId: person.memberId, teamsUserId: person.teamsUserId, name: person.name });
    if (!ref) {
      await notice.tellOwners(orgId);
      return false;
    }
    let activityId = '';
    await deps.transport.continue(ref, async (turn) => {
      activityId = await turn.send(msg);
    });
    await db.chatMessage.create({
      data: {
        orgId, channel: 'teams', purpose, requestId, memberId: person.memberId, conversationId: ref.conversation.id, messageId: activityId,
        ...(lists.length ? { requests: { create: lists.map((id) => ({ requestId: id })) } } : {}),
      },
    });
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
      const copies = await db.chatMessage.findMany({ where: { orgId: r.orgId, channel: 'teams', requestId: r.requestId, memberId: admin.memberId, purpose: { in: ['request', 'reminder'] } } });
      if (purpose === 'request' && copies.length) {
        // A request from Claude picked up again after a reconnect: the admin's copies become decidable again, no second card.
        if (r.anthropic && r.status === 'pending') for (const m of copies) await updateCopy(r.orgId, m, message(requestCard(r, { timezone, mode: 'base', reminder: m.purpose === 'reminder', refreshUserIds }), summary));
        return;
      }
      if (purpose === 'reminder' && copies.length) {
        // A reminder is the admin's copy updated in place (it then reads "Reminder: …"), not another message.
        for (const m of copies) await updateCopy(r.orgId, m, message(card, summary));
        return;
      }
      // An admin with no copy yet (added since, or unreachable then) gets one now.
      await send(r.orgId, admin, purpose, r.requestId, message(card, summary));
    });
  }

  /** Replaces a message the bot sent earlier; a conversation no longer stored is logged and left. */
  async function updateCopy(orgId: string, m: { conversationId: string; messageId: string }, msg: OutgoingMessage, activityId = m.messageId) {
    const ref = await referenceOf(orgId, m.conversationId);
    if (!ref) return deps.log(`[teams] no stored conversation ${m.conversationId}; message ${activityId} left as it was`);
    await deps.transport.continue(ref, (turn) => turn.update(activityId, msg));
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
      const [copies, digests] = await Promise.all([
        db.chatMessage.findMany({ where: { orgId: r.orgId, channel: 'teams', requestId: r.requestId, purpose: { in: ['request', 'reminder'] } } }),
        db.chatMessage.findMany({ where: { orgId: r.orgId, channel: 'teams', purpose: 'digest', requests: { some: { requestId: r.requestId } } }, include: { requests: true } }),
      ]);
      const tasks: (() => Promise<void>)[] = copies.map((m) => async () => {
        const card = requestCard(r, { timezone, mode: 'base', reminder: m.purpose === 'reminder' });
        await updateCopy(r.orgId, m, message(card, `${r.requester.name}'s request: ${r.status}`));
      });
      // Each digest listing it: redrawn with every request in it as it is now (decided ones without buttons).
      for (const m of digests) {
        tasks.push(async () => {
          const views = (await Promise.all(m.requests.map((i) => (i.requestId === r.requestId ? r : orgRequest(db, r.orgId, i.requestId)))))
            .filter((v): v is RequestView => v !== null)
            .sort((a, b) => a.requestedAt.localeCompare(b.requestedAt));
          const refreshUserIds = await adminUserIds(deps, r.orgId);
          const digest = digestCard(views, { orgName: r.orgName, timezone, mode: 'base', list: 'digest', at: m.createdAt.toISOString(), refreshUserIds });
          await updateCopy(r.orgId, m, message(digest, `${views.filter((v) => v.status === 'pending').length} extra usage request(s) waiting`));
        });
      }
      const requester = r.requester;
      // No longer tracked here (the org disconnected from Claude): the member is not told, their request is still open in Claude.
      if (requester.teamsUserId && r.status !== 'untracked') {
        tasks.push(async () => {
          if (await sent(r.orgId, 'outcome', r.requestId, requester.memberId)) return;
          await send(r.orgId, requester as Reachable, 'outcome', r.requestId, message(outcomeForRequesterCard(r, timezone), `Your request for more usage: ${r.status}`));
        });
      }
      await each(tasks, (t) => t());
    },

    async alert(a: AlertView, to: Person[], opts?: SendOptions) {
      const org = await loadOrg(db, a.orgId);
      const tasks: (() => Promise<unknown>)[] = [];
      // Owners' alerts (not a member's own) go to the team channel owners chose as well, once per notice
      // (a retry may list only the people still missing, so an org-level alert is the owners' whoever is listed).
      const forOwners = isOwnersAlert(a) || to.some((p) => (p.role === 'owner' || p.role === 'primary_owner') && p.memberId !== a.member?.memberId);
      const channel = forOwners && a.kind !== 'usage_unpriced' ? await deps.conversations.alertChannel(a.orgId) : null;
      if (channel) {
        tasks.push(async () => {
          const purpose = `channel-alert${opts?.deliveryKey ? `:${opts.deliveryKey}` : ''}`;
          if (opts?.deliveryKey && (await db.chatMessage.count({ where: { orgId: a.orgId, channel: 'teams', purpose, conversationId: channel.ref.conversation.id } })) > 0) return;
          let activityId = '';
          await deps.transport.continue(channel.ref, async (turn) => {
            activityId = await turn.send(message(alertCard(a, org.timezone, isOwnersAlert(a)), a.title));
          });
          await db.chatMessage.create({ data: { orgId: a.orgId, channel: 'teams', purpose, requestId: null, memberId: null, conversationId: channel.ref.conversation.id, messageId: activityId } });
        });
      }
      tasks.push(() => each(reachable(to), async (person) => {
        if (a.kind === 'seat_limit_reached' && a.member?.memberId === person.memberId) {
          // A refused member gets their usage card, with "Request extra usage" where it applies.
          const member = await db.member.findUnique({ where: { id: person.memberId } });
          if (!member || member.removedAt) return;
          const card = await usageScreen(deps, org, member, { alert: { title: a.title, text: a.text } });
          await send(a.orgId, person, 'usage', null, message(card, a.title));
          return;
        }
        const forOwner = person.role === 'owner' || person.role === 'primary_owner';
        // An owner told about someone else (a member reaching their cap) gets the owner's card, with "Adjust limit".
        await send(a.orgId, person, 'alert', null, message(alertCard(a, org.timezone, forOwner && (isOwnersAlert(a) || person.memberId !== a.member?.memberId)), a.title));
        await opts?.delivered?.(person.memberId); // a retry skips them (src/notify/fanout.ts)
      }));
      await each(tasks, (t) => t());
    },

    async digest(d: DigestView, admins: Person[], opts?: SendOptions) {
      if (d.requests.length === 0) return;
      const [timezone, refreshUserIds] = await Promise.all([timeZoneOf(d.orgId), adminUserIds(deps, d.orgId)]);
      const pages = pagesOf(d.requests);
      const cards = pages.map((page, index) => digestCard(page, { orgName: d.orgName, timezone, mode: 'base', list: 'digest', at: d.at, page: { index, count: pages.length }, refreshUserIds }));
      await each(reachable(admins), async (admin) => {
        for (const [i, card] of cards.entries()) await send(d.orgId, admin, 'digest', null, message(card, `${d.requests.length} extra usage request(s) waiting`), pages[i]!.map((r) => r.requestId));
        await opts?.delivered?.(admin.memberId);
      });
    },
  };
}
