// An org's connection to its Anthropic organization: the Admin API key sealed with
// SECRETS_KEY, checked with a read call (the organization it belongs to) before it is
// stored. The key is never returned, logged or written to the audit log.
import type { Db } from '../db/client.js';
import { writeAudit } from '../ledger/audit.js';
import { appendEvents } from '../ledger/outbox.js';
import { conflict, invalid, notFound } from '../ledger/errors.js';
import { inTransaction } from '../ledger/transactions.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { adminClient, type AdminClient, type AnthropicSettings } from './client.js';
import { anthropicFault, AnthropicUnavailable } from './errors.js';

/** What an org needs to talk to Anthropic: the box that opens its key, and where to call. */
export interface AnthropicDeps extends AnthropicSettings {
  box: SecretBox;
}

/** Associated data of the sealed key: a key sealed for one org does not open as another's. */
const purposeOf = (orgId: string) => `anthropic-admin-key:${orgId}`;

export interface ConnectionView {
  connected: boolean;
  anthropicOrganization: { id: string; name: string } | null;
  connectedAt: string | null;
  lastSyncedAt: string | null;
  /** Why the last poll failed, in words (null once one succeeds). */
  lastError: string | null;
}

const NOT_CONNECTED: ConnectionView = { connected: false, anthropicOrganization: null, connectedAt: null, lastSyncedAt: null, lastError: null };

export async function connectionView(db: Db, orgId: string): Promise<ConnectionView> {
  const row = await db.anthropicConnection.findUnique({ where: { orgId } });
  if (!row) return NOT_CONNECTED;
  return {
    connected: true,
    anthropicOrganization: { id: row.anthropicOrgId, name: row.anthropicOrgName },
    connectedAt: row.connectedAt.toISOString(),
    lastSyncedAt: row.lastSyncedAt?.toISOString() ?? null,
    lastError: row.lastError,
  };
}

/**
 * Checks the key with a read call, then stores it sealed (replacing an earlier one).
 * A refused key is a 422 naming `adminApiKey`; Anthropic unreachable is
 * AnthropicUnavailable; either way nothing is stored.
 */
export async function connectOrg(db: Db, deps: AnthropicDeps, orgId: string, apiKey: string, actor: string): Promise<ConnectionView> {
  let info: { id: string; name: string };
  try {
    info = await adminClient(apiKey, deps).organization.retrieve();
  } catch (err) {
    const fault = anthropicFault(err);
    if (!fault) throw err;
    if (fault.transient) throw new AnthropicUnavailable(fault);
    throw invalid('adminApiKey', `${fault.message}. Nothing was stored.`);
  }
  const sealed = deps.box.seal(apiKey, purposeOf(orgId));
  await inTransaction(db, async (tx) => {
    const before = await tx.anthropicConnection.findUnique({ where: { orgId } });
    // Another organization's key would make the next poll remove every mirrored member.
    if (before && before.anthropicOrgId !== info.id) {
      throw conflict(`this key is of the Anthropic organization ${info.id} (${info.name}), not ${before.anthropicOrgId} (${before.anthropicOrgName}) connected before: use a key of ${before.anthropicOrgName}, or disconnect first. Nothing was stored.`, 'adminApiKey');
    }
    // Two orgs here on one Anthropic organization would both approve its requests (also a unique index).
    const holder = await tx.anthropicConnection.findFirst({ where: { anthropicOrgId: info.id, NOT: { orgId } }, select: { org: { select: { slug: true } } } });
    if (holder) throw conflict(`the Anthropic organization ${info.id} (${info.name}) is already connected to organisation '${holder.org.slug}'. Nothing was stored.`, 'adminApiKey');
    await tx.anthropicConnection.upsert({
      where: { orgId },
      create: { orgId, keyCiphertext: sealed, anthropicOrgId: info.id, anthropicOrgName: info.name },
      update: { keyCiphertext: sealed, anthropicOrgId: info.id, anthropicOrgName: info.name, lastError: null },
    });
    await writeAudit(tx, orgId, [{
      actor,
      action: 'anthropic.connected',
      subject: 'org',
      before: before ? { anthropicOrganization: before.anthropicOrgId } : { connected: false },
      // The key itself never: only that a new one was stored.
      after: { anthropicOrganization: info.id, name: info.name, key: 'stored (encrypted)' },
    }]);
    // The org's schedules are brought up to date (the poll starts): src/temporal/outbox-routes.ts.
    await appendEvents(tx, orgId, [{ type: 'org_provisioned' }]);
  });
  return connectionView(db, orgId);
}

export async function disconnectOrg(db: Db, orgId: string, actor: string): Promise<ConnectionView> {
  await inTransaction(db, async (tx) => {
    const before = await tx.anthropicConnection.findUnique({ where: { orgId } });
    if (!before) throw notFound('Anthropic connection', 'slug');
    await tx.anthropicConnection.delete({ where: { orgId } });
    await writeAudit(tx, orgId, [{ actor, action: 'anthropic.disconnected', subject: 'org', before: { anthropicOrganization: before.anthropicOrgId }, after: { connected: false } }]);
    // The poll stops (schedules), and each request from Claude pending here ends as no longer tracked (src/temporal/outbox-routes.ts).
    await appendEvents(tx, orgId, [{ type: 'org_provisioned' }, { type: 'anthropic_disconnected' }]);
  });
  return NOT_CONNECTED;
}

/** The SDK client of a connected org (its key opened for the call), or null when not connected. */
export async function clientForOrg(db: Db, deps: AnthropicDeps, orgId: string, maxRetries = 2): Promise<AdminClient | null> {
  const row = await db.anthropicConnection.findUnique({ where: { orgId } });
  if (!row) return null;
  return adminClient(deps.box.open(row.keyCiphertext, purposeOf(orgId)), deps, maxRetries);
}

/** After a poll: when it last reached Anthropic, or why not (shown on GET .../anthropic and /health). */
export async function recordPoll(db: Db, orgId: string, at: Date, error: string | null): Promise<void> {
  await db.anthropicConnection.updateMany({ where: { orgId }, data: error === null ? { lastSyncedAt: at, lastError: null } : { lastError: error } });
}

/** Connected orgs whose last poll did not reach Anthropic (unreachable, 429, 5xx, a refused key): GET /health names them. */
export async function failingConnections(db: Db): Promise<{ org: string; error: string; lastSyncedAt: string | null }[]> {
  const rows = await db.anthropicConnection.findMany({ where: { lastError: { not: null } }, select: { lastError: true, lastSyncedAt: true, org: { select: { slug: true } } }, orderBy: { orgId: 'asc' } });
  return rows.map((c) => ({ org: c.org.slug, error: c.lastError!, lastSyncedAt: c.lastSyncedAt?.toISOString() ?? null }));
}

/** Who stored the key in use and when (the latest `anthropic.connected` audit entry), for the owners' console page. */
export async function keyStoredBy(db: Db, orgId: string): Promise<{ actor: string; at: string } | null> {
  const entry = await db.auditEntry.findFirst({ where: { orgId, action: 'anthropic.connected' }, orderBy: { id: 'desc' }, select: { actor: true, createdAt: true } });
  return entry ? { actor: entry.actor, at: entry.createdAt.toISOString() } : null;
}
