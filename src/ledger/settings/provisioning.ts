// Creates an organisation from its declarative document, or applies a re-sent one as
// a three-way merge against the document applied last time (src/domain/document-merge.ts):
// only the fields the document changes are written, so what owners and approvals
// changed since stays. One transaction; every field that changes is audited.
import type { Db } from '../../db/client.js';
import type { Member, Organization, Prisma } from '../../generated/prisma/client.js';
import { documentPatch, sameJson, type DeepPartial } from '../../domain/document-merge.js';
import { parseUsd } from '../../domain/money.js';
import { OPERATOR_ACTOR } from '../actors.js';
import { jsonSafe, writeAudit, type AuditRecord } from '../audit.js';
import type { DomainEvent } from '../../domain/events.js';
import { appendEvents } from '../outbox.js';
import type { MemberDocument, OrgDocument } from './org-document.js';
import { conflict, invalid } from '../errors.js';
import { inTransaction, isUniqueViolation, type Tx } from '../transactions.js';
import { forgetOrgSnapshot } from '../limits-state.js';

/** An amount as nanos; null stays null (unlimited), undefined (left out) stays undefined. */
const nanos = <T extends string | null | undefined>(usd: T) => (usd === undefined ? undefined : usd === null ? null : parseUsd(usd)!) as T extends string ? bigint : T extends null ? null : undefined;

/** The object without its undefined fields: what is left out is not written. */
const defined = <T extends Record<string, unknown>>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };

/** Fields that differ, as before/after pairs; bigint and Date compared by value. */
function diff<T extends Record<string, unknown>>(current: Partial<T> | null, wanted: Partial<T>) {
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(wanted)) {
    if (v === undefined) continue;
    const old = current ? current[k] : undefined;
    if (String(old) !== String(v) || (old === null) !== (v === null)) {
      before[k] = old ?? null;
      after[k] = v;
    }
  }
  return Object.keys(after).length ? { before, after } : null;
}

type OrgPart = DeepPartial<Omit<OrgDocument, 'members'>>;

function orgFields(doc: OrgPart) {
  const e = doc.extraUsage;
  const r = doc.autoReload;
  return defined({
    name: doc.name,
    plan: doc.plan,
    timezone: doc.timezone,
    digestHourLocal: doc.digestHour,
    teamsTenantId: doc.teamsTenantId,
    // null in the document removes the provider; an object sets what it says.
    oidcIssuer: doc.identityProvider === null ? null : doc.identityProvider?.issuer,
    oidcAudience: doc.identityProvider === null ? null : doc.identityProvider?.audience,
    unknownModelFallback: doc.unknownModelFallback,
    extraUsageEnabled: e?.enabled,
    extraUsageScope: e?.scope,
    orgMonthlyCapNanos: nanos(e?.orgMonthlyCap),
    standardTierCapNanos: nanos(e?.tierCaps?.standard),
    premiumTierCapNanos: nanos(e?.tierCaps?.premium),
    enforcementMode: e?.enforcement,
    autoReloadEnabled: r?.enabled,
    autoReloadThresholdNanos: nanos(r?.threshold),
    autoReloadAmountNanos: nanos(r?.amount),
    // The older count form becomes money: that many reloads of the document's amount.
    autoReloadMonthlyMaxNanos: r?.monthlyMax !== undefined ? nanos(r.monthlyMax)
      : typeof r?.monthlyLimit === 'number' && typeof r.amount === 'string' ? BigInt(r.monthlyLimit) * nanos(r.amount)!
      : r?.monthlyLimit === null ? null : undefined,
  }) satisfies Prisma.OrganizationUpdateInput;
}

/** What a new org gets for what its first document leaves out: extra usage off, for all members, no caps. */
const CREATION_DEFAULTS = {
  extraUsageEnabled: false,
  extraUsageScope: 'all_members',
  orgMonthlyCapNanos: null,
  standardTierCapNanos: null,
  premiumTierCapNanos: null,
  enforcementMode: 'check',
  autoReloadEnabled: false,
  autoReloadThresholdNanos: null,
  autoReloadAmountNanos: null,
  autoReloadMonthlyMaxNanos: null,
  digestHourLocal: 9,
  teamsTenantId: null,
  unknownModelFallback: null,
} as const satisfies Partial<Organization>;

function memberFields(m: Partial<Omit<MemberDocument, 'externalId'>>) {
  return defined({
    name: m.name,
    email: m.email,
    role: m.role,
    seatTier: m.seatTier,
    slackUserId: m.slackUserId,
    teamsUserId: m.teamsUserId,
    extraUsageEnabled: m.extraUsageEnabled,
    extraUsageCapNanos: nanos(m.extraUsageCap),
  });
}

