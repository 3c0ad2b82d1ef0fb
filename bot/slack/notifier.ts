// The notifier port for Slack. Every message sent is remembered as a ChatMessage
// row (channel 'slack', conversation = channel id, message = ts, request id), so:
//  - a retried activity does not send a second copy of a request to the same admin;
//  - when a request closes, every admin's copy is updated in place (chat.update): the
//    card, its reminders and every digest page listing it (ChatMessageRequest rows);
//  - a reminder is a reply in the thread of the admin's original card.
// One recipient failing does not stop the others; the failure is raised afterwards
// so the activity retries (and the rows make the retry send only what is missing).
import type { Db } from '../../src/db/client.js';
import { isOwnersAlert, type AlertView, type DigestView, type Notifier, type Person, type RequestView, type SendOptions } from '../../src/notify/port.js';
import { isOwner } from '../../src/ledger/actors.js';
import { openDm, type WebClient } from './surfaces.js';
import { alertBlocks, alertText } from './views/alert.js';
import type { Block } from './views/blocks.js';
import { digestPageNow, digestPages } from './views/digest.js';
import { orgRequest } from '../../src/ledger/requests/requests.js';
import { outcomeForRequesterBlocks, requestCardBlocks, requestText } from './views/request-card.js';
import type { Workspaces } from './workspaces.js';

export interface SlackNotifierDeps {
  db: Db;
  workspaces: Workspaces;
  clientFor(botToken: string): WebClient;
  log: (line: string) => void;
  /** The app's slash command (SLACK_COMMAND), named in the requester's outcome message. */
  command?: string;
}

type Purpose = 'request' | 'reminder' | 'outcome' | 'alert' | 'digest';

/** Slack errors meaning the alert channel cannot be used (as opposed to a passing failure worth a retry). */
const CHANNEL_GONE = new Set(['not_in_channel', 'channel_not_found', 'is_archived', 'restricted_action']);

