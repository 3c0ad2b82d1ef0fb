// The org's products in the ledger: which names it declared (an org-defined product
// must be declared before usage may name it), the per-member product caps owners set
// (audited, owners only), and the caps that apply to a batch of records.
import type { Db } from '../../db/client.js';
import type { Member, Organization } from '../../generated/prisma/client.js';
import { bigOrNull, type SqlQuery } from '../../db/sql.js';
import { formatUsdOrNull } from '../../domain/money.js';
import { isBuiltInProduct, productCapOf } from '../../domain/products.js';
import { actorLabel, requireOwner } from '../actors.js';
import { writeAudit } from '../audit.js';
import { invalid } from '../errors.js';
import { requireActiveMember } from '../settings/members.js';
import { inTransaction } from '../transactions.js';

/** The refusal of a well-formed name the org has not declared. */
export const undeclaredProduct = (product: string) =>
  invalid('product', `product '${product}' is not declared for this organisation: use claude, claude_code or api, or have an owner declare it (PUT /v1/settings/products/${product})`);

// Which names each org declared: a short-lived copy per process (declarations change
// rarely); a name it lacks is looked up again before it is refused.
const DECLARED_MS = 2_000;
const declaredCopies = new WeakMap<Db, Map<string, { names: Set<string>; at: number }>>();

async function declaredFresh(db: Db, orgId: string): Promise<Set<string>> {
  const rows = await db.orgProduct.findMany({ where: { orgId }, select: { product: true } });
  const names = new Set(rows.map((r) => r.product));
  let cache = declaredCopies.get(db);
  if (!cache) declaredCopies.set(db, (cache = new Map()));
  cache.set(orgId, { names, at: Date.now() });
  return names;
}

/** Throws the 422 naming `product` unless it is built in or declared by the org. */
export async function requireKnownProduct(db: Db, orgId: string, product: string | undefined | null): Promise<void> {
  if (!product || isBuiltInProduct(product)) return;
  const hit = declaredCopies.get(db)?.get(orgId);
  if (hit && Date.now() - hit.at < DECLARED_MS && hit.names.has(product)) return;
  if (!(await declaredFresh(db, orgId)).has(product)) throw undeclaredProduct(product);
}

function forgetDeclared(db: Db, orgId: string) {
  declaredCopies.get(db)?.delete(orgId);
}

/** One (org, product, member) asked about by a batch of records. */
export interface ProductCapKey {
  orgId: string;
  product: string;
  memberId: string;
}

const capKey = (k: ProductCapKey) => `${k.orgId}\u0000${k.product}\u0000${k.memberId}`;

/**
 * The product cap of each (org, product, member) a batch names, read in one statement
 * inside the batch's transaction: the member's own, else the product's default.
 * A pair not in the answer has no product cap.
 */
export async function productCapsOf(q: SqlQuery, keys: ProductCapKey[]): Promise<Map<string, bigint | null>> {
  const out = new Map<string, bigint | null>();
  if (keys.length === 0) return out;
  const rows = await q.query<{ i: unknown; defaultCap: unknown; memberSet: boolean; memberCap: unknown }>(
    `SELECT k.i, p."memberCapNanos" AS "defaultCap", c."memberId" IS NOT NULL AS "memberSet", c."capNanos" AS "memberCap"
     FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS k(org, product, member, i)
     JOIN "OrgProduct" p ON p."orgId" = k.org AND p."product" = k.product
     LEFT JOIN "MemberProductCap" c ON c."orgId" = k.org AND c."product" = k.product AND c."memberId" = k.member`,
    [keys.map((k) => k.orgId), keys.map((k) => k.product), keys.map((k) => k.memberId)],
  );
  for (const r of rows) {
    const k = keys[Number(r.i) - 1]!;
    out.set(capKey(k), productCapOf(bigOrNull(r.defaultCap), { set: Boolean(r.memberSet), capNanos: bigOrNull(r.memberCap) }));
  }
  return out;
}

export const productCapIn = (caps: Map<string, bigint | null>, k: ProductCapKey) => caps.get(capKey(k)) ?? null;

/** One member's cap on one product, read with Prisma (reservations and late pricing). */
export async function productCapOfMember(db: Db, orgId: string, product: string | null, memberId: string): Promise<bigint | null> {
  if (!product) return null;
  const setting = await db.orgProduct.findUnique({ where: { orgId_product: { orgId, product } }, include: { caps: { where: { memberId } } } });
  if (!setting) return null;
  const own = setting.caps[0];
  return productCapOf(setting.memberCapNanos, { set: !!own, capNanos: own?.capNanos ?? null });
}

