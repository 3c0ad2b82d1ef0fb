// A member claims their Claude Code user.id from chat ("/usage claude-code <id>" in
// Slack, "claude-code <id>" to the Teams bot): the same attribution as the console and
// PUT /v1/me/claude-code-users/:userId, answered in words.
import type { Db } from '../db/client.js';
import { actorLabel } from '../ledger/actors.js';
import { LedgerError } from '../ledger/errors.js';
import { attributeClientUser } from '../ledger/metering/unattributed.js';

export const CLAIM_HELP = 'Claim your Claude Code: run `jq -r .userID ~/.claude.json` on the machine, then send "claude-code <that id>". Its usage that named nobody becomes yours, and so does its usage from now on.';

const USER_ID = /^[A-Za-z0-9._:-]{1,200}$/;

export async function claimClaudeCodeFromChat(db: Db, who: { orgId: string; member: { id: string; externalId: string } }, userId: string | undefined, channel: 'slack' | 'teams', now: Date): Promise<string> {
  if (!userId || !USER_ID.test(userId)) return CLAIM_HELP;
  try {
    const r = await attributeClientUser(db, who.orgId, userId, who.member.id, actorLabel({ ...who.member, via: channel }), now);
    const kept = r.attributed ? ` ${r.attributed} request(s) it reported without a name are yours now.` : '';
    return `${r.created ? 'Claimed' : 'Already yours'}: Claude Code ${userId}.${kept} Its usage from now on is yours.`;
  } catch (err) {
    if (err instanceof LedgerError) return `Not claimed: ${err.message}.`;
    throw err;
  }
}
