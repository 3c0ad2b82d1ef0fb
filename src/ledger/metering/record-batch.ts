// Group commit for the record hot path. Records that arrive while a batch is being
// written wait for the next one; each batch is ONE transaction of a fixed handful of
// statements however many records it holds, so the durable commit and the hot
// org row are paid once per batch, not once per request. The rules are the same pure
// functions the single-record path uses (splitCost, eventsFor, overHoldOf), and the
// same refusals (a hold or record of another member is a 409 naming `member`); if a
// batch fails as a whole, each of its records is retried alone through that path.
// A record without a price is stored unpriced and counted nowhere (usage-pricing.ts,
// unpriced.ts), and a member removed since the request is still billed, as there.
import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/client.js';
import { big, bigOrNull, sqlOf, type SqlQuery } from '../../db/sql.js';
import { billsExtraUsage, continuesOnExtraUsage, splitCost, type SeatTier } from '../../domain/caps.js';
import { eventsFor, ORG_CAP_THRESHOLDS, TIER_CAP_THRESHOLDS, type DomainEvent } from '../../domain/events.js';
import { storedPercents } from '../settings/notice-settings.js';
import { formatUsd } from '../../domain/money.js';
import { periodOf, windowResetsAt, type AllowanceWindow } from '../../domain/periods.js';
import type { TokenCounts } from '../../domain/pricing.js';
import { overHoldFlag, overHoldOf, reservationExceeded, type OverHold } from '../../domain/reservations.js';
import { notFound } from '../errors.js';
import { orgSnapshot } from '../limits-state.js';
import { productSpendSubject } from '../../domain/products.js';
import { productCapIn, productCapsOf, requireKnownProduct } from './products.js';
import { repeatedWithDifferentBody, requestOfAnotherMember } from '../requests/request-owner.js';
import { afterUnpriced, bodyHashOf, extrasColumns, flagsOrNull, overProductCap, recordUsage, replayedAnswer, type RecordInput, type RecordResponse, type RecordResult } from './record.js';
import { priceUsage, reasonText, withClientCost, type EventFlag, type UsagePrice } from './usage-pricing.js';

interface Prepared {
  input: RecordInput;
  hash: string;
  at: Date;
  tokens: TokenCounts;
  price: UsagePrice;
  /** 0 while unpriced. */
  cost: bigint;
  now: Date;
  resolve(r: RecordResult): void;
  reject(e: unknown): void;
}

interface MemberRow {
  id: string;
  orgId: string;
  externalId: string;
  seatTier: SeatTier;
  extraUsageEnabled: boolean;
  continueOnExtraUsage: boolean | null;
  extraUsageCapNanos: unknown;
  windowStartedMs: unknown;
  windowUsedNanos: unknown;
  windowHeldNanos: unknown;
  removed: boolean;
}

interface OrgRow {
  id: string;
  plan: 'team' | 'enterprise';
  timezone: string;
  extraUsageEnabled: boolean;
  extraUsageScope: 'all_members' | 'selected_members';
  continueOnExtraUsageDefault: boolean;
  orgMonthlyCapNanos: unknown;
  standardTierCapNanos: unknown;
  premiumTierCapNanos: unknown;
  /** The owners' notice thresholds (src/ledger/settings/notice-settings.ts). */
  noticeOrgCapPercents: unknown;
  noticeTierCapPercents: unknown;
}

interface HoldRow {
  id: string;
  orgId: string;
  requestId: string;
  memberId: string;
  period: string;
  tier: string;
  product: string | null;
  estimateNanos: unknown;
  includedHeldNanos: unknown;
  extraHeldNanos: unknown;
  /** Neither settled nor released. */
  open: boolean;
}

/** Timestamps go to `timestamp(3)` columns as UTC wall-clock text, as Prisma writes them. */
const utc = (d: Date) => d.toISOString().replace('Z', '');
const keyOf = (orgId: string, requestId: string) => `${orgId}\u0000${requestId}`;
const spendKey = (orgId: string, period: string, scope: string, subject: string) => `${orgId}\u0000${period}\u0000${scope}\u0000${subject}`;

class SpendDelta {
  extra = 0n;
  included = 0n;
  count = 0;
  release = 0n;
  constructor(readonly orgId: string, readonly period: string, readonly scope: 'member' | 'tier' | 'org' | 'product', readonly subject: string) {}
}