// ---- Owner settings ----

export interface ProductView {
  product: string;
  builtIn: boolean;
  /** Each member's monthly cap of extra usage on it unless they have their own: null = none, "0.00" = off. */
  memberCap: string | null;
  /** Members with their own cap on it (null = no product cap for them). */
  members: { memberId: string; externalId: string; name: string; cap: string | null }[];
}

/** Every product the org declared or capped, and the built-in ones. */
export async function productsView(db: Db, orgId: string): Promise<ProductView[]> {
  const rows = await db.orgProduct.findMany({ where: { orgId }, include: { caps: { include: { member: true } } }, orderBy: { product: 'asc' } });
  const byName = new Map(rows.map((r) => [r.product, r]));
  const names = [...new Set([...['claude', 'claude_code', 'api'], ...rows.map((r) => r.product)])];
  return names.map((product) => {
    const r = byName.get(product);
    return {
      product,
      builtIn: isBuiltInProduct(product),
      memberCap: formatUsdOrNull(r?.memberCapNanos ?? null),
      members: (r?.caps ?? [])
        .map((c) => ({ memberId: c.memberId, externalId: c.member.externalId, name: c.member.name, cap: formatUsdOrNull(c.capNanos) }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    };
  });
}

/**
 * Declares a product (an org-defined name) and/or sets its default per-member cap
 * (null = none, 0 = off for members without their own). Owners only; audited.
 */
export async function setProductCap(db: Db, org: Organization, actor: Member, product: string, capNanos: bigint | null): Promise<void> {
  requireOwner(actor);
  await inTransaction(db, async (tx) => {
    const before = await tx.orgProduct.findUnique({ where: { orgId_product: { orgId: org.id, product } } });
    await tx.orgProduct.upsert({
      where: { orgId_product: { orgId: org.id, product } },
      create: { orgId: org.id, product, memberCapNanos: capNanos },
      update: { memberCapNanos: capNanos },
    });
    await writeAudit(tx, org.id, [{
      actor: actorLabel(actor), action: 'cap.product.set', subject: `product:${product}`,
      before: before ? { declared: true, memberCap: formatUsdOrNull(before.memberCapNanos) } : { declared: isBuiltInProduct(product), memberCap: null },
      after: { declared: true, memberCap: formatUsdOrNull(capNanos) },
    }]);
  });
  forgetDeclared(db, org.id);
}

/**
 * A member's own cap on a product (null = no product cap for them), or `default` to
 * go back to the product's. Owners only; audited. An org-defined product must be declared first.
 */
export async function setMemberProductCap(db: Db, org: Organization, actor: Member, product: string, memberRef: string, cap: { capNanos: bigint | null } | 'default'): Promise<Member> {
  requireOwner(actor);
  const member = await requireActiveMember(db, org.id, memberRef);
  await inTransaction(db, async (tx) => {
    let setting = await tx.orgProduct.findUnique({ where: { orgId_product: { orgId: org.id, product } } });
    if (!setting) {
      if (!isBuiltInProduct(product)) throw undeclaredProduct(product);
      // A built-in product gets its row (no default cap) when first capped.
      setting = await tx.orgProduct.create({ data: { orgId: org.id, product, memberCapNanos: null } });
    }
    const where = { orgId_product_memberId: { orgId: org.id, product, memberId: member.id } };
    const before = await tx.memberProductCap.findUnique({ where });
    const view = (own: { capNanos: bigint | null } | null) => (own ? { cap: formatUsdOrNull(own.capNanos) } : { cap: 'default', productDefault: formatUsdOrNull(setting!.memberCapNanos) });
    if (cap === 'default') {
      if (!before) return; // already so: nothing changes, nothing to audit
      await tx.memberProductCap.delete({ where });
    } else {
      await tx.memberProductCap.upsert({ where, create: { orgId: org.id, product, memberId: member.id, capNanos: cap.capNanos }, update: { capNanos: cap.capNanos } });
    }
    await writeAudit(tx, org.id, [{
      actor: actorLabel(actor), action: 'cap.member_product.set', subject: `member:${member.id}`,
      before: { product, ...view(before) }, after: { product, ...view(cap === 'default' ? null : cap) },
    }]);
  });
  return member;
}
