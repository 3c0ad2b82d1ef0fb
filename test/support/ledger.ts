// Ledger-level fixtures for workflow tests: an org provisioned straight through the
// ledger (no HTTP), with the same documents the API tests use.
import type { Db } from '../../src/db/client.js';
import { orgDocumentSchema } from '../../src/ledger/org-document.js';
import { provisionOrg } from '../../src/ledger/provisioning.js';

export async function provision(db: Db, slug: string, doc: unknown) {
  const result = await provisionOrg(db, slug, orgDocumentSchema.parse(doc));
  const member = async (externalId: string) => db.member.findUniqueOrThrow({ where: { orgId_externalId: { orgId: result.orgId, externalId } } });
  return { orgId: result.orgId, member };
}
