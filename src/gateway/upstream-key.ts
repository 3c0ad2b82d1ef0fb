// The org's Anthropic API key the gateway forwards with, set by the operator: sealed
// with SECRETS_KEY (src/secrets/secret-box.ts) under a purpose naming the org, never
// returned, logged or written to the audit log (only that one was stored).
import type { Db } from '../db/client.js';
import { writeAudit } from '../ledger/audit.js';
import { notFound } from '../ledger/errors.js';
import { inTransaction } from '../ledger/transactions.js';
import type { SecretBox } from '../secrets/secret-box.js';

const purposeOf = (orgId: string) => `anthropic-upstream-key:${orgId}`;

export interface UpstreamKeyView {
  set: boolean;
  updatedAt: string | null;
}

export async function upstreamKeyView(db: Db, orgId: string): Promise<UpstreamKeyView> {
  const row = await db.gatewayUpstream.findUnique({ where: { orgId }, select: { updatedAt: true } });
  return { set: row !== null, updatedAt: row?.updatedAt.toISOString() ?? null };
}

export async function setUpstreamKey(db: Db, box: SecretBox, orgId: string, apiKey: string, actor: string): Promise<UpstreamKeyView> {
  const sealed = box.seal(apiKey, purposeOf(orgId));
  await inTransaction(db, async (tx) => {
    const before = await tx.gatewayUpstream.findUnique({ where: { orgId }, select: { orgId: true } });
    await tx.gatewayUpstream.upsert({ where: { orgId }, create: { orgId, keyCiphertext: sealed }, update: { keyCiphertext: sealed } });
    await writeAudit(tx, orgId, [{ actor, action: 'gateway.upstream_key.set', subject: 'org', before: { set: before !== null }, after: { set: true, key: 'stored (encrypted)' } }]);
  });
  forgetUpstreamKeys(db);
  return upstreamKeyView(db, orgId);
}

export async function clearUpstreamKey(db: Db, orgId: string, actor: string): Promise<UpstreamKeyView> {
  await inTransaction(db, async (tx) => {
    const before = await tx.gatewayUpstream.findUnique({ where: { orgId }, select: { orgId: true } });
    if (!before) throw notFound('upstream key', 'slug');
    await tx.gatewayUpstream.delete({ where: { orgId } });
    await writeAudit(tx, orgId, [{ actor, action: 'gateway.upstream_key.cleared', subject: 'org', before: { set: true }, after: { set: false } }]);
  });
  forgetUpstreamKeys(db);
  return { set: false, updatedAt: null };
}

// Opened keys are kept in memory for a short while: one read and one decryption per
// minute per org instead of per model request.
const OPEN_KEY_MS = 60_000;
const opened = new WeakMap<Db, Map<string, { key: string | null; at: number }>>();
function forgetUpstreamKeys(db: Db) {
  opened.delete(db);
}

/** The org's upstream key in clear (for the forwarded request only), or null when none is set. */
export async function openUpstreamKey(db: Db, box: SecretBox, orgId: string, now = Date.now()): Promise<string | null> {
  let cache = opened.get(db);
  if (!cache) opened.set(db, (cache = new Map()));
  const hit = cache.get(orgId);
  if (hit && now - hit.at < OPEN_KEY_MS) return hit.key;
  const row = await db.gatewayUpstream.findUnique({ where: { orgId }, select: { keyCiphertext: true } });
  const key = row ? box.open(row.keyCiphertext, purposeOf(orgId)) : null;
  cache.set(orgId, { key, at: now });
  return key;
}

/** The org's upstream key as this process last opened it, however long ago (the ledger unreachable, failing open); undefined when never. */
export function lastOpenedUpstreamKey(db: Db, orgId: string): string | null | undefined {
  return opened.get(db)?.get(orgId)?.key;
}
