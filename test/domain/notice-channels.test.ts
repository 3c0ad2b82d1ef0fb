// Words about where notices reach a person name only channels that do, and a denial
// tells the member who decided, the reason and when they may ask again in every channel.
import { describe, expect, it } from 'vitest';
import { outcomeForRequesterBlocks } from '../../bot/slack/views/request-card.js';
import { outcomeForRequesterCard } from '../../bot/teams/cards/request.js';
import { formatWhen } from '../../src/domain/display.js';
import { alsoReachesYou, answerArrives, memberToldWhere, noticeChannels } from '../../src/domain/notice-channels.js';
import { requestClosedEmail } from '../../src/notify/email-format.js';
import { requestClosedText } from '../../src/notify/inbox-format.js';
import type { Person, RequestView } from '../../src/notify/port.js';

const person = (over: Partial<Person> = {}): Person => ({ memberId: 'm1', externalId: 'alice', name: 'Alice', role: 'member', seatTier: 'standard', email: null, slackUserId: null, teamsUserId: null, ...over });
const NONE = { slack: false, teams: false, email: false };
const ALL = { slack: true, teams: true, email: true };

describe('channels that reach a person', () => {
  it('a chat app counts only when it runs and the person is linked (Teams: and reachable); email only with SMTP and an address', () => {
    expect(noticeChannels(person({ slackUserId: 'U1', teamsUserId: 'T1', email: 'a@x.example' }), NONE)).toEqual([]);
    expect(noticeChannels(person(), ALL)).toEqual([]);
    expect(noticeChannels(person({ slackUserId: 'U1', email: 'a@x.example' }), ALL)).toEqual(['Slack', 'email']);
    expect(noticeChannels(person({ teamsUserId: 'T1', email: '  ' }), ALL)).toEqual(['Teams']);
    expect(noticeChannels(person({ teamsUserId: 'T1' }), ALL, ['teams'])).toEqual([]);
    expect(noticeChannels(person({ slackUserId: 'U1' }), { ...NONE, email: true })).toEqual([]);
  });

  it('promises the inbox and only those channels', () => {
    expect(answerArrives([])).toBe("You'll see the answer in your Inbox in the console (no chat or email is set up for you).");
    expect(answerArrives(['Slack'])).toBe("You'll see the answer in your Inbox in the console and in Slack.");
    expect(answerArrives(['Teams', 'email'])).toBe("You'll see the answer in your Inbox in the console, in Teams and by email.");
    expect(memberToldWhere('Alice', [])).toBe('Alice sees it in their Inbox in the console (no chat or email reaches them).');
    expect(memberToldWhere('Alice', ['email'])).toBe('Alice sees it in their Inbox in the console and by email.');
    expect(alsoReachesYou(['Slack'])).toBe('Every notice you get is kept here; it also reaches you in Slack.');
    for (const words of [answerArrives([]), memberToldWhere('Alice', []), alsoReachesYou([])]) expect(words).not.toMatch(/in chat or by email|has been told/);
  });
});

describe('a denial in every channel', () => {
  const denied: RequestView = {
    requestId: 'r1', workflowId: 'request/acme/alice', orgId: 'o1', orgName: 'Acme', requester: person(), seatTier: 'standard',
    requestedAt: '2026-12-07T09:00:00.000Z', note: null, status: 'denied', decision: 'deny', decisionCap: null,
    reason: 'The budget is spent', decidedBy: person({ memberId: 'm2', name: 'Olivia Owner', role: 'owner' }), decidedAt: '2026-12-07T11:23:00.000Z',
    previousDenial: null, mayAskAgainAt: '2026-12-08T11:23:00.000Z',
  };
  const tz = 'Europe/Paris';

  it('says who decided, the reason and when they may ask again, in the org\'s time', () => {
    const inbox = requestClosedText(denied, tz, denied.mayAskAgainAt!);
    expect(inbox.body).toContain(`Declined by Olivia Owner on ${formatWhen(denied.decidedAt!, tz)}. Reason given: "The budget is spent". You may ask again from 8 Dec 2026, 12:23 (Europe/Paris).`);
    expect(requestClosedEmail(denied, { timeZone: tz, now: new Date() }).text).toContain('Your request was declined by Olivia Owner. Reason: "The budget is spent". You may ask again from 8 Dec 2026, 12:23 (Europe/Paris).');
    expect(JSON.stringify(outcomeForRequesterBlocks(denied))).toContain('You may ask again from <!date^');
    const card = JSON.stringify(outcomeForRequesterCard(denied, tz));
    expect(card).toContain('May ask again from');
    expect(card).toContain('8 Dec 2026, 12:23 (Europe/Paris)');
    expect(card).toContain('Olivia Owner');
  });

  it('a denial without a reason says none was given', () => {
    expect(requestClosedText({ ...denied, reason: null }, tz, null).body).toMatch(/No reason was given\. You may ask again\./);
  });
});