export class RecordBatcher {
  private queue: Prepared[] = [];
  private workers = 0;
  /** Batches written, records in them, and batches that had to fall back to one record at a time. */
  readonly stats = { batches: 0, records: 0, fallbacks: 0, lastFallbackError: null as unknown };
  /** Told of every batch written (its size, and whether it fell back to one record at a time): the metrics. */
  readonly onBatch = new Set<(size: number, fellBack: boolean) => void>();

  /**
   * Up to `maxWorkers` batches may be written at once, on their own connections
   * (members are locked in id order and month-to-date rows in key order, so they cannot
   * deadlock). One is the default: measured on 2 cores, a second or third writer made
   * batches smaller and waited on the same hot org row, and throughput fell.
   */
  constructor(private readonly db: Db, private readonly maxBatch = 500, private readonly maxWorkers = 1) {}

  async submit(input: RecordInput, now = new Date()): Promise<RecordResult> {
    const at = input.at ?? now;
    // An org-defined product must be declared (from this process's copy when it knows the name).
    await requireKnownProduct(this.db, input.orgId, input.product);
    // The org's fallback family is asked for only when the model has no price (rare).
    const price = withClientCost(await priceUsage(this.db, input.model, at, now, input.usage, async () => (await orgSnapshot(this.db, input.orgId)).unknownModelFallback), input.clientCostNanos);
    const result = await new Promise<RecordResult>((resolve, reject) => {
      this.queue.push({ input, hash: bodyHashOf(input), at, tokens: price.tokens, price, cost: price.priced ? price.cost : 0n, now, resolve, reject });
      if (this.workers < this.maxWorkers) {
        this.workers++;
        void this.drain().finally(() => this.workers--);
      }
    });
    return afterUnpriced(this.db, result, now);
  }

  private async drain(): Promise<void> {
    {
      while (this.queue.length) {
        // Let the requests that already arrived be parsed and queued first (on PGlite the
        // database runs on this thread, so nothing else would get in between batches).
        await new Promise((r) => setImmediate(r));
        const batch = this.queue.splice(0, this.maxBatch);
        if (batch.length === 0) break;
        try {
          const outcomes = await sqlOf(this.db).transaction((tx) => writeBatch(this.db, tx, batch));
          this.stats.batches++;
          this.stats.records += batch.length;
          for (const listener of this.onBatch) listener(batch.length, false);
          batch.forEach((item, i) => {
            const o = outcomes[i]!;
            if ('error' in o) item.reject(o.error);
            else item.resolve(o.result);
          });
        } catch (err) {
          this.stats.fallbacks++;
          this.stats.lastFallbackError = err;
          for (const listener of this.onBatch) listener(batch.length, true);
          // A batch-wide failure (a race with another process, a deadlock): each record
          // alone through the single-record path, which retries and reports per record.
          await Promise.all(batch.map((item) => recordUsage(this.db, item.input, item.now).then(item.resolve, item.reject)));
        }
      }
    }
  }
}

type Outcome = { result: RecordResult } | { error: unknown };

/**
 * Member ids behind the references of a batch. A member's id for an external id never
 * changes (the pair is unique and a removed member keeps its row), so it is cached.
 */
const idCaches = new WeakMap<SqlQuery | object, Map<string, string>>();
async function memberIdsOf(sqlKey: object, q: SqlQuery, pairs: { orgId: string; ref: string }[]): Promise<Map<string, string>> {
  let cache = idCaches.get(sqlKey);
  if (!cache) idCaches.set(sqlKey, (cache = new Map()));
  const misses = pairs.filter((p) => !cache!.has(keyOf(p.orgId, p.ref)));
  if (misses.length) {
    const rows = await q.query<{ id: string; orgId: string; externalId: string }>(
      `SELECT m."id", m."orgId", m."externalId" FROM "Member" m
       JOIN unnest($1::text[], $2::text[]) AS k(o, r) ON m."orgId" = k.o AND (m."externalId" = k.r OR m."id" = k.r)`,
      [misses.map((p) => p.orgId), misses.map((p) => p.ref)],
    );
    for (const p of misses) {
      // Our id first, as everywhere else.
      const hit = rows.find((r) => r.orgId === p.orgId && r.id === p.ref) ?? rows.find((r) => r.orgId === p.orgId && r.externalId === p.ref);
      if (hit) cache.set(keyOf(p.orgId, p.ref), hit.id);
    }
  }
  return cache;
}

