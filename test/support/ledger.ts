// Ledger-level fixtures for workflow tests: an org provisioned straight through the
import { randomUUID } from 'node:crypto';
// ledger (no HTTP), with the same documents the API tests use.
import type { Db } from '../../src/db/client.js';
import { orgDocumentSchema } from '../../src/ledger/settings/org-document.js';
import { provisionOrg } from '../../src/ledger/settings/provisioning.js';
import { recordUsage } from '../../src/ledger/metering/record.js';

export async function provision(db: Db, slug: string, doc: unknown) {
  const result = await provisionOrg(db, slug, orgDocumentSchema.parse(doc));
  const member = async (externalId: string) => db.member.findUniqueOrThrow({ where: { orgId_externalId: { orgId: result.orgId, externalId } } });
  return { orgId: result.orgId, member };
}

/**
 * Records usage (on haiku) worth the member's whole included allowance, so they stand
 * at their seat limit: the state in which a member may ask admins for more usage.
 */
export async function exhaustSeat(db: Db, orgId: string, memberRef: string, at = new Date()): Promise<void> {
  const member = await db.member.findFirstOrThrow({ where: { orgId, OR: [{ id: memberRef }, { externalId: memberRef }] } });
  const tier = await db.seatTierConfig.findUniqueOrThrow({ where: { orgId_tier: { orgId, tier: member.seatTier } } });
  const cents = Number(tier.includedAllowanceNanos / 10_000_000n);
  await recordUsage(db, { orgId, requestId: `exhaust-${randomUUID()}`, member: member.id, model: 'claude-haiku-4-5', usage: { input_tokens: 0, output_tokens: cents * 2_000 }, at }, at);
}
