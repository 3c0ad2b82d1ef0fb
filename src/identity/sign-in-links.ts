// Single-use sign-in links for people whose org has no identity provider: the chat
// apps and emails hand a member a link; opening it proves they hold that chat account
// or mailbox. The token is 32 random bytes shown once; only its SHA-256 is stored.
// Redeeming marks the link used in one conditional UPDATE, so of any number of
// concurrent redemptions exactly one succeeds. Issue and use are audited.
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/client.js';
import type { Member } from '../generated/prisma/client.js';
import { actorLabel } from '../ledger/actors.js';
import { writeAudit } from '../ledger/audit.js';
import { invalid, notFound } from '../ledger/errors.js';
import { inTransaction, type Tx } from '../ledger/transactions.js';
import { IdentityError } from './errors.js';
import type { Session, Sessions } from './sessions.js';

export const DEFAULT_LINK_TTL_MS = 15 * 60_000;
/** A link is a bearer credential in an inbox or a chat history: it never lives long. */
export const MAX_LINK_TTL_MS = 60 * 60_000;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export interface IssueLinkInput {
  orgId: string;
  memberId: string;
  /** What it is handed out for, e.g. 'slack', 'teams', 'email'. */
  purpose: string;
  /** Who asks, as the audit log names actors (a chat app, the operator, a member). */
  issuedBy: string;
  ttlMs?: number;
}

export interface IssuedLink {
  id: string;
  /** The secret to put in the URL; not stored, not recoverable. */
  token: string;
  expiresAt: Date;
}

export async function issueSignInLink(db: Db, input: IssueLinkInput, now: Date = new Date()): Promise<IssuedLink> {
  const ttlMs = input.ttlMs ?? DEFAULT_LINK_TTL_MS;
  if (!Number.isFinite(ttlMs) || ttlMs <= 0 || ttlMs > MAX_LINK_TTL_MS) throw invalid('ttl', `a sign-in link lives between 0 and ${MAX_LINK_TTL_MS / 60_000} minutes`);
  if (!input.purpose || input.purpose.length > 64) throw invalid('purpose', 'purpose must be 1 to 64 characters');
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + ttlMs);
  const link = await inTransaction(db, async (tx) => {
    const member = await tx.member.findFirst({ where: { id: input.memberId, orgId: input.orgId }, select: { id: true, removedAt: true } });
    if (!member || member.removedAt) throw notFound(`member '${input.memberId}'`, 'member');
    const created = await tx.signInLink.create({
      data: { orgId: input.orgId, memberId: member.id, purpose: input.purpose, tokenHash: hashToken(token), issuedBy: input.issuedBy, createdAt: now, expiresAt },
    });
    await writeAudit(tx, input.orgId, [{
      actor: input.issuedBy,
      action: 'sign_in_link.issue',
      subject: `sign_in_link:${created.id}`,
      before: null,
      after: { member: member.id, purpose: input.purpose, expiresAt: expiresAt.toISOString() },
    }]);
    return created;
  });
  return { id: link.id, token, expiresAt };
}

export interface RedeemedLink {
  linkId: string;
  orgId: string;
  purpose: string;
  member: Member;
  session: Session;
}

/**
 * Counts a refused redemption on the link; only the first writes an audit entry (300
 * tries of one leaked link are one entry, not 300). The audit log shows the count so
 * far beside that entry (src/ledger/audit.ts).
 */
async function auditRefusal(tx: Tx, orgId: string, linkId: string, memberId: string, reason: string, now: Date): Promise<void> {
  const counted = await tx.signInLink.update({ where: { id: linkId }, data: { refusedCount: { increment: 1 }, lastRefusedAt: now }, select: { refusedCount: true } });
  if (counted.refusedCount === 1) {
    await writeAudit(tx, orgId, [{ actor: 'anonymous', action: 'sign_in_link.refuse', subject: `sign_in_link:${linkId}`, before: null, after: { member: memberId, reason } }]);
  }
}

type Outcome = { ok: true; linkId: string; orgId: string; purpose: string; member: Member } | { ok: false; error: IdentityError };

/**
 * Uses a link once and starts a session for its member. An unknown, used or expired
 * link, or one whose member was removed, is an IdentityError (401).
 */
export async function redeemSignInLink(db: Db, sessions: Sessions, token: string, now: Date = new Date()): Promise<RedeemedLink> {
  // Anything not shaped like our tokens cannot be one: no query.
  if (typeof token !== 'string' || !TOKEN.test(token)) throw new IdentityError('link_unknown', 'this sign-in link is not valid');
  const tokenHash = hashToken(token);
  const outcome = await inTransaction(db, async (tx): Promise<Outcome> => {
    // The one atomic step: PostgreSQL re-checks the WHERE after waiting for a
    // concurrent redeemer's row lock, so a second redemption updates nothing.
    const [used] = await tx.signInLink.updateManyAndReturn({
      where: { tokenHash, usedAt: null, expiresAt: { gt: now } },
      data: { usedAt: now },
    });
    if (!used) {
      const link = await tx.signInLink.findUnique({ where: { tokenHash } });
      if (!link) return { ok: false, error: new IdentityError('link_unknown', 'this sign-in link is not valid') };
      const error = link.usedAt
        ? new IdentityError('link_used', 'this sign-in link has already been used; ask for a new one')
        : new IdentityError('link_expired', 'this sign-in link has expired; ask for a new one');
      // A second use of a link is worth an owner's attention: the link may have leaked.
      await auditRefusal(tx, link.orgId, link.id, link.memberId, error.reason, now);
      return { ok: false, error };
    }
    const member = await tx.member.findUnique({ where: { id: used.memberId } });
    if (!member || member.removedAt || member.orgId !== used.orgId) {
      const error = new IdentityError('unknown_member', 'this person is no longer a member of the organisation');
      await auditRefusal(tx, used.orgId, used.id, used.memberId, error.reason, now);
      return { ok: false, error };
    }
    await writeAudit(tx, used.orgId, [{
      actor: actorLabel(member),
      action: 'sign_in_link.use',
      subject: `sign_in_link:${used.id}`,
      before: { used: false },
      after: { used: true, purpose: used.purpose, usedAt: now.toISOString() },
    }]);
    return { ok: true, linkId: used.id, orgId: used.orgId, purpose: used.purpose, member };
  });
  if (!outcome.ok) throw outcome.error;
  const session = await sessions.issue({ memberId: outcome.member.id, orgId: outcome.orgId, epoch: outcome.member.sessionEpoch });
  return { linkId: outcome.linkId, orgId: outcome.orgId, purpose: outcome.purpose, member: outcome.member, session };
}
