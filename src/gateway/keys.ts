// Members' personal gateway keys: what Claude Code sends as x-api-key or Bearer token.
// Only a sha256 is stored; the key is shown once, when made. Recognisable by its
// prefix (eug_). Revocable by its member and by owners and admins; optionally expiring;
// every create, revoke and use after revoke is audited.
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/client.js';
import type { Actor } from '../identity/people.js';
import { actorLabel, isAdmin } from '../ledger/actors.js';
import { writeAudit } from '../ledger/audit.js';
import { forbidden, notFound } from '../ledger/errors.js';
import { inTransaction } from '../ledger/transactions.js';

export const GATEWAY_KEY_PREFIX = 'eug_';
const hashOf = (key: string) => createHash('sha256').update(key).digest('hex');

export interface GatewayKeyView {
  id: string;
  memberId: string;
  name: string;
  prefix: string;
  product: string | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

type Row = { id: string; memberId: string; name: string; prefix: string; product: string | null; createdAt: Date; expiresAt: Date | null; revokedAt: Date | null };
const viewOf = (r: Row): GatewayKeyView => ({
  id: r.id, memberId: r.memberId, name: r.name, prefix: r.prefix, product: r.product,
  createdAt: r.createdAt.toISOString(), expiresAt: r.expiresAt?.toISOString() ?? null, revokedAt: r.revokedAt?.toISOString() ?? null,
});

/** A new key for the acting member (their own only): the key is in the answer, once. */
export async function createGatewayKey(db: Db, actor: Actor, input: { name: string; expiresAt?: Date | null; product?: string | null }): Promise<GatewayKeyView & { key: string }> {
  const key = `${GATEWAY_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  const prefix = key.slice(0, 12);
  const row = await inTransaction(db, async (tx) => {
    const created = await tx.gatewayKey.create({ data: { orgId: actor.orgId, memberId: actor.id, name: input.name, prefix, keyHash: hashOf(key), product: input.product ?? null, expiresAt: input.expiresAt ?? null } });
    await writeAudit(tx, actor.orgId, [{ actor: actorLabel(actor), action: 'gateway_key.create', subject: `gateway_key:${created.id}`, before: null, after: { member: actor.externalId, name: input.name, prefix, expiresAt: created.expiresAt, product: created.product } }]);
    return created;
  });
  return { ...viewOf(row), key };
}

/** The member's own keys; owners and admins may list anyone's (member omitted: everyone's). */
export async function listGatewayKeys(db: Db, actor: Actor, memberId?: string): Promise<GatewayKeyView[]> {
  if (memberId !== undefined && memberId !== actor.id && !isAdmin(actor)) throw forbidden('only owners and admins may see other members\' gateway keys');
  const whose = memberId ?? (isAdmin(actor) ? undefined : actor.id);
  const rows = await db.gatewayKey.findMany({ where: { orgId: actor.orgId, ...(whose ? { memberId: whose } : {}) }, orderBy: { createdAt: 'asc' } });
  return rows.map(viewOf);
}

/** Revokes a key: its member, or an owner or admin. Revoking a revoked key changes nothing. */
export async function revokeGatewayKey(db: Db, actor: Actor | 'operator', orgId: string, id: string): Promise<GatewayKeyView> {
  const label = actor === 'operator' ? 'operator' : actorLabel(actor);
  const result = await inTransaction(db, async (tx) => {
    const row = await tx.gatewayKey.findFirst({ where: { id, orgId } });
    if (!row) throw notFound(`gateway key '${id}'`, 'id');
    if (actor !== 'operator' && row.memberId !== actor.id && !isAdmin(actor)) throw forbidden('only the key\'s member, owners and admins may revoke a gateway key');
    if (row.revokedAt) return row;
    const revoked = await tx.gatewayKey.update({ where: { id }, data: { revokedAt: new Date(), revokedBy: label } });
    await writeAudit(tx, orgId, [{ actor: label, action: 'gateway_key.revoke', subject: `gateway_key:${id}`, before: { revoked: false }, after: { revoked: true, prefix: row.prefix } }]);
    return revoked;
  });
  keyCacheOf(db).clear();
  return viewOf(result);
}

export interface GatewayCaller {
  keyId: string;
  orgId: string;
  orgSlug: string;
  timezone: string;
  enforcementMode: 'check' | 'reserve';
  memberId: string;
  product: string | null;
  /** The org chose to have its requests forwarded unchecked while the ledger is unreachable (docs/gateway.md). */
  failOpen: boolean;
}

// A look-up per model request would add a round trip to every call: hits are kept
// briefly. Revoking in this process takes effect at once; another process of a
// deployment stops honouring it within KEY_CACHE_MS.
export const KEY_CACHE_MS = 5_000;
type Cached = { caller: GatewayCaller | 'revoked' | null; at: number; expiresAt: number | null };
const caches = new WeakMap<Db, Map<string, Cached>>();
function keyCacheOf(db: Db) {
  let c = caches.get(db);
  if (!c) caches.set(db, (c = new Map()));
  return c;
}

/**
 * The member behind a presented key, 'revoked' for a key revoked, expired or of a
 * removed member, or null for no key of ours. A revoked key used is audited (once per
 * key a minute in a process, so a retrying client cannot flood the log).
 */
export async function authenticateGatewayKey(db: Db, key: string, now: Date): Promise<GatewayCaller | 'revoked' | null> {
  if (!key.startsWith(GATEWAY_KEY_PREFIX) || key.length > 200) return null;
  const hash = hashOf(key);
  const cache = keyCacheOf(db);
  const hit = cache.get(hash);
  if (hit && now.getTime() - hit.at <= KEY_CACHE_MS) return hit.caller;
  const row = await db.gatewayKey.findUnique({ where: { keyHash: hash }, include: { member: { select: { removedAt: true } }, org: { select: { slug: true, timezone: true, enforcementMode: true, gatewayFailOpen: true } } } });
  let caller: Cached['caller'] = null;
  if (row) {
    const dead = row.revokedAt !== null || row.member.removedAt !== null || (row.expiresAt !== null && row.expiresAt <= now);
    caller = dead ? 'revoked' : { keyId: row.id, orgId: row.orgId, orgSlug: row.org.slug, timezone: row.org.timezone, enforcementMode: row.org.enforcementMode, memberId: row.memberId, product: row.product, failOpen: row.org.gatewayFailOpen };
    if (dead && row.revokedAt) await auditUseAfterRevoke(db, row.orgId, row.id, row.prefix, now);
  }
  if (cache.size > 10_000) cache.clear();
  // An expiring key's copy lapses no later than the key itself.
  cache.set(hash, { caller, at: caller !== null && caller !== 'revoked' && row?.expiresAt ? Math.min(now.getTime(), row.expiresAt.getTime() - KEY_CACHE_MS) : now.getTime(), expiresAt: row?.expiresAt?.getTime() ?? null });
  return caller;
}

/**
 * The member this process last knew behind a key, however long ago, while the ledger
 * cannot be asked: only for an org that chose to fail open. Null for a key not seen
 * since the process started (or since a revoke here), revoked, or expired by now.
 */
export function lastKnownCaller(db: Db, key: string, now: Date): GatewayCaller | null {
  if (!key.startsWith(GATEWAY_KEY_PREFIX)) return null;
  const hit = keyCacheOf(db).get(hashOf(key));
  if (!hit || hit.caller === null || hit.caller === 'revoked') return null;
  if (hit.expiresAt !== null && hit.expiresAt <= now.getTime()) return null;
  return hit.caller;
}

const lastRevokedAudit = new Map<string, number>();
async function auditUseAfterRevoke(db: Db, orgId: string, keyId: string, prefix: string, now: Date) {
  const last = lastRevokedAudit.get(keyId);
  if (last !== undefined && now.getTime() - last < 60_000) return;
  lastRevokedAudit.set(keyId, now.getTime());
  await inTransaction(db, (tx) => writeAudit(tx, orgId, [{ actor: 'gateway', action: 'gateway_key.used_after_revoke', subject: `gateway_key:${keyId}`, before: null, after: { prefix } }]));
}
