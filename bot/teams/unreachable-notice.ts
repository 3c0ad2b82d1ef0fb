// Owners are told, in their own Teams chat (and the alerts channel they chose), who the app
// cannot reach and why, once per person until that person can be reached again: an admin
// nobody can reach misses every request card, and only an owner can get the app installed.
import { ownersOf } from '../../src/ledger/settings/people.js';
import type { ConversationRef } from './activity.js';
import type { TeamsDeps } from './deps.js';

export type UnreachableNoticeDeps = Pick<TeamsDeps, 'db' | 'transport' | 'conversations' | 'now' | 'log' | 'publicUrl'>;

const misses: Record<string, string> = {
  admin: 'request cards, reminders and digests',
  owner: 'request cards, cap alerts and digests',
  primary_owner: 'request cards, cap alerts and digests',
  member: 'answers to their requests and their usage alerts',
};

/** What an owner reads: who, in words; why; what they miss; what to do. */
export function unreachableText(u: { member: string; role: string; reason: string }, publicUrl?: string): string {
  const why = /not installed for them/.test(u.reason)
    ? 'the app is not installed for them. Add the app to a team they belong to, or install it for them (Teams admin center, app setup policies).'
    : `${u.reason}.`;
  const console = publicUrl && u.role !== 'member' ? ` Meanwhile they can review requests in the console: ${publicUrl.replace(/\/+$/, '')}/requests` : '';
  return `I cannot reach ${u.member} in Microsoft Teams: ${why} Until then they get no ${misses[u.role] ?? 'messages'} here.${console}`;
}

export function unreachableNotice(deps: UnreachableNoticeDeps) {
  const { db } = deps;

  async function sendText(ref: ConversationRef, text: string) {
    await deps.transport.continue(ref, async (turn) => {
      await turn.send({ text, summary: text.slice(0, 120) });
    });
  }

  return {
    /** Tells the org's reachable owners about everyone not told yet. Claimed first, so two sends never tell twice. */
    async tellOwners(orgId: string): Promise<void> {
      // Each person is claimed on their own: whoever claims a row tells about it, so two
      // overlapping sends never tell twice and never leave someone untold.
      const pending: Awaited<ReturnType<typeof deps.conversations.unreachable>> = [];
      for (const u of (await deps.conversations.unreachable(orgId)).filter((x) => !x.ownersToldAt)) {
        const claimed = await db.chatUnreachable.updateMany({ where: { orgId, channel: 'teams', memberId: u.memberId, ownersToldAt: null }, data: { ownersToldAt: deps.now() } });
        if (claimed.count === 1) pending.push(u);
      }
      if (!pending.length) return;
      const unreachableIds = new Set(pending.map((u) => u.memberId));
      const owners = (await ownersOf(db, orgId)).filter((o) => o.teamsUserId && !unreachableIds.has(o.memberId));
      const channel = await deps.conversations.alertChannel(orgId);
      let told = 0;
      for (const u of pending) {
        const text = unreachableText(u, deps.publicUrl);
        const targets: ConversationRef[] = [];
        if (channel) targets.push(channel.ref);
        for (const o of owners) {
          if (o.memberId === u.memberId) continue;
          const ref = await deps.conversations.personal(orgId, { memberId: o.memberId, teamsUserId: o.teamsUserId!, name: o.name });
          if (ref) targets.push(ref);
        }
        for (const ref of targets) {
          try {
            await sendText(ref, text);
            told++;
          } catch (err) {
            deps.log(`teams: could not tell an owner of org ${orgId} that ${u.member} is unreachable: ${(err as Error).message}`);
          }
        }
      }
      // Nobody reached (every owner unreachable too): leave it to the next send, and to GET /health.
      if (!told) await db.chatUnreachable.updateMany({ where: { orgId, channel: 'teams', memberId: { in: [...unreachableIds] } }, data: { ownersToldAt: null } });
    },
  };
}