export interface ProvisionResult {
  orgId: string;
  created: boolean;
  changed: boolean;
  changes: { subject: string; before: unknown; after: unknown }[];
}

export async function provisionOrg(db: Db, slug: string, doc: OrgDocument): Promise<ProvisionResult> {
  const result = await provisionInTransaction(db, slug, doc).catch((err: unknown) => {
    // Checked below; only a concurrent PUT can still collide.
    if (isUniqueViolation(err)) throw conflict(`organisation '${slug}' changed concurrently, or its teamsTenantId was just taken; retry`);
    throw err;
  });
  forgetOrgSnapshot(db, result.orgId);
  return result;
}

/** The family an unknownModelFallback names (an alias is stored as its family); it must have a price. */
async function fallbackFamily(tx: Tx, name: string): Promise<string> {
  const family = (await tx.modelAlias.findUnique({ where: { alias: name } }))?.family ?? name;
  if (!(await tx.priceEntry.findFirst({ where: { model: family }, select: { id: true } }))) {
    throw invalid('unknownModelFallback', `'${name}' is no family in the price book: name one with a price (GET /v1/operator/models)`);
  }
  return family;
}

async function provisionInTransaction(db: Db, slug: string, doc: OrgDocument): Promise<ProvisionResult> {
  return inTransaction(db, async (tx) => {
    const audit: AuditRecord[] = [];
    const events: DomainEvent[] = [];
    const note = (action: string, subject: string, d: { before: unknown; after: unknown } | null) => {
      if (d) audit.push({ actor: OPERATOR_ACTOR, action, subject, before: d.before, after: d.after });
    };

    // Locked: a concurrent PUT or owner change waits, so the merge reads what it writes over.
    await tx.$queryRaw`SELECT "id" FROM "Organization" WHERE "slug" = ${slug} FOR UPDATE`;
    const existing = await tx.organization.findUnique({ where: { slug } });
    const last = existing ? await tx.orgDocument.findUnique({ where: { orgId: existing.id } }) : null;
    const patch = documentPatch(last?.document ?? null, doc);
    const wanted = orgFields(patch.org);
    if (wanted.teamsTenantId) {
      const holder = await tx.organization.findFirst({ where: { teamsTenantId: wanted.teamsTenantId, NOT: { slug } }, select: { slug: true } });
      if (holder) throw conflict(`teamsTenantId ${wanted.teamsTenantId} already belongs to organisation '${holder.slug}'`, 'teamsTenantId');
    }
    if (wanted.unknownModelFallback) wanted.unknownModelFallback = await fallbackFamily(tx, wanted.unknownModelFallback);
    // Rules on the settings as they will be, including what the document left as it is.
    const merged = { ...(existing ?? CREATION_DEFAULTS), ...wanted };
    if (merged.autoReloadEnabled && (merged.autoReloadThresholdNanos === null || merged.autoReloadAmountNanos === null)) {
      throw invalid('autoReload', 'threshold and amount are required when auto-reload is enabled (the organisation has none stored)');
    }
    const unchangedDocument = last !== null && sameJson(last.document, doc);
    const remember = (orgId: string) => unchangedDocument ? undefined : tx.orgDocument.upsert({
      where: { orgId },
      create: { orgId, document: doc as unknown as Prisma.InputJsonValue },
      update: { document: doc as unknown as Prisma.InputJsonValue },
    });

    let orgId: string;
    if (existing) {
      orgId = existing.id;
      const d = diff(existing, wanted);
      if (d) await tx.organization.update({ where: { id: orgId }, data: d.after });
      await remember(orgId);
      note('org.update', 'org', d);
      const widened = merged.extraUsageEnabled && (!existing.extraUsageEnabled || (existing.extraUsageScope !== 'all_members' && merged.extraUsageScope === 'all_members'));
      if (widened) events.push({ type: 'org_extra_usage_enabled' });
    } else {
      const data = { slug, ...CREATION_DEFAULTS, ...wanted, name: doc.name, plan: doc.plan, timezone: doc.timezone };
      const created = await tx.organization.create({ data });
      orgId = created.id;
      await remember(orgId);
      note('org.create', 'org', { before: null, after: data });
    }

    for (const tier of ['standard', 'premium'] as const) {
      const current = await tx.seatTierConfig.findUnique({ where: { orgId_tier: { orgId, tier } } });
      // A tier never stored takes the whole document's values.
      const t = current ? patch.org.seatTiers?.[tier] : doc.seatTiers[tier];
      const wantedTier = defined({ includedAllowanceNanos: nanos(t?.includedAllowance), windowMinutes: t?.windowMinutes });
      const d = diff(current, wantedTier);
      if (!d) continue;
      if (current) await tx.seatTierConfig.update({ where: { orgId_tier: { orgId, tier } }, data: d.after });
      else await tx.seatTierConfig.create({ data: { orgId, tier, includedAllowanceNanos: wantedTier.includedAllowanceNanos!, windowMinutes: wantedTier.windowMinutes! } });
      note('seat_tier.set', `tier:${tier}`, d);
    }

    const members = await tx.member.findMany({ where: { orgId } });
    const byExternalId = new Map(members.map((m) => [m.externalId, m]));
    const inDoc = new Set(doc.members.map((m) => m.externalId));
    // Remove first, so a chat id moving from a leaving member to a new one is free.
    // Members mirrored from Anthropic's users list come and go with that list, not the document.
    for (const m of members) {
      if (!inDoc.has(m.externalId) && !m.removedAt && !m.anthropicUserId) {
        await tx.member.update({ where: { id: m.id }, data: { removedAt: new Date(), slackUserId: null, teamsUserId: null } });
        events.push({ type: 'member_removed', memberId: m.id });
        note('member.remove', `member:${m.id}`, { before: { externalId: m.externalId, name: m.name }, after: { removed: true } });
      }
    }

    // Each listed member's fields to write: all of them for a new one, else what the document changed.
    const plans = doc.members.map((m, index) => {
      const current: Member | undefined = byExternalId.get(m.externalId);
      const fields = current ? { ...memberFields(patch.members.get(m.externalId)!.set), removedAt: null } : memberFields(m);
      const kept = current && !current.removedAt ? current : null;
      const chat = {
        slackUserId: fields.slackUserId !== undefined ? fields.slackUserId : (kept?.slackUserId ?? null),
        teamsUserId: fields.teamsUserId !== undefined ? fields.teamsUserId : (kept?.teamsUserId ?? null),
      };
      return { doc: m, index, current, fields, chat };
    });
    // A chat id the document leaves with one member cannot go to another.
    for (const key of ['slackUserId', 'teamsUserId'] as const) {
      const holders = new Map<string, (typeof plans)[number]>();
      for (const p of plans) {
        const id = p.chat[key];
        if (!id) continue;
        const other = holders.get(id);
        if (other) {
          // Ids within the document are unique (schema), so one of the two keeps a stored id.
          const [keeps, takes] = p.fields[key] === undefined ? [p, other] : [other, p];
          throw conflict(`${key} '${id}' is still '${keeps.doc.externalId}''s: the document leaves theirs as it is. To move it, give '${keeps.doc.externalId}' another ${key} (or null) in the same document`, `members.${takes.index}.${key}`);
        }
        holders.set(id, p);
      }
    }
    // Free every chat id that moves before assigning any, so two members can swap theirs.
    for (const p of plans) {
      const c = p.current;
      if (!c) continue;
      const free = {
        ...(c.slackUserId && c.slackUserId !== p.chat.slackUserId ? { slackUserId: null } : {}),
        ...(c.teamsUserId && c.teamsUserId !== p.chat.teamsUserId ? { teamsUserId: null } : {}),
      };
      if (Object.keys(free).length) await tx.member.update({ where: { id: c.id }, data: free });
    }
    for (const p of plans) {
      if (p.current) {
        const d = diff(p.current, p.fields);
        if (d) await tx.member.update({ where: { id: p.current.id }, data: d.after });
        note('member.update', `member:${p.current.id}`, d);
        // As when an owner turns it on: an open request for more usage is moot.
        if (p.fields.extraUsageEnabled && !p.current.extraUsageEnabled && !p.current.removedAt) events.push({ type: 'member_extra_usage_enabled', memberId: p.current.id });
      } else {
        const created = await tx.member.create({ data: { orgId, externalId: p.doc.externalId, name: p.doc.name, role: p.doc.role, seatTier: p.doc.seatTier, ...p.fields } });
        note('member.create', `member:${created.id}`, { before: null, after: { externalId: p.doc.externalId, ...p.fields } });
      }
    }

    await writeAudit(tx, orgId, audit);
    // Schedules (digest hour, month end) follow the org's timezone: re-plan them on any change.
    if (audit.length > 0) events.push({ type: 'org_provisioned' });
    await appendEvents(tx, orgId, events);
    return {
      orgId,
      created: !existing,
      changed: audit.length > 0,
      changes: audit.map((a) => ({ subject: a.subject, before: jsonSafe(a.before) ?? null, after: jsonSafe(a.after) ?? null })),
    };
  });
}
