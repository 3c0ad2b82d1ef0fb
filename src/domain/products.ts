// Products (surfaces) a request can come from: the built-in ones and the names an org
// declares, and whose cap applies to a member on a product. Pure rules.

/** Built in: Claude (the apps), Claude Code, and the API. Usable by every org without declaring. */
export const BUILT_IN_PRODUCTS = ['claude', 'claude_code', 'api'] as const;

/** A product name: a short lowercase slug (letters, digits, _ and -), starting with a letter. */
export const PRODUCT_PATTERN = /^[a-z][a-z0-9_-]{0,39}$/;
export const PRODUCT_RULE = 'a short slug: lowercase letters, digits, _ or -, starting with a letter, at most 40 characters';

export const isBuiltInProduct = (product: string) => (BUILT_IN_PRODUCTS as readonly string[]).includes(product);

/** How usage without a product is shown in reports and on invoice lines. */
export const UNSPECIFIED_PRODUCT = 'unspecified';

/**
 * A member's cap on a product: their own when an owner set one (null there = no
 * product cap for them), else the product's default (null = none; 0 = off).
 */
export function productCapOf(defaultCapNanos: bigint | null, member: { set: boolean; capNanos: bigint | null }): bigint | null {
  return member.set ? member.capNanos : defaultCapNanos;
}

/** The month-to-date row of one member's extra usage on one product (MonthlySpend scope 'product'). */
export const productSpendSubject = (product: string, memberId: string) => `${product}:${memberId}`;
