// API keys for model gateways and integrations. Only a hash is stored; the key is
// shown once, when issued.
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../../db/client.js';
import { OPERATOR_ACTOR } from '../actors.js';
import { writeAudit } from '../audit.js';
import { notFound } from '../errors.js';
import { inTransaction } from '../transactions.js';

/**
 * usage: a gateway's authorize and record. act_for_members: an org's own trusted back
 * end acting for the member it names in X-Actor (audited as "via api_key:<id>").
 * settings: kept so keys issued before sign-in existed answer with how to migrate;
 * it no longer acts for anyone.
 */
export const API_KEY_SCOPES = ['usage', 'act_for_members', 'settings'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

export async function issueApiKey(db: Db, orgId: string, name: string, scopes: ApiKeyScope[]) {
  const key = `eu_${randomBytes(24).toString('base64url')}`;
  const prefix = key.slice(0, 10);
  const row = await inTransaction(db, async (tx) => {
    const created = await tx.apiKey.create({ data: { orgId, name, prefix, keyHash: hashKey(key), scopes } });
    await writeAudit(tx, orgId, [{ actor: OPERATOR_ACTOR, action: 'api_key.issue', subject: `api_key:${created.id}`, before: null, after: { name, prefix, scopes } }]);
    return created;
  });
  return { id: row.id, name, prefix, scopes, key, createdAt: row.createdAt };
}

// Authenticating every metering call against the database would double its cost: keys
// are cached briefly. Revoking in this process takes effect at once; other processes
// of a deployment drop their copies within CACHE_SYNC_MS (cache-versions.ts), or
// within KEY_CACHE_MS when they cannot poll.
export const KEY_CACHE_MS = 5_000;
type KeyRow = Awaited<ReturnType<Db['apiKey']['findUnique']>>;
// The look-up itself is kept: the requests that arrive while a copy is read again wait
// for that one read instead of each sending its own.
type CachedKey = { row: Promise<KeyRow>; at: number };
const keyCaches = new WeakMap<Db, Map<string, CachedKey>>();
const keyCacheOf = (db: Db) => {
  let c = keyCaches.get(db);
  if (!c) keyCaches.set(db, (c = new Map()));
  return c;
};

/** Drop this process's copies (a key changed in another process: src/ledger/cache-versions.ts). A look-up in flight keeps writing to the old copy. */
export function forgetApiKeys(db: Db): void {
  keyCaches.delete(db);
}

export async function revokeApiKey(db: Db, orgId: string, id: string) {
  keyCacheOf(db).clear();
  return inTransaction(db, async (tx) => {
    const row = await tx.apiKey.findFirst({ where: { id, orgId } });
    if (!row) throw notFound(`API key '${id}'`, 'id');
    if (row.revokedAt) return row;
    const revoked = await tx.apiKey.update({ where: { id }, data: { revokedAt: new Date() } });
    await writeAudit(tx, orgId, [{ actor: OPERATOR_ACTOR, action: 'api_key.revoke', subject: `api_key:${id}`, before: { revoked: false }, after: { revoked: true } }]);
    return revoked;
  });
}

export async function listApiKeys(db: Db, orgId: string) {
  const rows = await db.apiKey.findMany({ where: { orgId }, orderBy: { createdAt: 'asc' } });
  return rows.map(({ keyHash: _hidden, ...rest }) => rest);
}

/** The live key behind a presented secret, or null. */
export async function authenticateApiKey(db: Db, key: string, now = Date.now()) {
  const hash = hashKey(key);
  const cache = keyCacheOf(db);
  let hit = cache.get(hash);
  if (!hit || now - hit.at > KEY_CACHE_MS) {
    const entry: CachedKey = { row: (async () => db.apiKey.findUnique({ where: { keyHash: hash } }))(), at: now };
    // A failed read is not kept: the next request reads again.
    entry.row.catch(() => {
      if (cache.get(hash) === entry) cache.delete(hash);
    });
    if (cache.size > 10_000) cache.clear();
    cache.set(hash, entry);
    hit = entry;
  }
  const row = await hit.row;
  return row && !row.revokedAt ? row : null;
}
