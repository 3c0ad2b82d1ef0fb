// A chat app hands the person writing to it a single-use sign-in link: the chat
// platform has already proven who they are (a signed Slack request, a Bot Framework
// token), so the link is bound to that member. Used once at POST /v1/sign-in, it
// gives a session for the API as that person (docs/identity.md).
import type { Db } from '../db/client.js';
import { issueSignInLink } from '../identity/sign-in-links.js';

export interface HandedOutLink {
  token: string;
  expiresAt: Date;
  /** What to tell the person, in plain text. */
  instructions: string;
}

export async function handOutSignInLink(db: Db, input: { orgId: string; memberId: string; channel: 'slack' | 'teams'; publicUrl?: string }, now = new Date()): Promise<HandedOutLink> {
  const link = await issueSignInLink(db, { orgId: input.orgId, memberId: input.memberId, purpose: input.channel, issuedBy: `${input.channel}-app` }, now);
  const endpoint = `${input.publicUrl ? input.publicUrl.replace(/\/$/, '') : ''}/v1/sign-in`;
  const minutes = Math.round((link.expiresAt.getTime() - now.getTime()) / 60_000);
  return {
    token: link.token,
    expiresAt: link.expiresAt,
    instructions: `Your sign-in token (single use, valid ${minutes} minutes, only for you): ${link.token}\n`
      + `Exchange it once for a 12-hour session: POST ${endpoint} with {"token": "<the token>"}, then send "Authorization: Bearer <session>" to the API. `
      + 'Do not share it: whoever uses it acts as you.',
  };
}