async function writeBatch(db: Db, tx: SqlQuery, batch: Prepared[]): Promise<Outcome[]> {
  const orgIds = [...new Set(batch.map((b) => b.input.orgId))];
  const keyOrgs = batch.map((b) => b.input.orgId);
  const keyReqs = batch.map((b) => b.input.requestId);
  const ids = await memberIdsOf(db, tx, batch.map((b) => ({ orgId: b.input.orgId, ref: b.input.member })));
  const memberIds = [...new Set(batch.map((b) => ids.get(keyOf(b.input.orgId, b.input.member))).filter((x): x is string => !!x))];

  // Members are locked in id order, so concurrent batches cannot deadlock on them.
  const members = await tx.query<MemberRow>(
    `SELECT "id", "orgId", "externalId", "seatTier"::text AS "seatTier", "extraUsageEnabled", "continueOnExtraUsage", "extraUsageCapNanos",
       (EXTRACT(EPOCH FROM "windowStartedAt") * 1000)::bigint AS "windowStartedMs", "windowUsedNanos", "windowHeldNanos",
       "removedAt" IS NOT NULL AS "removed"
     FROM "Member" WHERE "id" = ANY($1::text[])
     ORDER BY "id" FOR UPDATE`,
    [memberIds],
  );
  // One connection runs one statement at a time: these go in sequence.
  const prior = await tx.query<{ orgId: string; requestId: string; memberId: string; bodyHash: string; response: unknown; family: string; priced: boolean }>(
      `SELECT e."orgId", e."requestId", e."memberId", e."bodyHash", e."response", e."family", e."costNanos" IS NOT NULL AS "priced" FROM "UsageEvent" e
       JOIN unnest($1::text[], $2::text[]) AS k(o, r) ON e."orgId" = k.o AND e."requestId" = k.r`,
      [keyOrgs, keyReqs],
  );
  // Every hold the batch names, open or not: its member decides whether a record may settle it.
  const holds = await tx.query<HoldRow>(
      `SELECT h."id", h."orgId", h."requestId", h."memberId", h."period", h."tier"::text AS "tier", h."product", h."estimateNanos",
         h."includedHeldNanos", h."extraHeldNanos", (h."settledAt" IS NULL AND h."releasedAt" IS NULL) AS "open"
       FROM "Reservation" h JOIN unnest($1::text[], $2::text[]) AS k(o, r) ON h."orgId" = k.o AND h."requestId" = k.r
       FOR UPDATE OF h`,
      [keyOrgs, keyReqs],
  );
  // The orgs with their seat tiers in one statement (a round trip less per batch; the
  // allowance goes as text inside the JSON so no nano is lost to a float).
  const orgs = await tx.query<OrgRow & { tiers: { tier: string; includedAllowanceNanos: string; windowMinutes: number }[] | null }>(
      `SELECT o."id", o."plan"::text AS "plan", o."timezone", o."extraUsageEnabled", o."extraUsageScope"::text AS "extraUsageScope", o."continueOnExtraUsageDefault",
         o."orgMonthlyCapNanos", o."standardTierCapNanos", o."premiumTierCapNanos", o."noticeOrgCapPercents", o."noticeTierCapPercents",
         (SELECT json_agg(json_build_object('tier', t."tier"::text, 'includedAllowanceNanos', t."includedAllowanceNanos"::text, 'windowMinutes', t."windowMinutes"))
            FROM "SeatTierConfig" t WHERE t."orgId" = o."id") AS "tiers"
       FROM "Organization" o WHERE o."id" = ANY($1::text[])`,
      [orgIds],
  );
  const tiers = orgs.flatMap((o) => (o.tiers ?? []).map((t) => ({ orgId: o.id, ...t })));
  // The product caps of the members and products the batch names (a statement only when it names a product).
  const productKeys = batch.flatMap((b) => {
    const id = ids.get(keyOf(b.input.orgId, b.input.member));
    return b.input.product && id ? [{ orgId: b.input.orgId, product: b.input.product, memberId: id }] : [];
  });
  const productCaps = await productCapsOf(tx, productKeys);

  const orgById = new Map(orgs.map((o) => [o.id, o]));
  const priorByKey = new Map(prior.map((p) => [keyOf(p.orgId, p.requestId), p]));
  const holdByKey = new Map(holds.map((h) => [keyOf(h.orgId, h.requestId), h]));
  const tierOf = (orgId: string, tier: string) => tiers.find((t) => t.orgId === orgId && t.tier === tier);
  const memberById = new Map(members.map((m) => [m.id, m]));
  const memberFor = (orgId: string, ref: string) => {
    const id = ids.get(keyOf(orgId, ref));
    return id ? memberById.get(id) : undefined;
  };

  // Running state per member and the deltas per month-to-date row, in arrival order.
  const windows = new Map<string, { window: AllowanceWindow; held: bigint; changed: boolean }>();
  const spend = new Map<string, SpendDelta>();
  const balance = new Map<string, { extra: bigint; release: bigint }>();
  const settled: string[] = [];
  const inBatch = new Map<string, { hash: string; index: number; memberId: string }>();
  type Pending = {
    item: Prepared; memberId: string; tier: SeatTier; period: string; included: bigint; extra: bigint;
    /** Extra already added to each of the item's rows by earlier records of this batch. */
    before: { member: bigint; tier: bigint; org: bigint; balance: bigint; product: bigint };
    seat: { before: bigint; after: bigint; allowance: bigint; resetsAt: Date | null };
    memberCap: bigint | null; tierCap: bigint | null; org: OrgRow;
    /** The product named and the member's cap on it. */
    product: { name: string; cap: bigint | null } | null;
    /** The cost went past the hold this record settles. */
    over: OverHold | null;
    /** Id of the usage event it writes. */
    eventId: string;
    /** Its flags as written (the price's, and over_product_cap once its product row is known). */
    flags?: EventFlag[];
  };
  const pending: (Pending | Outcome | { replayOf: number })[] = [];

  const delta = (orgId: string, period: string, scope: 'member' | 'tier' | 'org' | 'product', subject: string) => {
    const k = spendKey(orgId, period, scope, subject);
    let d = spend.get(k);
    if (!d) spend.set(k, (d = new SpendDelta(orgId, period, scope, subject)));
    return d;
  };

  batch.forEach((item, index) => {
    const { orgId, requestId } = item.input;
    const key = keyOf(orgId, requestId);
    const m = memberFor(orgId, item.input.member);
    const earlier = priorByKey.get(key);
    if (earlier) {
      pending.push(earlier.bodyHash === item.hash
        ? { result: { response: replayedAnswer(earlier.response, earlier.family, Boolean(earlier.priced)), replayed: true } }
        : { error: repeatedWithDifferentBody(requestId, earlier.memberId, m?.id) });
      return;
    }
    const twin = inBatch.get(key);
    if (twin) {
      pending.push(twin.hash === item.hash ? { replayOf: twin.index } : { error: repeatedWithDifferentBody(requestId, twin.memberId, m?.id) });
      return;
    }
    const org = orgById.get(orgId);
    // A removed member's late usage is still theirs, and billed.
    if (!m || !org) {
      pending.push({ error: notFound(`member '${item.input.member}'`, 'member') });
      return;
    }
    // Another member's hold is neither settled nor counted against: nothing changes.
    const named = holdByKey.get(key);
    if (named && named.memberId !== m.id) {
      pending.push({ error: requestOfAnotherMember(requestId) });
      return;
    }
    const hold = named?.open ? named : undefined;
    inBatch.set(key, { hash: item.hash, index, memberId: m.id });
    const period = periodOf(item.at, org.timezone);

    const config = tierOf(orgId, m.seatTier);
    const allowanceFull = big(config?.includedAllowanceNanos);
    const windowMinutes = config ? Number(config.windowMinutes) : 300;
    let w = windows.get(m.id);
    if (!w) {
      w = {
        window: { startedAt: m.windowStartedMs === null ? null : new Date(Number(m.windowStartedMs)), usedNanos: big(m.windowUsedNanos) },
        held: big(m.windowHeldNanos),
        changed: false,
      };
      windows.set(m.id, w);
    }
    const ownHeld = hold ? big(hold.includedHeldNanos) : 0n;
    const bal = org.plan === 'team' ? (balance.get(orgId) ?? balance.set(orgId, { extra: 0n, release: 0n }).get(orgId)!) : null;
    const releaseHold = () => {
      if (!hold) return;
      settled.push(hold.id);
      w!.held -= ownHeld;
      w!.changed = true;
      const extraHeld = big(hold.extraHeldNanos);
      if (extraHeld > 0n) {
        delta(orgId, hold.period, 'member', m.id).release += extraHeld;
        delta(orgId, hold.period, 'tier', hold.tier).release += extraHeld;
        delta(orgId, hold.period, 'org', 'org').release += extraHeld;
        if (hold.product) delta(orgId, hold.period, 'product', productSpendSubject(hold.product, m.id)).release += extraHeld;
        if (bal) bal.release += extraHeld;
      }
    };
    if (!item.price.priced) {
      // Kept, counted nowhere: the request is over, so its hold is given back. The
      // member's row is named (adding nothing) only to read their month-to-date extra.
      releaseHold();
      const memberRow = delta(orgId, period, 'member', m.id);
      pending.push({
        item, memberId: m.id, tier: m.seatTier, period, included: 0n, extra: 0n,
        before: { member: memberRow.extra, tier: 0n, org: 0n, balance: bal?.extra ?? 0n, product: 0n },
        seat: { before: 0n, after: 0n, allowance: 0n, resetsAt: null }, memberCap: null, tierCap: null, org, over: null, eventId: randomUUID(),
        product: null,
      });
      return;
    }
    const heldByOthers = w.held - ownHeld;
    const allowance = allowanceFull > heldByOthers ? allowanceFull - heldByOthers : 0n;
    const productName = item.input.product ?? null;
    const product = productName ? { name: productName, cap: productCapIn(productCaps, { orgId, product: productName, memberId: m.id }) } : null;
    // A product off for the member (cap 0) is like extra usage off: the overrun is absorbed as included.
    const extraAvailable = billsExtraUsage({ orgExtraUsageEnabled: org.extraUsageEnabled, extraUsageScope: org.extraUsageScope, memberExtraUsageEnabled: m.extraUsageEnabled, continueOnExtraUsage: continuesOnExtraUsage(m.continueOnExtraUsage, org.continueOnExtraUsageDefault) })
      && product?.cap !== 0n;
    const split = splitCost(item.cost, w.window, allowance, windowMinutes, item.at, extraAvailable);
    const seatBefore = w.window.startedAt === split.window.startedAt ? w.window.usedNanos : 0n;
    w.window = split.window;
    w.changed = true;

    const rows = [delta(orgId, period, 'member', m.id), delta(orgId, period, 'tier', m.seatTier), delta(orgId, period, 'org', 'org')];
    const productRow = product ? delta(orgId, period, 'product', productSpendSubject(product.name, m.id)) : null;
    if (productRow) rows.push(productRow);
    const before = { member: rows[0]!.extra, tier: rows[1]!.extra, org: rows[2]!.extra, balance: bal?.extra ?? 0n, product: productRow?.extra ?? 0n };
    for (const r of rows) {
      r.extra += split.extraNanos;
      r.included += split.includedNanos;
      r.count += 1;
    }
    if (bal) bal.extra += split.extraNanos;
    releaseHold();
    pending.push({
      item, memberId: m.id, tier: m.seatTier, period, included: split.includedNanos, extra: split.extraNanos, before,
      seat: { before: seatBefore, after: split.window.usedNanos, allowance: allowanceFull, resetsAt: windowResetsAt(split.window, windowMinutes) },
      memberCap: bigOrNull(m.extraUsageCapNanos),
      tierCap: org.plan === 'enterprise' ? bigOrNull(m.seatTier === 'premium' ? org.premiumTierCapNanos : org.standardTierCapNanos) : null,
      org,
      over: hold ? overHoldOf(big(hold.estimateNanos), item.cost) : null,
      eventId: randomUUID(),
      product,
    });
  });

  // Month-to-date rows: one statement, rows in a fixed order; it returns each row's
  // value after the whole batch, from which every record's before/after follows.
  const rows = [...spend.values()].sort((a, b) => (spendKey(a.orgId, a.period, a.scope, a.subject) < spendKey(b.orgId, b.period, b.scope, b.subject) ? -1 : 1));
  const after = new Map<string, bigint>();
  if (rows.length) {
    const updated = await tx.query<{ orgId: string; period: string; scope: string; subject: string; extraNanos: unknown }>(
      `INSERT INTO "MonthlySpend" ("orgId", "period", "scope", "subject", "extraNanos", "includedNanos", "eventCount", "reservedNanos")
       SELECT * FROM unnest($1::text[], $2::text[], $3::"SpendScope"[], $4::text[], $5::bigint[], $6::bigint[], $7::int[], $8::bigint[])
       ON CONFLICT ("orgId", "period", "scope", "subject") DO UPDATE SET
         "extraNanos" = "MonthlySpend"."extraNanos" + EXCLUDED."extraNanos",
         "includedNanos" = "MonthlySpend"."includedNanos" + EXCLUDED."includedNanos",
         "eventCount" = "MonthlySpend"."eventCount" + EXCLUDED."eventCount",
         "reservedNanos" = "MonthlySpend"."reservedNanos" + EXCLUDED."reservedNanos"
       RETURNING "orgId", "period", "scope"::text AS "scope", "subject", "extraNanos"`,
      [
        rows.map((r) => r.orgId), rows.map((r) => r.period), rows.map((r) => r.scope), rows.map((r) => r.subject),
        rows.map((r) => String(r.extra)), rows.map((r) => String(r.included)), rows.map((r) => r.count), rows.map((r) => String(-r.release)),
      ],
    );
    for (const u of updated) after.set(spendKey(u.orgId, u.period, u.scope, u.subject), big(u.extraNanos));
  }
  const startOf = (orgId: string, period: string, scope: 'member' | 'tier' | 'org' | 'product', subject: string) => {
    const k = spendKey(orgId, period, scope, subject);
    return (after.get(k) ?? 0n) - (spend.get(k)?.extra ?? 0n);
  };

  const balanceAfter = new Map<string, { balance: bigint; threshold: bigint | null }>();
  const teamOrgs = [...balance.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  if (teamOrgs.length) {
    const updated = await tx.query<{ id: string; balanceNanos: unknown; autoReloadEnabled: boolean; autoReloadThresholdNanos: unknown }>(
      `UPDATE "Organization" AS o SET "balanceNanos" = o."balanceNanos" - v.extra, "heldBalanceNanos" = GREATEST(o."heldBalanceNanos" - v.release, 0)
       FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS v(id, extra, release) WHERE o."id" = v.id
       RETURNING o."id", o."balanceNanos", o."autoReloadEnabled", o."autoReloadThresholdNanos"`,
      [teamOrgs.map(([id]) => id), teamOrgs.map(([, b]) => String(b.extra)), teamOrgs.map(([, b]) => String(b.release))],
    );
    for (const u of updated) {
      balanceAfter.set(u.id, { balance: big(u.balanceNanos), threshold: u.autoReloadEnabled ? bigOrNull(u.autoReloadThresholdNanos) : null });
    }
  }

  const changed = [...windows.entries()].filter(([, w]) => w.changed);
  if (changed.length) {
    await tx.query(
      `UPDATE "Member" AS m SET "windowStartedAt" = v.started, "windowUsedNanos" = v.used, "windowHeldNanos" = v.held
       FROM unnest($1::text[], $2::timestamp[], $3::bigint[], $4::bigint[]) AS v(id, started, used, held) WHERE m."id" = v.id`,
      [changed.map(([id]) => id), changed.map(([, w]) => (w.window.startedAt ? utc(w.window.startedAt) : null)), changed.map(([, w]) => String(w.window.usedNanos)), changed.map(([, w]) => String(w.held))],
    );
  }

  // Responses, events and crossings, now that every row's starting value is known.
  const outcomes: Outcome[] = [];
  const events: { p: Pending; response: RecordResponse }[] = [];
  const outbox: { orgId: string; event: DomainEvent; at: Date }[] = [];
  const unpriced: { p: Pending; reason: string }[] = [];
  for (const entry of pending) {
    if (!('item' in entry)) {
      outcomes.push('replayOf' in entry ? { error: null } : entry);
      continue;
    }
    const p = entry;
    const { orgId } = p.item.input;
    const price = p.item.price;
    const memberBefore = startOf(orgId, p.period, 'member', p.memberId) + p.before.member;
    const base = { requestId: p.item.input.requestId, memberId: p.memberId, model: p.item.input.model, family: price.family, period: p.period, ...(p.item.input.product ? { product: p.item.input.product } : {}) };
    const productSpend = p.product
      ? (() => {
          const before = startOf(orgId, p.period, 'product', productSpendSubject(p.product.name, p.memberId)) + p.before.product;
          return { name: p.product.name, before, after: before + p.extra, cap: p.product.cap };
        })()
      : null;
    p.flags = overProductCap(p.extra, productSpend) ? [...price.flags, 'over_product_cap'] : price.flags;
    const flags = p.flags.length ? { flags: p.flags } : {};
    if (!price.priced) {
      const response: RecordResponse = {
        ...base, priced: false, unpricedReason: price.reason, cost: formatUsd(0n), included: formatUsd(0n), extra: formatUsd(0n),
        memberMonthToDateExtra: formatUsd(memberBefore), ...flags,
      };
      events.push({ p, response });
      unpriced.push({ p, reason: reasonText(price) });
      outbox.push({ orgId, event: { type: 'usage_unpriced', memberId: p.memberId, requestId: p.item.input.requestId, model: p.item.input.model, family: price.family, period: p.period, reason: reasonText(price) }, at: p.item.now });
      outcomes.push({ result: { response, replayed: false, unpriced: { eventId: p.eventId, reason: price.reason } } });
      continue;
    }
    const tierBefore = startOf(orgId, p.period, 'tier', p.tier) + p.before.tier;
    const orgBefore = startOf(orgId, p.period, 'org', 'org') + p.before.org;
    const bal = balanceAfter.get(orgId);
    const balanceState = bal
      ? (() => {
          // The balance after this record: the final balance plus what later records took.
          const total = balance.get(orgId)!.extra;
          const afterThis = bal.balance + total - p.before.balance - p.extra;
          return { before: afterThis + p.extra, after: afterThis, threshold: bal.threshold };
        })()
      : null;
    const response: RecordResponse = {
      ...base,
      priced: true,
      cost: formatUsd(p.item.cost),
      included: formatUsd(p.included),
      extra: formatUsd(p.extra),
      memberMonthToDateExtra: formatUsd(memberBefore + p.extra),
      ...(balanceState ? { balance: formatUsd(balanceState.after) } : {}),
      ...(p.over ? { overHold: overHoldFlag(p.over) } : {}),
      ...flags,
    };
    events.push({ p, response });
    for (const event of eventsFor({
      memberId: p.memberId,
      tier: p.tier,
      period: p.period,
      seat: p.seat,
      member: { before: memberBefore, after: memberBefore + p.extra, cap: p.memberCap },
      tierSpend: { before: tierBefore, after: tierBefore + p.extra, cap: p.tierCap, percents: storedPercents(p.org.noticeTierCapPercents, TIER_CAP_THRESHOLDS) },
      org: { before: orgBefore, after: orgBefore + p.extra, cap: bigOrNull(p.org.orgMonthlyCapNanos), percents: storedPercents(p.org.noticeOrgCapPercents, ORG_CAP_THRESHOLDS) },
      product: productSpend,
      balance: balanceState,
    })) outbox.push({ orgId, event, at: p.item.now });
    if (p.over) outbox.push({ orgId, event: reservationExceeded(p.memberId, p.item.input.requestId, p.period, p.over), at: p.item.now });
    outcomes.push({ result: { response, replayed: false, ...(p.over ? { overHold: p.over } : {}) } });
  }
  // A twin of an earlier record in this batch gets that record's answer, as a replay.
  pending.forEach((entry, i) => {
    if ('replayOf' in entry) {
      const first = outcomes[entry.replayOf]!;
      outcomes[i] = 'result' in first ? { result: { response: first.result.response, replayed: true } } : first;
    }
  });

  if (events.length) {
    const e = events;
    await tx.query(
      `INSERT INTO "UsageEvent" ("orgId", "memberId", "requestId", "bodyHash", "model", "priceEntryId", "occurredAt", "period",
         "inputTokens", "cacheWrite5mTokens", "cacheWrite1hTokens", "cacheReadTokens", "outputTokens",
         "costNanos", "includedNanos", "extraNanos", "response", "createdAt", "family", "flags", "id",
         "webSearchRequests", "webFetchRequests", "serviceTier", "inferenceGeo", "speed", "priceModifierIds", "product", "clientCostNanos")
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamp[], $8::text[],
         $9::int[], $10::int[], $11::int[], $12::int[], $13::int[], $14::bigint[], $15::bigint[], $16::bigint[], $17::jsonb[], $18::timestamp[],
         $19::text[], $20::jsonb[], $21::text[], $22::int[], $23::int[], $24::text[], $25::text[], $26::text[], $27::jsonb[], $28::text[], $29::bigint[])`,
      [
        e.map(({ p }) => p.item.input.orgId), e.map(({ p }) => p.memberId), e.map(({ p }) => p.item.input.requestId), e.map(({ p }) => p.item.hash),
        e.map(({ p }) => p.item.input.model), e.map(({ p }) => (p.item.price.priced ? p.item.price.tier.id : null)), e.map(({ p }) => utc(p.item.at)), e.map(({ p }) => p.period),
        e.map(({ p }) => p.item.tokens.input), e.map(({ p }) => p.item.tokens.cacheWrite5m), e.map(({ p }) => p.item.tokens.cacheWrite1h),
        e.map(({ p }) => p.item.tokens.cacheRead), e.map(({ p }) => p.item.tokens.output),
        e.map(({ p }) => (p.item.price.priced ? String(p.item.cost) : null)), e.map(({ p }) => String(p.included)), e.map(({ p }) => String(p.extra)),
        e.map(({ response }) => JSON.stringify(response)), e.map(({ p }) => utc(p.item.now)), e.map(({ p }) => p.item.price.family),
        e.map(({ p }) => { const f = flagsOrNull(p.flags ?? p.item.price.flags); return f ? JSON.stringify(f) : null; }), e.map(({ p }) => p.eventId),
        ...extrasArrays(e.map(({ p }) => p.item.price)),
        e.map(({ p }) => p.item.input.product ?? null),
        e.map(({ p }) => (p.item.input.clientCostNanos === undefined ? null : String(p.item.input.clientCostNanos))),
      ],
    );
  }
  // Events whose client said another cost: listed for the operator and the Spend report.
  const differing = events.filter(({ p }) => p.item.price.priced && p.item.input.clientCostNanos !== undefined && (p.flags ?? []).includes('cost_differs_from_client'));
  if (differing.length) {
    await tx.query(
      `INSERT INTO "ClientCostDifference" ("usageEventId", "orgId", "memberId", "requestId", "model", "period", "occurredAt", "costNanos", "clientCostNanos", "createdAt")
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamp[], $8::bigint[], $9::bigint[], $10::timestamp[])`,
      [
        differing.map(({ p }) => p.eventId), differing.map(({ p }) => p.item.input.orgId), differing.map(({ p }) => p.memberId), differing.map(({ p }) => p.item.input.requestId),
        differing.map(({ p }) => p.item.input.model), differing.map(({ p }) => p.period), differing.map(({ p }) => utc(p.item.at)), differing.map(({ p }) => String(p.item.cost)),
        differing.map(({ p }) => String(p.item.input.clientCostNanos)), differing.map(({ p }) => utc(p.item.now)),
      ],
    );
  }
  if (unpriced.length) {
    await tx.query(
      `INSERT INTO "UnpricedUsage" ("usageEventId", "orgId", "memberId", "requestId", "model", "family", "reason", "occurredAt", "createdAt")
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamp[], $9::timestamp[])`,
      [
        unpriced.map(({ p }) => p.eventId), unpriced.map(({ p }) => p.item.input.orgId), unpriced.map(({ p }) => p.memberId), unpriced.map(({ p }) => p.item.input.requestId),
        unpriced.map(({ p }) => p.item.input.model), unpriced.map(({ p }) => p.item.price.family), unpriced.map(({ reason }) => reason),
        unpriced.map(({ p }) => utc(p.item.at)), unpriced.map(({ p }) => utc(p.item.now)),
      ],
    );
  }
  if (settled.length) {
    await tx.query(`UPDATE "Reservation" SET "settledAt" = $2::timestamp WHERE "id" = ANY($1::text[])`, [settled, utc(batch[0]!.now)]);
  }
  if (outbox.length) {
    await tx.query(
      `INSERT INTO "OutboxEvent" ("orgId", "type", "payload", "createdAt") SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::timestamp[])`,
      [outbox.map((o) => o.orgId), outbox.map((o) => o.event.type), outbox.map(({ event: { type: _t, ...payload } }) => JSON.stringify(payload)), outbox.map((o) => utc(o.at))],
    );
  }
  return outcomes;
}

/** The extras columns of a batch's events, as one array per column. */
function extrasArrays(prices: UsagePrice[]): unknown[][] {
  const cols = prices.map(extrasColumns);
  return [
    cols.map((c) => c.webSearchRequests), cols.map((c) => c.webFetchRequests), cols.map((c) => c.serviceTier), cols.map((c) => c.inferenceGeo), cols.map((c) => c.speed),
    cols.map((c) => (c.priceModifierIds ? JSON.stringify(c.priceModifierIds) : null)),
  ];
}

const batchers = new WeakMap<Db, RecordBatcher>();

/** The process's batcher for this database. */
export function recordBatcherOf(db: Db): RecordBatcher {
  let b = batchers.get(db);
  if (!b) batchers.set(db, (b = new RecordBatcher(db)));
  return b;
}
