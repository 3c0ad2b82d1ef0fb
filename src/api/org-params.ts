// The operator's routes name an organisation by its slug in the path.
import { z } from 'zod';
import type { Db } from '../db/client.js';
import { notFound } from '../ledger/errors.js';

export const slugParams = z.object({ slug: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'must be 2-63 lowercase letters, digits or dashes') });

/** The organisation with this slug (and its seat tiers), or a 404 naming `slug`. */
export async function orgBySlug(db: Db, slug: string) {
  const org = await db.organization.findUnique({ where: { slug }, include: { seatTiers: true } });
  if (!org) throw notFound(`organisation '${slug}'`, 'slug');
  return org;
}
