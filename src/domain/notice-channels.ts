// Which channels reach a person besides their console inbox, and the words that promise
// only those: "You'll see the answer in your Inbox here and in Slack" only when Slack is
// set up and the person is linked to it. Pure (no I/O).

/** Which chat apps and email this service runs with (the same as the sign-in page's ways). */
export interface NoticeWays {
  slack: boolean;
  teams: boolean;
  email: boolean;
}

export type NoticeChannel = 'Slack' | 'Teams' | 'email';

export interface Reachable {
  slackUserId: string | null;
  teamsUserId: string | null;
  email: string | null;
}

/**
 * The channels that reach this person besides the inbox: a chat app that runs and that
 * they are linked to (and, for Teams, that could open a chat with them), email when SMTP
 * is set up and they have an address.
 */
export function noticeChannels(person: Reachable, ways: NoticeWays | undefined, unreachable: readonly string[] = []): NoticeChannel[] {
  const w = ways ?? { slack: false, teams: false, email: false };
  const out: NoticeChannel[] = [];
  if (w.slack && person.slackUserId && !unreachable.includes('slack')) out.push('Slack');
  if (w.teams && person.teamsUserId && !unreachable.includes('teams')) out.push('Teams');
  if (w.email && person.email?.trim()) out.push('email');
  return out;
}

/** "in Slack and by email": the channels as a phrase ("" for none). */
export function channelPhrase(channels: readonly NoticeChannel[]): string {
  return listed(channels.map((c) => (c === 'email' ? 'by email' : `in ${c}`)));
}

/** "a, b and c". */
function listed(parts: readonly string[]): string {
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}

const places = (inbox: string, channels: readonly NoticeChannel[]) => listed([inbox, ...channels.map((c) => (c === 'email' ? 'by email' : `in ${c}`))]);

/** To the member who asked: where the answer will reach them. */
export function answerArrives(channels: readonly NoticeChannel[]): string {
  return channels.length
    ? `You'll see the answer ${places('in your Inbox in the console', channels)}.`
    : "You'll see the answer in your Inbox in the console (no chat or email is set up for you).";
}

/** To whoever decided: where the member is told. */
export function memberToldWhere(name: string, channels: readonly NoticeChannel[]): string {
  return channels.length
    ? `${name} sees it ${places('in their Inbox in the console', channels)}.`
    : `${name} sees it in their Inbox in the console (no chat or email reaches them).`;
}

/** On a person's inbox page: what else reaches them. */
export function alsoReachesYou(channels: readonly NoticeChannel[]): string {
  return channels.length
    ? `Every notice you get is kept here; it also reaches you ${channelPhrase(channels)}.`
    : 'Every notice you get is kept here. No chat or email is set up for you, so this Inbox is where they reach you.';
}
