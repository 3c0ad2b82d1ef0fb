// Creates or replaces an organisation from its declarative document, in one
// transaction, auditing every field that actually changed.
import type { Db } from '../db/client.js';
import type { Member, Prisma } from '../generated/prisma/client.js';
import { parseUsd } from '../domain/money.js';
import { OPERATOR_ACTOR } from './actors.js';
import { jsonSafe, writeAudit, type AuditRecord } from './audit.js';
import type { DomainEvent } from '../domain/events.js';
import { appendEvents } from './outbox.js';
import type { MemberDocument, OrgDocument } from './org-document.js';
import { conflict } from './errors.js';
import { inTransaction, isUniqueViolation } from './transactions.js';
import { forgetOrgSnapshot } from './limits-state.js';

const nanos = (usd: string) => parseUsd(usd)!;
const nanosOrNull = (usd: string | null | undefined) => (usd === null || usd === undefined ? null : nanos(usd));

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

function orgFields(doc: OrgDocument) {
  return {
    name: doc.name,
    plan: doc.plan,
    timezone: doc.timezone,
    ...(doc.digestHour !== undefined ? { digestHourLocal: doc.digestHour } : {}),
    ...(doc.teamsTenantId !== undefined ? { teamsTenantId: doc.teamsTenantId } : {}),
    ...(doc.extraUsage
      ? {
          extraUsageEnabled: doc.extraUsage.enabled,
          extraUsageScope: doc.extraUsage.scope,
          orgMonthlyCapNanos: nanosOrNull(doc.extraUsage.orgMonthlyCap),
          ...(doc.extraUsage.enforcement ? { enforcementMode: doc.extraUsage.enforcement } : {}),
          ...(doc.extraUsage.tierCaps
            ? { standardTierCapNanos: nanosOrNull(doc.extraUsage.tierCaps.standard), premiumTierCapNanos: nanosOrNull(doc.extraUsage.tierCaps.premium) }
            : {}),
        }
      : {}),
    ...(doc.autoReload
      ? {
          autoReloadEnabled: doc.autoReload.enabled,
          autoReloadThresholdNanos: nanosOrNull(doc.autoReload.threshold),
          autoReloadAmountNanos: nanosOrNull(doc.autoReload.amount),
          autoReloadMonthlyLimit: doc.autoReload.monthlyLimit,
        }
      : {}),
  } satisfies Prisma.OrganizationUpdateInput;
}

function memberFields(m: MemberDocument) {
  return {
    name: m.name,
    email: m.email ?? null,
    role: m.role,
    seatTier: m.seatTier,
    slackUserId: m.slackUserId ?? null,
    teamsUserId: m.teamsUserId ?? null,
    ...(m.extraUsageEnabled !== undefined ? { extraUsageEnabled: m.extraUsageEnabled } : {}),
    ...(m.extraUsageCap !== undefined ? { extraUsageCapNanos: nanosOrNull(m.extraUsageCap) } : {}),
    removedAt: null,
  };
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

async function provisionInTransaction(db: Db, slug: string, doc: OrgDocument): Promise<ProvisionResult> {
  return inTransaction(db, async (tx) => {
    const audit: AuditRecord[] = [];
    const events: DomainEvent[] = [];
    const note = (action: string, subject: string, d: { before: unknown; after: unknown } | null) => {
      if (d) audit.push({ actor: OPERATOR_ACTOR, action, subject, before: d.before, after: d.after });
    };

    const existing = await tx.organization.findUnique({ where: { slug } });
    if (doc.teamsTenantId) {
      const holder = await tx.organization.findFirst({ where: { teamsTenantId: doc.teamsTenantId, NOT: { slug } }, select: { slug: true } });
      if (holder) throw conflict(`teamsTenantId ${doc.teamsTenantId} already belongs to organisation '${holder.slug}'`, 'teamsTenantId');
    }
    const wanted = orgFields(doc);
    let orgId: string;
    if (existing) {
      orgId = existing.id;
      const d = diff(existing, wanted);
      if (d) await tx.organization.update({ where: { id: orgId }, data: wanted });
      note('org.update', 'org', d);
    } else {
      const created = await tx.organization.create({ data: { slug, ...wanted } });
      orgId = created.id;
      note('org.create', 'org', { before: null, after: { slug, ...wanted } });
    }

    for (const tier of ['standard', 'premium'] as const) {
      const t = doc.seatTiers[tier];
      const wantedTier = { includedAllowanceNanos: nanos(t.includedAllowance), windowMinutes: t.windowMinutes };
      const current = await tx.seatTierConfig.findUnique({ where: { orgId_tier: { orgId, tier } } });
      const d = diff(current, wantedTier);
      if (d) await tx.seatTierConfig.upsert({ where: { orgId_tier: { orgId, tier } }, create: { orgId, tier, ...wantedTier }, update: wantedTier });
      note('seat_tier.set', `tier:${tier}`, d);
    }

    const members = await tx.member.findMany({ where: { orgId } });
    const byExternalId = new Map(members.map((m) => [m.externalId, m]));
    const inDoc = new Set(doc.members.map((m) => m.externalId));
    // Remove first, so a chat id moving from a leaving member to a new one is free.
    for (const m of members) {
      if (!inDoc.has(m.externalId) && !m.removedAt) {
        await tx.member.update({ where: { id: m.id }, data: { removedAt: new Date(), slackUserId: null, teamsUserId: null } });
        events.push({ type: 'member_removed', memberId: m.id });
        note('member.remove', `member:${m.id}`, { before: { externalId: m.externalId, name: m.name }, after: { removed: true } });
      }
    }
    // Free every chat id that moves before assigning any, so two members can swap theirs.
    for (const m of doc.members) {
      const c = byExternalId.get(m.externalId);
      if (!c) continue;
      const free = {
        ...(c.slackUserId && c.slackUserId !== (m.slackUserId ?? null) ? { slackUserId: null } : {}),
        ...(c.teamsUserId && c.teamsUserId !== (m.teamsUserId ?? null) ? { teamsUserId: null } : {}),
      };
      if (Object.keys(free).length) await tx.member.update({ where: { id: c.id }, data: free });
    }
    for (const m of doc.members) {
      const fields = memberFields(m);
      const current: Member | undefined = byExternalId.get(m.externalId);
      if (current) {
        const d = diff(current, fields);
        if (d) await tx.member.update({ where: { id: current.id }, data: fields });
        note('member.update', `member:${current.id}`, d);
      } else {
        const created = await tx.member.create({ data: { orgId, externalId: m.externalId, ...fields } });
        note('member.create', `member:${created.id}`, { before: null, after: { externalId: m.externalId, ...fields } });
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
