// Sign-in links handed to people. A chat app hands the person writing to it a link:
// the chat platform has already proven who they are (a signed Slack request, a Bot
// Framework token), so the link is bound to that member. Emails carry one minted for
// each recipient, whose console links then sign them in with one click. Opened in a
// browser the link signs in to the console (GET /signin?token=…, docs/console.md);
// the same token exchanged once at POST /v1/sign-in gives an API session.
import type { Db } from '../db/client.js';
import { issueSignInLink, MAX_LINK_TTL_MS } from '../identity/sign-in-links.js';

export interface HandedOutLink {
  token: string;
  expiresAt: Date;
  /** The console address that signs them in (absolute when the public URL is known). */
  url: string;
  /** What to tell the person, in plain text. */
  instructions: string;
}

/** The console page that uses a sign-in token; `next` is where the person lands after. */
export function consoleSignInUrl(token: string, publicUrl?: string, next?: string): string {
  const base = publicUrl ? publicUrl.replace(/\/+$/, '') : '';
  return `${base}/signin?token=${encodeURIComponent(token)}${next ? `&next=${encodeURIComponent(next)}` : ''}`;
}

export async function handOutSignInLink(db: Db, input: { orgId: string; memberId: string; channel: 'slack' | 'teams'; publicUrl?: string }, now = new Date()): Promise<HandedOutLink> {
  const link = await issueSignInLink(db, { orgId: input.orgId, memberId: input.memberId, purpose: input.channel, issuedBy: `${input.channel}-app` }, now);
  const endpoint = `${input.publicUrl ? input.publicUrl.replace(/\/$/, '') : ''}/v1/sign-in`;
  const minutes = Math.round((link.expiresAt.getTime() - now.getTime()) / 60_000);
  const url = consoleSignInUrl(link.token, input.publicUrl);
  return {
    token: link.token,
    expiresAt: link.expiresAt,
    url,
    instructions: `Your sign-in token (single use, valid ${minutes} minutes, only for you): ${link.token}\n`
      + `Web console: ${input.publicUrl ? `open ${url}` : `open ${url} on this service's address`} (one use signs you in).\n`
      + `API: exchange the token once for a 12-hour session: POST ${endpoint} with {"token": "<the token>"}, then send "Authorization: Bearer <session>" to the API. `
      + 'Do not share it: whoever uses it acts as you.',
  };
}

/**
 * Mints the single-use token an email carries for one recipient (audited as issued
 * by "email"). Links in an inbox are read late, so they live the longest a link may
 * (an hour); an expired one says how to get a new one.
 */
export function emailSignInTokens(db: Db, now: () => Date = () => new Date()) {
  return async (orgId: string, person: { memberId: string }): Promise<string | null> => {
    const member = await db.member.findFirst({ where: { id: person.memberId, orgId, removedAt: null }, select: { id: true } });
    if (!member) return null;
    const link = await issueSignInLink(db, { orgId, memberId: member.id, purpose: 'email', issuedBy: 'email', ttlMs: MAX_LINK_TTL_MS }, now());
    return link.token;
  };
}
