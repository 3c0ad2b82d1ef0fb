// The declarative document an operator provisions an organisation from. PUT again, it
// is merged against the document applied last time (src/domain/document-merge.ts):
// only fields it changes are applied. Nothing here has a default, so a field left
// out stays undefined and is left as it is; creation fills defaults (provisioning.ts).
import { z } from 'zod';
import { capAmount, text, usdAmount } from '../../domain/fields.js';
import { canonicalTimeZone, isValidTimeZone } from '../../domain/periods.js';
import { isAcceptableProviderUrl } from '../../domain/provider-url.js';

export { capAmount, usdAmount };

const seatTierSchema = z.object({
  includedAllowance: usdAmount.describe('Included usage per window, priced at API rates'),
  windowMinutes: z.number().int().min(1).max(60 * 24 * 31),
}).strict();

export const memberDocSchema = z.object({
  externalId: text(200).describe('Unique within the document'),
  name: text(200),
  email: z.string().max(254).email().nullable().optional(),
  role: z.enum(['primary_owner', 'owner', 'admin', 'member']),
  seatTier: z.enum(['standard', 'premium']),
  slackUserId: text(200).nullable().optional().describe('Unique within the document'),
  teamsUserId: text(200).nullable().optional().describe('Unique within the document'),
  extraUsageEnabled: z.boolean().optional(),
  extraUsageCap: capAmount.optional(),
}).strict();

export const orgDocumentSchema = z.object({
  name: text(200),
  plan: z.enum(['team', 'enterprise']),
  // Stored canonical ("europe/paris" is kept as "Europe/Paris"): see canonicalTimeZone.
  timezone: z.string().min(1).max(64).regex(/^[A-Za-z0-9_+\/-]+$/, 'must be an IANA timezone such as "Europe/Paris"').refine(isValidTimeZone, 'must be an IANA timezone such as "Europe/Paris"').transform((tz) => canonicalTimeZone(tz)!),
  /** Microsoft Entra tenant whose Teams users belong to this org (docs/teams.md). */
  teamsTenantId: z.string().uuid('must be a tenant id (a GUID)').nullable().optional(),
  /** Local hour (0-23, in `timezone`) of the admins' daily digest. */
  digestHour: z.number().int().min(0).max(23).optional(),
  /** The org's own OpenID Provider, whose tokens sign people in (docs/identity.md); null: none. */
  identityProvider: z.object({
    issuer: text(500).refine(isAcceptableProviderUrl, 'must be an https URL without credentials or fragment (http only on this machine)')
      .describe('Exactly as the provider spells it in its discovery document'),
    audience: text(500).describe('Our client id at the provider (ID tokens) or the API\'s resource identifier (access tokens)'),
  }).strict().nullable().optional(),
  seatTiers: z.object({ standard: seatTierSchema, premium: seatTierSchema }).strict(),
  /** docs/api.md "Usage the price book cannot price yet". */
  unknownModelFallback: text(200).nullable().optional()
    .describe('A price-book family (or an alias of one) whose rates price a model the price book does not know: authorize allows it and record prices it, flagged fallback_price. null (the default): authorize refuses such a model (model_unpriced) and record keeps it unpriced until it has a price'),
  extraUsage: z.object({
    enabled: z.boolean(),
    scope: z.enum(['all_members', 'selected_members']).optional().describe('all_members when the org is created'),
    orgMonthlyCap: capAmount.optional().describe('null = unlimited (also when the org is created without one)'),
    tierCaps: z.object({ standard: capAmount.optional(), premium: capAmount.optional() }).strict().optional()
      .describe('Enterprise plan only: a team org may leave them out or null'),
    /** check: the documented check-before/record-after; reserve: authorize holds an estimate (docs/api.md). */
    enforcement: z.enum(['check', 'reserve']).optional(),
  }).strict().optional(),
  autoReload: z.object({
    enabled: z.boolean(),
    threshold: usdAmount.nullable().optional(),
    amount: usdAmount.nullable().optional(),
    /** At most this much auto-reloaded per calendar month (USD); null = no limit. */
    monthlyMax: usdAmount.nullable().optional(),
    /** Deprecated: at most this many reloads of `amount` a month, stored as monthlyMax = monthlyLimit × amount. */
    monthlyLimit: z.number().int().min(1).max(1000).nullable().optional(),
  }).strict().optional().describe('Team plan only; threshold and amount are required when enabled'),
  // The primary-owner rule, published as JSON Schema (contains) as well as checked below.
  members: z.array(memberDocSchema).min(1).max(10_000).meta({
    description: 'Exactly one member has the role primary_owner',
    contains: { type: 'object', properties: { role: { const: 'primary_owner' } }, required: ['role'] },
    minContains: 1,
    maxContains: 1,
  }),
}).strict().superRefine((doc, ctx) => {
  const primaries = doc.members.filter((m) => m.role === 'primary_owner').length;
  if (primaries !== 1) ctx.addIssue({ code: 'custom', path: ['members'], message: `must have exactly one primary_owner (found ${primaries})` });
  for (const key of ['externalId', 'slackUserId', 'teamsUserId'] as const) {
    const seen = new Set<string>();
    doc.members.forEach((m, i) => {
      const v = m[key];
      if (!v) return;
      if (seen.has(v)) ctx.addIssue({ code: 'custom', path: ['members', i, key], message: `duplicate ${key} '${v}'` });
      seen.add(v);
    });
  }
  const tierCaps = doc.extraUsage?.tierCaps;
  if (doc.plan === 'team' && tierCaps && ((tierCaps.standard ?? null) !== null || (tierCaps.premium ?? null) !== null)) {
    ctx.addIssue({ code: 'custom', path: ['extraUsage', 'tierCaps'], message: 'seat-tier caps exist on the enterprise plan only' });
  }
  if (doc.plan === 'enterprise' && doc.autoReload) {
    ctx.addIssue({ code: 'custom', path: ['autoReload'], message: 'auto-reload exists on the team plan only (enterprise is billed monthly)' });
  }
  // Written null while enabled; left out is checked against the stored values (provisioning.ts).
  if (typeof doc.autoReload?.monthlyLimit === 'number' && (doc.autoReload.monthlyMax !== undefined || typeof doc.autoReload.amount !== 'string')) {
    ctx.addIssue({ code: 'custom', path: ['autoReload', 'monthlyLimit'], message: 'a monthly limit counted in reloads needs the reload amount beside it and no monthlyMax; prefer monthlyMax (an amount)' });
  }
  if (doc.autoReload?.enabled && (doc.autoReload.threshold === null || doc.autoReload.amount === null)) {
    ctx.addIssue({ code: 'custom', path: ['autoReload'], message: 'threshold and amount are required when auto-reload is enabled' });
  }
});

export type OrgDocument = z.infer<typeof orgDocumentSchema>;
export type MemberDocument = z.infer<typeof memberDocSchema>;