export function slackNotifier(deps: SlackNotifierDeps): Notifier {
  const { db } = deps;

  async function clientOf(orgId: string): Promise<WebClient | null> {
    const token = await deps.workspaces.botTokenFor(orgId);
    if (!token) {
      deps.log(`[slack] org ${orgId} has no Slack installation; nothing sent`);
      return null;
    }
    return deps.clientFor(token);
  }

  async function sent(orgId: string, purpose: Purpose, requestId: string | null, memberId: string): Promise<boolean> {
    return (await db.chatMessage.count({ where: { orgId, channel: 'slack', purpose, requestId, memberId } })) > 0;
  }

  async function post(client: WebClient, orgId: string, to: { channel: string; memberId: string | null; threadTs?: string }, purpose: Purpose, requestId: string | null, text: string, blocks: Block[], shows: string[] = []) {
    const res = await client.chat.postMessage({ channel: to.channel, text, blocks, ...(to.threadTs ? { thread_ts: to.threadTs } : {}) });
    if (!res.ts || !res.channel) throw new Error(`chat.postMessage to ${to.channel} returned no ts`);
    await db.chatMessage.create({
      data: { orgId, channel: 'slack', purpose, requestId, memberId: to.memberId, conversationId: res.channel, messageId: res.ts, ...(shows.length ? { requests: { create: shows.map((id) => ({ requestId: id })) } } : {}) },
    });
  }

  /** Runs one send per person; raises all failures at the end. */
  async function each<T>(items: T[], fn: (item: T) => Promise<void>) {
    const results = await Promise.allSettled(items.map(fn));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length) throw new AggregateError(failed.map((f) => f.reason), `slack: ${failed.length} of ${items.length} message(s) failed: ${failed.map((f) => String((f.reason as Error)?.message ?? f.reason)).join('; ')}`);
  }

  const reachable = (people: Person[]) => people.filter((p): p is Person & { slackUserId: string } => !!p.slackUserId);

  async function sendCards(r: RequestView, admins: Person[], purpose: 'request' | 'reminder') {
    const client = await clientOf(r.orgId);
    if (!client) return;
    await each(reachable(admins), async (admin) => {
      if (await sent(r.orgId, purpose, r.requestId, admin.memberId)) {
        // A request from Claude picked up again after a reconnect: the admin's card becomes decidable again, no second card.
        if (purpose === 'request' && r.anthropic && r.status === 'pending') {
          const copy = await db.chatMessage.findFirst({ where: { orgId: r.orgId, channel: 'slack', purpose: 'request', requestId: r.requestId, memberId: admin.memberId } });
          if (copy) await client.chat.update({ channel: copy.conversationId, ts: copy.messageId, text: requestText(r), blocks: requestCardBlocks(r, { reminder: false }) });
        }
        return;
      }
      // A reminder answers in the thread of the card it reminds of (a new card when there is none).
      const original = purpose === 'reminder' ? await db.chatMessage.findFirst({ where: { orgId: r.orgId, channel: 'slack', purpose: 'request', requestId: r.requestId, memberId: admin.memberId } }) : null;
      const to = original ? { channel: original.conversationId, threadTs: original.messageId } : { channel: await openDm(client, admin.slackUserId) };
      await post(client, r.orgId, { ...to, memberId: admin.memberId }, purpose, r.requestId, purpose === 'reminder' ? `Reminder: ${requestText(r)}` : requestText(r), requestCardBlocks(r, { reminder: purpose === 'reminder' }));
    });
  }

  return {
    async requestOpened(r, admins) {
      await sendCards(r, admins, 'request');
    },

    async requestReminder(r, admins) {
      if (r.status === 'pending') await sendCards(r, admins, 'reminder');
    },

    async requestClosed(r, _admins) {
      const client = await clientOf(r.orgId);
      if (!client) return;
      const copies = await db.chatMessage.findMany({ where: { orgId: r.orgId, channel: 'slack', requestId: r.requestId, purpose: { in: ['request', 'reminder'] } } });
      const tasks: (() => Promise<void>)[] = copies.map((m) => async () => {
        await client.chat.update({ channel: m.conversationId, ts: m.messageId, text: requestText(r), blocks: requestCardBlocks(r, { reminder: m.purpose === 'reminder' }) });
      });
      // Digest pages listing it: each page again as it is now (its other requests read fresh too).
      const digestCopies = await db.chatMessage.findMany({ where: { orgId: r.orgId, channel: 'slack', purpose: 'digest', requests: { some: { requestId: r.requestId } } }, include: { requests: true } });
      for (const page of digestCopies) {
        tasks.push(async () => {
          const views = (await Promise.all(page.requests.map((x) => (x.requestId === r.requestId ? r : orgRequest(db, r.orgId, x.requestId)))))
            .filter((v): v is RequestView => v !== null)
            .sort((a, b) => a.requestedAt.localeCompare(b.requestedAt) || a.requestId.localeCompare(b.requestId));
          // The page's reader: their own request without buttons; an admin's raise requests read "an owner must decide".
          const reader = page.memberId ? await db.member.findUnique({ where: { id: page.memberId }, select: { role: true } }) : null;
          const now = digestPageNow(r.orgName, views, page.memberId ? { memberId: page.memberId, ...(reader ? { owner: isOwner(reader) } : {}) } : undefined);
          await client.chat.update({ channel: page.conversationId, ts: page.messageId, text: now.text, blocks: now.blocks });
        });
      }
      const requester = r.requester;
      // No longer tracked here (the org disconnected from Claude): the member is not told, their request is still open in Claude.
      if (requester.slackUserId && r.status !== 'untracked') {
        tasks.push(async () => {
          if (await sent(r.orgId, 'outcome', r.requestId, requester.memberId)) return;
          const channel = await openDm(client, requester.slackUserId!);
          await post(client, r.orgId, { channel, memberId: requester.memberId }, 'outcome', r.requestId, `Your request for more usage: ${r.status}`, outcomeForRequesterBlocks(r, deps.command));
        });
      }
      await each(tasks, (t) => t());
    },

    async alert(a: AlertView, to: Person[], opts?: SendOptions) {
      const client = await clientOf(a.orgId);
      if (!client) return;
      const org = await db.organization.findUnique({ where: { id: a.orgId }, select: { slackAlertChannelId: true, timezone: true } });
      const timezone = org?.timezone;
      const text = alertText(a, timezone);
      // Owners get "Adjust limit" on a cap alert (the click is checked against the stored role again).
      const blocksFor = (adjust: boolean) => alertBlocks(a, { ...(timezone ? { timezone } : {}), adjust });
      if (isOwnersAlert(a)) {
        // An owners' alert: the channel an owner picked, else each owner by DM.
        if (org?.slackAlertChannelId) {
          try {
            await post(client, a.orgId, { channel: org.slackAlertChannelId, memberId: null }, 'alert', null, text, blocksFor(true));
            return;
          } catch (err) {
            // The app was removed from the channel, or it is gone: the owners still hear about it.
            const code = (err as { data?: { error?: string } }).data?.error;
            if (!code || !CHANNEL_GONE.has(code)) throw err;
            deps.log(`[slack] cannot post alerts in ${org.slackAlertChannelId} (${code}); sending them to owners by DM`);
          }
        }
      }
      await each(reachable(to), async (p) => {
        await post(client, a.orgId, { channel: await openDm(client, p.slackUserId), memberId: p.memberId }, 'alert', null, text, blocksFor(isOwner(p)));
        await opts?.delivered?.(p.memberId); // a retry skips them (src/notify/fanout.ts)
      });
    },

    async digest(d: DigestView, admins: Person[], opts?: SendOptions) {
      const client = await clientOf(d.orgId);
      if (!client || d.requests.length === 0) return;
      await each(reachable(admins), async (admin) => {
        const channel = await openDm(client, admin.slackUserId);
        // Built per admin: an admin who asked sees their own request without buttons.
        for (const page of digestPages(d, { memberId: admin.memberId, owner: isOwner(admin) })) await post(client, d.orgId, { channel, memberId: admin.memberId }, 'digest', null, page.text, page.blocks, page.requestIds);
        await opts?.delivered?.(admin.memberId);
      });
    },
  };
}
