// The channels that reach a member besides their inbox, read from their links and the
// chats that could not be opened with them (ChatUnreachable).
import type { Db } from '../../db/client.js';
import { noticeChannels, type NoticeChannel, type NoticeWays, type Reachable } from '../../domain/notice-channels.js';

export async function noticeChannelsOf(db: Db, member: Reachable & { id: string; orgId: string }, ways: NoticeWays | undefined): Promise<NoticeChannel[]> {
  const rows = member.teamsUserId || member.slackUserId
    ? await db.chatUnreachable.findMany({ where: { orgId: member.orgId, memberId: member.id }, select: { channel: true } })
    : [];
  return noticeChannels(member, ways, rows.map((r) => r.channel));
}

/** The same for a member named by id (null when not a member of the org). */
export async function noticeChannelsOfId(db: Db, orgId: string, memberId: string, ways: NoticeWays | undefined): Promise<NoticeChannel[] | null> {
  const member = await db.member.findFirst({ where: { orgId, id: memberId }, select: { id: true, orgId: true, slackUserId: true, teamsUserId: true, email: true } });
  return member ? noticeChannelsOf(db, member, ways) : null;
}
