// Drives one member (and their org) from just below the cap to refusal with many
// concurrent clients, and measures what passed the cap. Used by `npm run
// bench:overshoot` on large runs and by test/bench/overshoot.test.ts on small ones.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../../src/db/client.js';
import { formatUsd, parseUsd } from '../../src/domain/money.js';

export interface OvershootRun {
  mode: 'check' | 'reserve';
  clients: number;
  authorized: number;
  refused: number;
  /** Spend past the cap at the end, in nano-dollars (0 when within). */
  overshootNanos: bigint;
  /** Records that landed after recorded spend had reached the cap. */
  overshootRequests: number;
  /** Requests authorised but not yet recorded when recorded spend reached the cap. */
  inFlightAtCap: number;
  /** Authorizations that started after recorded spend had reached the cap. */
  allowedAfterCap: number;
  /** Sum of usage events = member month-to-date = org month-to-date, exactly. */
  ledgerConsistent: boolean;
  eventsNanos: bigint;
}

const CAP = '10.00';
const MODEL = 'claude-sonnet-4-5';
// Realistic requests: a few thousand prompt tokens, up to 1,024 output tokens.
const MAX_TOKENS = 1_024;

function usageFor(i: number) {
  return { input_tokens: 1_000 + ((i * 7919) % 4_000), output_tokens: 50 + ((i * 104729) % (MAX_TOKENS - 50)) };
}

export interface Target {
  app: FastifyInstance;
  db: Db;
  operatorToken: string;
}

async function call(app: FastifyInstance, url: string, token: string, body: unknown, actor?: string) {
  const res = await app.inject({ method: url.startsWith('GET') ? 'GET' : 'POST', url, headers: { authorization: `Bearer ${token}`, ...(actor ? { 'x-actor': actor } : {}) }, payload: body as object });
  return { status: res.statusCode, body: JSON.parse(res.body) };
}

export async function runOvershoot(t: Target, mode: 'check' | 'reserve', clients: number, slug = `over-${mode}-${clients}-${randomUUID().slice(0, 6)}`): Promise<OvershootRun> {
  const doc = {
    name: 'Overshoot', plan: 'enterprise', timezone: 'UTC',
    seatTiers: { standard: { includedAllowance: '0.00', windowMinutes: 300 }, premium: { includedAllowance: '0.00', windowMinutes: 300 } },
    extraUsage: { enabled: true, scope: 'all_members', orgMonthlyCap: CAP, enforcement: mode },
    members: [
      { externalId: 'owner', name: 'Owner', role: 'primary_owner', seatTier: 'premium', extraUsageCap: '0.00' },
      { externalId: 'm', name: 'Member', role: 'member', seatTier: 'standard', extraUsageCap: CAP },
    ],
  };
  const put = await t.app.inject({ method: 'PUT', url: `/v1/operator/orgs/${slug}`, headers: { authorization: `Bearer ${t.operatorToken}` }, payload: doc });
  if (put.statusCode >= 300) throw new Error(put.body);
  const key = JSON.parse((await t.app.inject({ method: 'POST', url: `/v1/operator/orgs/${slug}/api-keys`, headers: { authorization: `Bearer ${t.operatorToken}` }, payload: { name: 'k', scopes: ['usage'] } })).body).key;
  const cap = parseUsd(CAP)!;

  // Just below the cap: $9.90 recorded.
  await call(t.app, '/v1/usage/record', key, { requestId: 'warm-up', member: 'm', model: MODEL, usage: { input_tokens: 0, output_tokens: 660_000 } });

  let i = 0;
  let authorized = 0;
  let refused = 0;
  let inFlight = 0;
  let capReachedAt: number | null = null;
  let inFlightAtCap = 0;
  let overshootRequests = 0;
  let allowedAfterCap = 0;
  let done = false;

  await Promise.all(Array.from({ length: clients }, async () => {
    while (!done) {
      const n = i++;
      const requestId = randomUUID();
      const usage = usageFor(n);
      const startedAt = performance.now();
      const a = await call(t.app, '/v1/usage/authorize', key, {
        member: 'm', model: MODEL,
        ...(mode === 'reserve' ? { requestId, estimate: { input_tokens: usage.input_tokens, max_tokens: MAX_TOKENS } } : {}),
      });
      if (!a.body.allowed) {
        refused++;
        // Refused while others are still running: their holds may be what stops this one
        // (reservation mode). Only a refusal with nothing in flight means the cap is reached.
        if (inFlight === 0) {
          done = true;
          return;
        }
        await new Promise((r) => setTimeout(r, 2));
        continue;
      }
      authorized++;
      if (capReachedAt !== null && startedAt > capReachedAt) allowedAfterCap++;
      inFlight++;
      await new Promise((r) => setTimeout(r, 1 + (n % 5))); // the model works
      const r = await call(t.app, '/v1/usage/record', key, { requestId, member: 'm', model: MODEL, usage });
      inFlight--;
      if (r.status !== 200) throw new Error(`record failed: ${JSON.stringify(r.body)}`);
      const spent = parseUsd(r.body.memberMonthToDateExtra)!;
      if (spent >= cap) {
        if (capReachedAt === null) {
          capReachedAt = performance.now();
          inFlightAtCap = inFlight;
        } else overshootRequests++;
      }
    }
  }));

  const org = await t.db.organization.findUniqueOrThrow({ where: { slug } });
  const events = await t.db.usageEvent.aggregate({ where: { orgId: org.id }, _sum: { extraNanos: true } });
  const rows = await t.db.monthlySpend.findMany({ where: { orgId: org.id } });
  const eventsNanos = events._sum.extraNanos ?? 0n;
  const memberRow = rows.find((r) => r.scope === 'member');
  const orgRow = rows.find((r) => r.scope === 'org');
  return {
    mode,
    clients,
    authorized,
    refused,
    overshootNanos: eventsNanos > cap ? eventsNanos - cap : 0n,
    overshootRequests,
    inFlightAtCap,
    allowedAfterCap,
    ledgerConsistent: memberRow?.extraNanos === eventsNanos && orgRow?.extraNanos === eventsNanos && memberRow?.reservedNanos === 0n && orgRow?.reservedNanos === 0n,
    eventsNanos,
  };
}

export const describeRun = (r: OvershootRun) =>
  `| ${r.mode} | ${r.clients} | ${r.authorized} | ${formatUsd(r.overshootNanos)} | ${r.overshootRequests} | ${r.inFlightAtCap} | ${r.allowedAfterCap} | ${r.ledgerConsistent ? 'yes' : 'NO'} |`;
