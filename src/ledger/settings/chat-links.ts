// Links a Slack or Teams user to the member whose email their chat workspace has
// verified, so people need not be listed by chat id in the operator's document.
// The document stays the override: a member it (or an earlier link) gave a chat id
// keeps it, and a chat id already held by someone is never moved.
import type { Db } from '../../db/client.js';
import type { Member } from '../../generated/prisma/client.js';
import { writeAudit } from '../audit.js';
import { inTransaction, isUniqueViolation } from '../transactions.js';

export interface ChatLinkInput {
  orgId: string;
  channel: 'slack' | 'teams';
  chatUserId: string;
  /** The address the chat platform has verified for this user (never one they typed). */
  email: string;
  /** Who links (the audit log's actor), e.g. "slack:T123/U456 (verified email)". */
  actor: string;
}

const FIELD = { slack: 'slackUserId', teams: 'teamsUserId' } as const;

/**
 * The member now linked to this chat user, or null: no active member has that email
 * (compared case-insensitively, exactly, never as a pattern), more than one has it,
 * or the member already has a different chat id (the document's, which wins).
 */
export async function linkChatUserByEmail(db: Db, input: ChatLinkInput): Promise<Member | null> {
  const email = input.email.trim();
  if (!email || !input.chatUserId) return null;
  const field = FIELD[input.channel];
  try {
    return await inTransaction(db, async (tx) => {
      // lower() = lower(): an exact comparison, so '%' or '_' in an address match only themselves.
      const ids = await tx.$queryRaw<{ id: string }[]>`SELECT "id" FROM "Member" WHERE "orgId" = ${input.orgId} AND "removedAt" IS NULL AND "email" IS NOT NULL AND lower("email") = lower(${email}) FOR UPDATE`;
      if (ids.length !== 1) return null; // none, or an address two members share: nobody to pick
      const member = await tx.member.findUniqueOrThrow({ where: { id: ids[0]!.id } });
      const current = member[field];
      if (current === input.chatUserId) return member; // linked already
      if (current !== null) return null; // the document (or an earlier link) gave them another id
      const taken = await tx.member.findFirst({ where: { orgId: input.orgId, [field]: input.chatUserId }, select: { id: true } });
      if (taken) return null; // this chat user is someone else's in the document
      const linked = await tx.member.update({ where: { id: member.id }, data: { [field]: input.chatUserId } });
      await writeAudit(tx, input.orgId, [
        { actor: input.actor, action: 'member.chat_link', subject: `member:${member.id}`, before: { [field]: null }, after: { [field]: input.chatUserId, by: 'verified_email' } },
      ]);
      return linked;
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    // Two first contacts at once for the same chat user: the other one linked it.
    const holder = await db.member.findFirst({ where: { orgId: input.orgId, removedAt: null, [field]: input.chatUserId } });
    return holder && holder.email?.toLowerCase() === email.toLowerCase() ? holder : null;
  }
}
