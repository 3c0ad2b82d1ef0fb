// Who may do what, decided from the role stored for the acting member, never from
// anything the caller claims.
import type { Member } from '../generated/prisma/client.js';
import { forbidden } from './errors.js';

export type Role = Member['role'];

export const OWNER_ROLES: readonly Role[] = ['primary_owner', 'owner'];
export const ADMIN_ROLES: readonly Role[] = ['primary_owner', 'owner', 'admin'];

/** "a member", "the primary owner": a role as a sentence says it. */
const ROLE_WORDS: Record<Role, string> = { primary_owner: 'the primary owner', owner: 'an owner', admin: 'an admin', member: 'a member' };
export const roleWords = (role: Role) => ROLE_WORDS[role];

export const isOwner = (m: Pick<Member, 'role'>) => OWNER_ROLES.includes(m.role);
export const isAdmin = (m: Pick<Member, 'role'>) => ADMIN_ROLES.includes(m.role);

/** Only owners change money settings. */
export function requireOwner(actor: Member): void {
  if (!isOwner(actor)) throw forbidden(`${actor.name} is ${roleWords(actor.role)}: only an owner can change extra usage settings`);
}

/**
 * Only the primary owner sets what charges the org's payment method without a person
 * in the loop (auto-reload); owners (roles) change only through the operator's document.
 */
export function requirePrimaryOwner(actor: Member, what: string): void {
  if (actor.role !== 'primary_owner') throw forbidden(`${actor.name} is ${roleWords(actor.role)}: only the primary owner can ${what}`);
}

/**
 * A role from Anthropic's users list as ours. Owners change only through the operator's
 * document: Anthropic's primary owner and owners decide requests here as admins, and a
 * member the document made an owner keeps that role whatever Anthropic says.
 */
export function mirroredRole(anthropicRole: string, stored: Role | null): Role {
  if (stored && OWNER_ROLES.includes(stored)) return stored;
  if (anthropicRole === 'primary_owner' || anthropicRole === 'owner' || anthropicRole === 'admin') return 'admin';
  return 'member';
}

export function requireAdmin(actor: Member): void {
  if (!isAdmin(actor)) throw forbidden(`${actor.name} is ${roleWords(actor.role)}: only an admin or owner can see this`);
}

/** How an actor is named in the audit log; `via` says how they proved it ("api_key:<id>" when a key acts for them). */
export const actorLabel = (m: Pick<Member, 'id' | 'externalId'> & { via?: string }) => `member:${m.id} (${m.externalId})${m.via ? ` via ${m.via}` : ''}`;
export const OPERATOR_ACTOR = 'operator';
/** The service itself: a request expiring, a workflow cancelling one. */
export const SYSTEM_ACTOR = 'system';
