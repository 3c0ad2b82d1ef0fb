// The readable names workflow ids and search attributes carry: an org's slug and a
// member's external id. Both are immutable (the slug is the org's key in the operator
// API; a member's external id is its key in the org document), so each process keeps
// them once looked up: the relay asks the database at most once per org and member.
import type { Db } from '../db/client.js';

const slugs = new Map<string, string>();
const externalIds = new Map<string, string>();

export async function orgSlugOf(db: Db, orgId: string): Promise<string> {
  let slug = slugs.get(orgId);
  if (slug === undefined) {
    slug = (await db.organization.findUniqueOrThrow({ where: { id: orgId }, select: { slug: true } })).slug;
    slugs.set(orgId, slug);
  }
  return slug;
}

export async function memberExternalIdOf(db: Db, memberId: string): Promise<string | undefined> {
  let ext = externalIds.get(memberId);
  if (ext === undefined) {
    ext = (await db.member.findUnique({ where: { id: memberId }, select: { externalId: true } }))?.externalId;
    if (ext !== undefined) externalIds.set(memberId, ext);
  }
  return ext;
}
