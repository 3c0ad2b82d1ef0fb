// The bot in a team channel: it posts owners' alerts there when an owner asked for
// it ("@Extra usage alerts here"; "alerts off" stops it). Nothing personal is shown
// in a channel: usage, requests and settings stay in each person's chat with the bot.
// Choosing the channel is an owner's settings change: checked from the stored role
// and audited.
import { actorLabel, isOwner } from '../../src/ledger/actors.js';
import { writeAudit } from '../../src/ledger/audit.js';
import type { ConversationRef, Turn } from './activity.js';
import type { TeamsDeps } from './deps.js';
import type { Who } from './identity.js';

/** The channel itself (a message's conversation id names its thread: "19:…@thread.tacv2;messageid=…"). */
export function channelRef(turn: Turn): ConversationRef {
  const a = turn.activity;
  const channel = (a.channelData as { channel?: { id?: string; name?: string } } | undefined)?.channel;
  const id = channel?.id ?? a.conversation.id.split(';')[0]!;
  const name = channel?.name ?? a.conversation.name;
  const tenantId = a.conversation.tenantId ?? a.channelData?.tenant?.id;
  return {
    ...turn.reference,
    conversation: { ...turn.reference.conversation, id, ...(name ? { name } : {}), ...(tenantId ? { tenantId } : {}), conversationType: 'channel', isGroup: true },
  };
}

const HELP = 'In a channel I post owners\' alerts (spending limits, balance, reloads) when an owner asks: "@Extra usage alerts here", and "@Extra usage alerts off" to stop. For your own usage, requests and settings, write to me in a personal chat.';

export async function onChannelMessage(deps: Pick<TeamsDeps, 'db' | 'conversations' | 'log'>, turn: Turn, who: Who, command: string, rest: string): Promise<void> {
  if (command !== 'alerts') {
    await turn.send({ text: HELP });
    return;
  }
  if (who.kind !== 'member') {
    await turn.send({ text: 'Only owners of the organisation can choose where its alerts go, and your Teams account is not linked to a member yet: write to me in a personal chat first.' });
    return;
  }
  if (!isOwner(who.member)) {
    await turn.send({ text: `Only owners of ${who.org.name} can choose where its alerts go. Nothing was changed.` });
    return;
  }
  const { db, conversations } = deps;
  const before = await conversations.alertChannel(who.org.id);
  if (rest === 'off') {
    if (!(await conversations.clearAlertChannel(who.org.id))) {
      await turn.send({ text: 'Owners\' alerts were not posted to a channel. Nothing was changed.' });
      return;
    }
    await writeAudit(db, who.org.id, [{ actor: actorLabel(who.member), action: 'alerts.teams_channel.set', subject: 'org', before: { channel: before?.name ?? null }, after: { channel: null } }]);
    await turn.send({ text: `Done: owners' alerts of ${who.org.name} are no longer posted to a channel (owners still get them in their personal chat).` });
    return;
  }
  if (rest !== 'here' && rest !== '') {
    await turn.send({ text: HELP });
    return;
  }
  const ref = channelRef(turn);
  await conversations.setAlertChannel(who.org.id, who.member.id, ref);
  const name = ref.conversation.name ?? 'this channel';
  await writeAudit(db, who.org.id, [{ actor: actorLabel(who.member), action: 'alerts.teams_channel.set', subject: 'org', before: { channel: before?.name ?? null }, after: { channel: name } }]);
  deps.log(`teams: owners' alerts of ${who.org.slug} go to channel ${ref.conversation.id} too (set by ${who.member.externalId})`);
  await turn.send({ text: `Done: owners' alerts of ${who.org.name} are posted here too${before && before.ref.conversation.id !== ref.conversation.id ? ` (instead of ${before.name})` : ''}, as well as in each owner's personal chat. "@Extra usage alerts off" stops it.` });
}
