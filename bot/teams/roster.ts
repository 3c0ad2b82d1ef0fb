// Linking Teams users to members by the email their tenant's roster gives them
// (the ledger's rule, src/ledger/settings/chat-links.ts: one active member with that address,
// not linked elsewhere by the operator's document; audited). One user on their first
// message or click; a whole team when the app is installed in it, so admins and
// owners are reachable before they ever write to the bot.
import type { Db } from '../../src/db/client.js';
import { linkChatUserByEmail } from '../../src/ledger/settings/chat-links.js';
import type { RosterMember, Turn } from './activity.js';

/** Roster pages read at install (at 200 a page: teams of up to 10,000 people). */
const MAX_PAGES = 50;

/** The address the tenant's roster gives a Teams user (their mail, else their sign-in name when it is an address). */
export function rosterEmail(m: { email?: string; userPrincipalName?: string } | null): string | null {
  const address = m?.email || (m?.userPrincipalName?.includes('@') ? m.userPrincipalName : undefined);
  return address?.trim() || null;
}

export const linkActor = (tenantId: string | undefined, aadObjectId: string) => `teams:${tenantId ?? 'unknown-tenant'}/${aadObjectId} (verified email)`;

/**
 * Reads the team's roster during the turn (the turn's context is gone after it) and
 * returns the linking to run afterwards: only people whose email is that of a member
 * not linked to Teams yet are looked at, so a large team costs a few roster pages.
 */
export async function rosterLinks(db: Db, turn: Turn, org: { id: string }, tenantId: string | undefined, remember: RememberRosterIds): Promise<() => Promise<string[]>> {
  const [waiting, linkedAlready] = await Promise.all([
    db.member.findMany({ where: { orgId: org.id, removedAt: null, teamsUserId: null, email: { not: null } }, select: { email: true } }),
    db.member.findMany({ where: { orgId: org.id, removedAt: null, teamsUserId: { not: null } }, select: { teamsUserId: true } }),
  ]);
  if (waiting.length === 0 && linkedAlready.length === 0) return async () => [];
  const wanted = new Set(waiting.map((m) => m.email!.trim().toLowerCase()));
  const found: { aadObjectId: string; email: string }[] = [];
  // The roster's Teams user id of everyone in the team: a chat opened with it works
  // where one opened by Entra object id needs the app in the user's personal scope.
  const ids: { aadObjectId: string; userId: string }[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { members, continuationToken } = await turn.rosterPage(token);
    for (const m of members as RosterMember[]) {
      const email = rosterEmail(m);
      if (m.aadObjectId && m.id) ids.push({ aadObjectId: m.aadObjectId, userId: m.id });
      if (m.aadObjectId && email && wanted.has(email.toLowerCase())) found.push({ aadObjectId: m.aadObjectId, email });
    }
    if (!continuationToken) break;
    token = continuationToken;
  }
  return async () => {
    const linked: string[] = [];
    for (const f of found) {
      const member = await linkChatUserByEmail(db, { orgId: org.id, channel: 'teams', chatUserId: f.aadObjectId, email: f.email, actor: linkActor(tenantId, f.aadObjectId) });
      if (member) linked.push(member.externalId);
    }
    // Kept for the org's members only (linked now or before): nobody else is ever messaged.
    const members = new Set((await db.member.findMany({ where: { orgId: org.id, removedAt: null, teamsUserId: { in: ids.map((i) => i.aadObjectId) } }, select: { teamsUserId: true } })).map((m) => m.teamsUserId!));
    await remember(ids.filter((i) => members.has(i.aadObjectId)));
    return linked;
  };
}

/** Stores the roster's Teams user ids of members (bot/teams/conversations.ts). */
export type RememberRosterIds = (ids: { aadObjectId: string; userId: string }[]) => Promise<void>;
