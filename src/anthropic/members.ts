// Members mirrored from the Anthropic organization's users list (every page): a user
// becomes a member (owner, admin or member), is matched to an existing member by email
// first (so their Slack and Teams links stay), follows renames and role changes, and
// leaves when no longer listed. Members the users list never named are left as they are.
// Owners are the operator's document's: the mirror never creates, demotes or removes one.
import type { BetaOrganizationUser } from '@anthropic-ai/sdk/resources/beta/organization/users';
import type { Db } from '../db/client.js';
import { mirroredRole, OWNER_ROLES, SYSTEM_ACTOR } from '../ledger/actors.js';
import { writeAudit, type AuditRecord } from '../ledger/audit.js';
import { appendEvents } from '../ledger/outbox.js';
import { inTransaction } from '../ledger/transactions.js';
import type { DomainEvent } from '../domain/events.js';
import type { AdminClient } from './client.js';

export interface MemberSyncResult {
  listed: number;
  created: number;
  updated: number;
  removed: number;
}

/** Every user of the organization, pages followed by the SDK. */
export async function listAllUsers(client: AdminClient): Promise<BetaOrganizationUser[]> {
  const users: BetaOrganizationUser[] = [];
  for await (const u of client.beta.organization.users.list({ limit: 100 })) users.push(u);
  return users;
}

const ACTOR = `${SYSTEM_ACTOR} (Anthropic users list)`;

export async function mirrorMembers(db: Db, orgId: string, users: BetaOrganizationUser[], now: Date): Promise<MemberSyncResult> {
  const result: MemberSyncResult = { listed: users.length, created: 0, updated: 0, removed: 0 };
  await inTransaction(db, async (tx) => {
    const members = await tx.member.findMany({ where: { orgId } });
    const byUser = new Map(members.filter((m) => m.anthropicUserId).map((m) => [m.anthropicUserId!, m]));
    const byEmail = new Map(members.filter((m) => !m.anthropicUserId && m.email).map((m) => [m.email!.toLowerCase(), m]));
    const takenExternal = new Set(members.map((m) => m.externalId));
    const audits: AuditRecord[] = [];
    const events: DomainEvent[] = [];
    const listed = new Set<string>();
    for (const u of users) {
      listed.add(u.id);
      const existing = byUser.get(u.id) ?? byEmail.get(u.email.toLowerCase());
      const role = mirroredRole(u.role, existing?.role ?? null);
      if (!existing) {
        // The user id is the member's key; an id a provisioned member already uses gets a prefix.
        const externalId = takenExternal.has(u.id) ? `anthropic:${u.id}` : u.id;
        const created = await tx.member.create({ data: { orgId, externalId, name: u.name || u.email, email: u.email, role, seatTier: 'standard', anthropicUserId: u.id } });
        takenExternal.add(externalId);
        audits.push({ actor: ACTOR, action: 'member.add', subject: `member:${created.id}`, before: null, after: { externalId, name: created.name, email: u.email, role, anthropicUserId: u.id } });
        result.created++;
        continue;
      }
      byEmail.delete(u.email.toLowerCase());
      const name = u.name || u.email;
      const change = {
        ...(existing.anthropicUserId !== u.id ? { anthropicUserId: u.id } : {}),
        ...(existing.name !== name ? { name } : {}),
        ...(existing.email !== u.email ? { email: u.email } : {}),
        ...(existing.role !== role ? { role } : {}),
        ...(existing.removedAt ? { removedAt: null } : {}),
      };
      if (Object.keys(change).length === 0) continue;
      await tx.member.update({ where: { id: existing.id }, data: change });
      const before = Object.fromEntries(Object.keys(change).map((k) => [k, (existing as Record<string, unknown>)[k] ?? null]));
      audits.push({ actor: ACTOR, action: 'member.update', subject: `member:${existing.id}`, before, after: change });
      result.updated++;
    }
    for (const m of members) {
      if (!m.anthropicUserId || m.removedAt || listed.has(m.anthropicUserId)) continue;
      // Owners leave only through the operator's document.
      if (OWNER_ROLES.includes(m.role)) continue;
      // As when an org document drops a member: chat links freed, open requests closed.
      await tx.member.update({ where: { id: m.id }, data: { removedAt: now, slackUserId: null, teamsUserId: null } });
      events.push({ type: 'member_removed', memberId: m.id });
      audits.push({ actor: ACTOR, action: 'member.remove', subject: `member:${m.id}`, before: { externalId: m.externalId, name: m.name }, after: { removed: true } });
      result.removed++;
    }
    await writeAudit(tx, orgId, audits);
    await appendEvents(tx, orgId, events);
  });
  return result;
}
